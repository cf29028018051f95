"""One poll round of the embedded watcher (SQLite) over every benchmark source.

Prints one JSON line: outcomes, wall seconds, CPU seconds of the round and peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import update
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.watcher.adapters.fetcher import HttpFetcher
from services.watcher.adapters.tables import WatchedSource
from services.watcher.domain.outcome import SourceState
from services.watcher.handlers import WatcherDeps, claim_due, poll, sync_catalogue
from shared.catalogue import Source
from shared.clock import SystemClock
from shared.db import create_engine
from shared.heap import freeze_startup_objects


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def run(database: str, base: str, count: int, concurrency: int) -> dict[str, object]:
    """Sync the sources, make them all due, and poll each once."""
    engine = create_engine(database)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    clock = SystemClock()
    deps = WatcherDeps(
        sessions=sessions,
        # One loopback host stands in for many real ones, so the per-host cap is lifted.
        fetcher=HttpFetcher(
            timeout=20,
            max_bytes=10_000_000,
            max_redirects=5,
            per_host=concurrency,
            allow_private=True,
            # The default header's shape, spelled out: reading settings and package metadata
            # is start-up work, not the round's.
            user_agent="varsel/0.1.0 (+http://127.0.0.1:8000)",
        ),
        clock=clock,
        failure_threshold=3,
        gone_after=timedelta(days=3),
        owner="bench",
        sqlite=True,
        admin_url="http://127.0.0.1:8000/admin",
    )
    sources = [
        Source(url=f"{base}/p/{i}", kind="page", topics=("bench",), interval=3600)
        for i in range(count)
    ]
    async with sessions() as session, session.begin():
        await sync_catalogue(session, sources, clock.now())
        await session.execute(update(WatchedSource).values(next_check_at=clock.now()))

    slots = asyncio.Semaphore(concurrency)
    freeze_startup_objects()  # as `varsel run` does once it has started

    async def one(claim: SourceState) -> str:
        async with slots:
            return await poll(deps, claim)

    cpu0, wall0 = _cpu(), time.perf_counter()
    tasks: list[asyncio.Task[str]] = []
    while claims := await claim_due(deps, limit=50):
        tasks.extend(asyncio.create_task(one(c)) for c in claims)
    outcomes = Counter(await asyncio.gather(*tasks))
    wall, cpu = time.perf_counter() - wall0, _cpu() - cpu0
    await deps.aclose()
    await engine.dispose()
    return {
        "outcomes": dict(outcomes),
        "wall_seconds": round(wall, 3),
        "round_cpu_seconds": round(cpu, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    """Run one round and print its figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", required=True)
    parser.add_argument("--base", required=True)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()
    figures = asyncio.run(run(args.database, args.base, args.count, args.concurrency))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
