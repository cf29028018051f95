"""Poll rounds of 1,000 and 10,000 sources on PostgreSQL, shared by several watcher processes.

Usage (needs PostgreSQL at VARSEL_TEST_POSTGRES or 127.0.0.1:5432/test)::

    .venv/bin/python bench/watcher/scale.py 1000 10000 --processes 2

The pages are bench/watcher/site.py's (8-40 KB of realistic HTML; 10 % change between rounds,
60 % answer 304 to their validators, 30 % return identical bodies), served by a process of its
own. For each count: a fresh migrated database; a child syncs the sources and makes all due;
the processes (``poll_round.py --shared``) start, connect and wait until all are ready, then
claim with ``FOR UPDATE SKIP LOCKED`` and poll until nothing is due, as replicas of
``varsel run watcher`` do. A baseline round first, then the site changes 10 % of the pages
and the measured round follows. Wall time runs from the start signal to the last process's
end of round; CPU and peak RSS are each process's own (``os.wait4``), round CPU the process's
account of its round alone. PostgreSQL's and the site's CPU are not counted. The figures
print as Markdown rows with the 1-minute load average before and after each count.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import asyncpg

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))

from run import _round, _warm, serving  # noqa: E402  (bench/watcher is not a package)

ADMIN = os.environ.get("VARSEL_TEST_POSTGRES", "postgresql://127.0.0.1:5432/test")


async def _admin(statement: str) -> None:
    connection = await asyncpg.connect(ADMIN)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextmanager
def _database() -> Iterator[str]:
    """Create a fresh, migrated database; yield its URL; drop it afterwards."""
    name = f"varsel_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        url = ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        url = f"{url}/{name}"
        # Migrated in a child: this process stays small, and the children's peak RSS with it
        # (Linux carries a parent's high-water mark across fork and exec).
        migrate = f"from shared.schema import upgrade; upgrade({url!r})"
        subprocess.run([sys.executable, "-c", migrate], check=True, cwd=ROOT)
        yield url
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _round_of(url: str, base: str, count: int, processes: int) -> dict[str, Any]:
    """Make every source due, run one shared round, and return its figures."""
    poller = [sys.executable, str(HERE / "poll_round.py"), "--database", url, "--base", base,
              "--count", str(count)]  # fmt: skip
    subprocess.run([*poller, "--prepare"], check=True, cwd=ROOT)
    children = [
        subprocess.Popen(
            [*poller, "--shared"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    for child in children:
        assert child.stdout is not None
        if child.stdout.readline().strip() != "ready":
            raise RuntimeError("a poller did not start")
    start = time.perf_counter()
    for child in children:
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    each = []
    for child in children:
        assert child.stdout is not None
        figures = json.loads(child.stdout.read().strip().splitlines()[-1])
        _, status, usage = os.wait4(child.pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError("a poller failed")
        figures["process_cpu_seconds"] = usage.ru_utime + usage.ru_stime
        figures["process_peak_rss_mb"] = round(usage.ru_maxrss / 1024, 1)
        each.append(figures)
    # Each process times its round from the start signal: the round ends with the last one.
    wall = max(figures["wall_seconds"] for figures in each)
    outcomes: Counter[str] = Counter()
    for figures in each:
        outcomes.update(figures["outcomes"])
    return {
        "wall_seconds": round(wall, 2),
        "wall_to_exit_seconds": round(time.perf_counter() - start, 2),
        "round_cpu_seconds": [round(f["round_cpu_seconds"], 2) for f in each],
        "process_cpu_seconds": [round(f["process_cpu_seconds"], 2) for f in each],
        "peak_rss_mb": [f["process_peak_rss_mb"] for f in each],
        "polls": [sum(f["outcomes"].values()) for f in each],
        "outcomes": dict(outcomes),
    }


def measure(base: str, count: int, processes: int) -> dict[str, Any]:
    """Run the baseline and the measured round over ``count`` sources."""
    load_before = os.getloadavg()[0]
    with _database() as url:
        _round(base, 0)
        baseline = _round_of(url, base, count, processes)
        time.sleep(1.1)  # as run.py: the change lands after the baseline's last second
        _round(base, 1)
        measured = _round_of(url, base, count, processes)
    return {
        "sources": count,
        "processes": processes,
        "baseline": baseline,
        "measured": measured,
        "load_before": round(load_before, 1),
        "load_after": round(os.getloadavg()[0], 1),
    }


HEADER = (
    "| sources | processes | round wall s | round CPU s, each process | CPU ms per source "
    "| peak RSS MiB, each | polls, each | changed | baseline wall s | load before → after |\n"
    "|---|---|---|---|---|---|---|---|---|---|"
)


def row(result: dict[str, Any]) -> str:
    """Return one count's figures as a Markdown row."""
    m = result["measured"]
    cpu = sum(m["round_cpu_seconds"])
    return (
        f"| {result['sources']:,} | {result['processes']} | {m['wall_seconds']:.2f} "
        f"| {', '.join(f'{c:.2f}' for c in m['round_cpu_seconds'])} "
        f"| {cpu / result['sources'] * 1000:.2f} "
        f"| {', '.join(f'{r:.0f}' for r in m['peak_rss_mb'])} "
        f"| {', '.join(f'{p:,}' for p in m['polls'])} | {m['outcomes'].get('changed', 0):,} "
        f"| {result['baseline']['wall_seconds']:.2f} "
        f"| {result['load_before']:.1f} → {result['load_after']:.1f} |"
    )


def main() -> None:
    """Run each count and print the figures as JSON, then as Markdown rows."""
    parser = argparse.ArgumentParser()
    parser.add_argument("counts", type=int, nargs="+")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--port", type=int, default=8768)
    args = parser.parse_args()
    results = []
    with serving(args.port) as base:
        _warm(base, max(args.counts))  # every page built before anything is measured
        for count in args.counts:
            results.append(measure(base, count, args.processes))
            print(json.dumps(results[-1]), file=sys.stderr)
    print(json.dumps(results, indent=2))
    print(HEADER)
    for result in results:
        print(row(result))


if __name__ == "__main__":
    main()
