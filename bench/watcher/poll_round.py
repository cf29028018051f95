"""One poll round of the watcher over every benchmark source.

Prints one JSON line: outcomes, wall seconds, CPU seconds of the round and peak RSS.

By default (bench/watcher/run.py) one process on a SQLite file syncs the sources, makes them
all due, claims them all and polls each once. For several processes sharing PostgreSQL
(bench/watcher/scale.py): ``--prepare`` only syncs and makes every source due, and
``--shared`` only polls, claiming more whenever fewer than ``--in-flight`` polls are under
way (as the watcher's tick does) and starting when a line arrives on stdin, after printing
``ready``, so that every process starts its round at the same moment.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.watcher.adapters.fetcher import HttpFetcher
from services.watcher.adapters.tables import WatchedSource
from services.watcher.catalogue_sync import sync_catalogue
from services.watcher.handlers import Claim, WatcherDeps, claim_due, poll
from shared import event_loop
from shared.catalogue_entries import Source
from shared.clock import SystemClock
from shared.db import create_engine
from shared.heap import freeze_startup_objects


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _threads_cpu() -> dict[str, float]:
    """Return each live thread's CPU seconds by name (Linux; elsewhere nothing)."""
    tick = os.sysconf("SC_CLK_TCK")
    seconds = {}
    for thread in threading.enumerate():
        try:
            with open(f"/proc/self/task/{thread.native_id}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        seconds[thread.name] = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return seconds


async def _make_all_due(
    sessions: async_sessionmaker[AsyncSession], base: str, count: int, path: str = "/p/"
) -> None:
    """Sync the benchmark's sources and make every one of them due now."""
    clock = SystemClock()
    sources = [
        Source(url=f"{base}{path}{i}", kind="page", topics=("bench",), interval=3600)
        for i in range(count)
    ]
    async with sessions() as session, session.begin():
        await sync_catalogue(session, sources, clock.now())
        await session.execute(update(WatchedSource).values(next_check_at=clock.now()))


async def prepare(database: str, base: str, count: int, path: str = "/p/") -> None:
    """Sync the sources and make them all due, for the pollers that follow."""
    engine = create_engine(database)
    await _make_all_due(async_sessionmaker(engine, expire_on_commit=False), base, count, path)
    await engine.dispose()


async def run(
    database: str,
    base: str,
    count: int,
    concurrency: int,
    in_flight: int | None = None,
    path: str = "/p/",
) -> dict[str, object]:
    """Poll each due source once (after syncing them all, unless ``in_flight`` is given)."""
    engine = create_engine(database)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    clock = SystemClock()
    deps = WatcherDeps(
        sessions=sessions,
        # One loopback host stands in for many real ones, so the per-host cap is lifted.
        fetcher=HttpFetcher(
            timeout=60,  # generous: under callgrind on a busy machine a page may take 40 s
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
        owner=f"bench-{os.getpid()}",
        sqlite=engine.dialect.name == "sqlite",
        admin_url="http://127.0.0.1:8000/admin",
    )
    if in_flight is None:
        await _make_all_due(sessions, base, count, path)

    slots = asyncio.Semaphore(concurrency)
    freeze_startup_objects()  # as `varsel run` does once it has started

    async def one(claim: Claim) -> str:
        async with slots:
            return str(await poll(deps, claim))  # "None": no time left under its lease

    if in_flight is not None:
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    cpu0, wall0, threads0 = _cpu(), time.perf_counter(), _threads_cpu()
    tasks: list[asyncio.Task[str]] = []
    if in_flight is None:
        while claims := await claim_due(deps, limit=50):
            tasks.extend(asyncio.create_task(one(c)) for c in claims)
    else:
        running: set[asyncio.Task[str]] = set()
        while claims := await claim_due(deps, limit=50):
            for claim in claims:
                task = asyncio.create_task(one(claim))
                tasks.append(task)
                running.add(task)
                task.add_done_callback(running.discard)
            while len(running) >= in_flight:
                await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
    outcomes = Counter(await asyncio.gather(*tasks))
    wall, cpu = time.perf_counter() - wall0, _cpu() - cpu0
    # Where the round ran: the event loop's thread (fetching, small pages' parsing) and the
    # worker's (SQLite's writes, other parsing); threads started during the round count whole.
    threads = {
        name: round(seconds - threads0.get(name, 0.0), 3)
        for name, seconds in _threads_cpu().items()
        if seconds - threads0.get(name, 0.0) > 0
    }
    await deps.aclose()
    await engine.dispose()
    return {
        "outcomes": dict(outcomes),
        "wall_seconds": round(wall, 3),
        "round_cpu_seconds": round(cpu, 3),
        "round_cpu_seconds_by_thread": threads,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    """Run one round and print its figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", required=True)
    parser.add_argument("--base", required=True)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--prepare", action="store_true", help="only sync and make all due")
    parser.add_argument("--shared", action="store_true", help="only poll, beside other pollers")
    parser.add_argument("--in-flight", type=int, default=100, help="with --shared")
    parser.add_argument(
        "--path", default="/p/", help="/p/ keeps connections alive, /c/ closes each (site.py)"
    )
    args = parser.parse_args()
    if args.prepare:
        asyncio.run(prepare(args.database, args.base, args.count, args.path))
        return
    in_flight = args.in_flight if args.shared else None
    # On the loop `varsel run watcher` runs on (shared/event_loop.py).
    figures = event_loop.run(
        run(args.database, args.base, args.count, args.concurrency, in_flight, args.path)
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
