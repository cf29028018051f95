"""Time sign-ups of new and of known addresses, mixed, through the real app on PostgreSQL
(or, with ``--sqlite``, on a SQLite file as the embedded mode runs).

The answer must not tell whether an address is known, its time included. Each run signs up
``--count`` addresses first (the known ones), then ``--count`` new and ``--count`` known ones
again in a shuffled order, one at a time, and times each request (client and server, in
process). Prints each kind's median, the share of known sign-ups slower than 90 % of the new
ones (10 % if they cost the same), and the share of the opposite.

    .venv/bin/python bench/signup/known.py [--count 300] [--compare-with /tmp/before] [--repeat 3]
    .venv/bin/python bench/signup/known.py --sqlite

``--compare-with`` measures another checkout's code too, in turns, each run a process of its own.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from asgi_lifespan import LifespanManager
from hotspots import ADMIN, SLUG, _admin, _varsel_app, form_token

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


async def _run(code: Path, count: int, sqlite: bool) -> dict[str, list[float]]:
    if sqlite:
        with tempfile.TemporaryDirectory() as folder:
            return await _timed(code, count, f"sqlite+aiosqlite:///{folder}/varsel.db")
    name = f"varsel_bench_{uuid.uuid4().hex[:10]}"
    await _admin(f'CREATE DATABASE "{name}"')
    base = ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    try:
        return await _timed(code, count, f"{base}/{name}")
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _timed(code: Path, count: int, url: str) -> dict[str, list[float]]:
    """Sign up the known addresses, then time new and known ones in a shuffled order."""
    app, _engine = await _varsel_app(url, code)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            token = await form_token(client)

            async def one(address: str) -> float:
                started = time.perf_counter()
                answer = await client.post(
                    f"/subscribe/{SLUG}",
                    data={
                        "email": address,
                        "frequency": "immediate",
                        "csrf_token": token,
                        "page": f"/subscribe/{SLUG}",
                    },
                )
                took = time.perf_counter() - started
                assert answer.status_code == 200, answer.text
                return took * 1000

            for i in range(count):
                await one(f"known-{i}@example.no")
            await asyncio.sleep(0.5)  # the relay's passes after the first sign-ups
            turns = [("new", i) for i in range(count)] + [("known", i) for i in range(count)]
            random.Random(7).shuffle(turns)
            times: dict[str, list[float]] = {"new": [], "known": []}
            for kind, i in turns:
                times[kind].append(await one(f"{kind}-{i}@example.no"))
    return times


def _summary(times: dict[str, list[float]]) -> str:
    new, known = sorted(times["new"]), sorted(times["known"])
    new_p90 = statistics.quantiles(new, n=10)[-1]
    known_p90 = statistics.quantiles(known, n=10)[-1]
    slower = sum(t > new_p90 for t in known) / len(known)
    faster = sum(t > known_p90 for t in new) / len(new)
    return (
        f"{statistics.median(new):.2f} | {statistics.median(known):.2f} | "
        f"{slower:.0%} | {faster:.0%}"
    )


def main() -> None:
    """Parse arguments; measure one code (a child) or compare codes in turns."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--code", help=argparse.SUPPRESS)
    parser.add_argument("--compare-with", action="append", default=[])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sqlite", action="store_true", help="a SQLite file, not PostgreSQL")
    args = parser.parse_args()
    if args.code:
        print(json.dumps(asyncio.run(_run(Path(args.code), args.count, args.sqlite))))
        return
    codes = [str(ROOT), *(str(Path(c).resolve()) for c in args.compare_with)]
    before = os.getloadavg()[0]
    rows = []
    for _ in range(args.repeat):
        for code in codes:
            command = [sys.executable, __file__, "--code", code, "--count", str(args.count)]
            command += ["--sqlite"] if args.sqlite else []
            done = subprocess.run(command, check=True, capture_output=True, text=True)
            rows.append((code, _summary(json.loads(done.stdout.strip().splitlines()[-1]))))
    loads = f"{before:.1f} → {os.getloadavg()[0]:.1f}"
    database = "SQLite" if args.sqlite else "PostgreSQL"
    print(
        f"\n{args.count} new and {args.count} known sign-ups per run, shuffled, one at a time,"
        f" on {database}"
    )
    print(
        "| code | new: median ms | known: median ms | known slower than 90 % of new"
        " | new slower than 90 % of known | load before → after |"
    )
    print("|---|---|---|---|---|---|")
    for code, cells in rows:
        print(f"| {code} | {cells} | {loads} |")


if __name__ == "__main__":
    main()
