"""Replay one measured watcher round many times, to compare two versions of the code.

Usage: ``.venv/bin/python bench/watcher/replay.py --compare-with /tmp/base [--turns 6]``

``run.py`` measures one round per run, with urlwatch beside it. To weigh a change to varsel
alone, this sets the benchmark site and a baseline database up once (the baseline round, then
the site moved to round 1), and then polls the measured round again and again from a fresh copy
of that database: 100 changed pages, 600 not modified, 300 unchanged, every time. With
``--compare-with`` it takes turns between this checkout and another one (a copy of an older
commit: ``git archive <commit> | tar -x -C /tmp/base``), so a drift in the machine's load is
shared, and prints each version's round CPU: every turn, and the median, then the median of
each thread's share (the event loop's and the worker's).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))

import run  # noqa: E402  (the benchmark's own site helpers, beside this file)


def _poll(checkout: Path, database: str, base: str, count: int, path: str) -> dict[str, object]:
    """Run one round with a checkout's own poll_round.py (and so its own code)."""
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    command = [sys.executable, str(checkout / "bench" / "watcher" / "poll_round.py"),
               "--database", database, "--base", base, "--count", str(count),
               "--path", path]  # fmt: skip
    done = subprocess.run(command, check=True, capture_output=True, text=True, env=env)
    figures: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def main() -> None:
    """Set the round up once, then replay it, taking turns between the checkouts."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--turns", type=int, default=6, help="rounds of each checkout")
    parser.add_argument("--compare-with", type=Path, help="another checkout, taking turns")
    parser.add_argument(
        "--path", default=run.EQUAL, help="/c/ closes each connection (as run.py), /p/ keeps them"
    )
    args = parser.parse_args()
    checkouts = [ROOT] + ([args.compare_with.resolve()] if args.compare_with else [])
    rounds: dict[Path, list[float]] = {checkout: [] for checkout in checkouts}
    threads: dict[Path, dict[str, list[float]]] = {checkout: {} for checkout in checkouts}
    with run.serving(args.port) as base:
        run._warm(base, args.count)
        with tempfile.TemporaryDirectory() as tmp:
            baseline = Path(tmp) / "baseline.db"
            url = f"sqlite+aiosqlite:///{baseline}"
            migrate = f"from shared.schema import upgrade; upgrade({url!r})"
            subprocess.run([sys.executable, "-c", migrate], check=True, cwd=ROOT)
            run._round(base, 0)
            _poll(ROOT, url, base, args.count, args.path)
            run._change_pages(base)
            replayed = Path(tmp) / "round.db"
            for turn in range(args.turns):
                # The checkouts take turns going first, as run.py's tools do.
                for checkout in checkouts if turn % 2 == 0 else checkouts[::-1]:
                    shutil.copyfile(baseline, replayed)
                    figures = _poll(
                        checkout, f"sqlite+aiosqlite:///{replayed}", base, args.count, args.path
                    )
                    print(json.dumps({"checkout": str(checkout), **figures}), file=sys.stderr)
                    rounds[checkout].append(float(figures["round_cpu_seconds"]))  # type: ignore[arg-type]
                    by_thread: dict[str, float] = figures.get("round_cpu_seconds_by_thread", {})  # type: ignore[assignment]
                    for name, seconds in by_thread.items():
                        threads[checkout].setdefault(name, []).append(seconds)
    for checkout, cpu in rounds.items():
        print(f"{checkout}: median {statistics.median(cpu):.3f} s round CPU; turns {cpu}")
        for name, shares in threads[checkout].items():  # older checkouts do not report these
            print(f"    {name}: median {statistics.median(shares):.3f} s")


if __name__ == "__main__":
    main()
