"""Time parsing the measured round's changed pages, to compare two versions of the code.

Usage: ``.venv/bin/python bench/watcher/parse.py [--compare-with /tmp/base] [--turns 5] [--all]``

The measured round of ``run.py`` parses the 100 pages that changed since the baseline round
(``site.py``'s round 1); this parses the same bodies with ``parse_content``, several passes
after a warm one, and prints the CPU of the best pass (``--all``: all 1,000 pages). With
``--compare-with`` (a copy of an older commit: ``git archive <commit> | tar -x -C /tmp/base``)
the checkouts take turns, each in its own process, so a drift in the machine's load is shared.
``--here`` parses in this process only, with the code that PYTHONPATH names: under callgrind,
the instructions of ``--passes 3`` less those of ``--passes 1`` are two passes' (noise-free).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def _bodies(every_page: bool) -> list[bytes]:
    """Return round 1's changed bodies (or every page's), as site.py serves them."""
    # Loaded by path: "site" is the name of a module Python imports at start-up.
    spec = importlib.util.spec_from_file_location("bench_site", HERE / "site.py")
    assert spec is not None and spec.loader is not None
    site = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(site)
    pages = range(1000) if every_page else range(0, 1000, 10)
    return [site.page(i, 1) for i in pages]


def _time_parsing(passes: int, every_page: bool) -> float:
    """Return the CPU seconds of the best of several passes over the bodies."""
    from services.watcher.domain.content import parse_content  # the checkout's, by PYTHONPATH

    bodies = _bodies(every_page)
    for body in bodies:
        parse_content("page", body)
    best = float("inf")
    for _ in range(passes):
        started = time.thread_time()
        for body in bodies:
            parse_content("page", body)
        best = min(best, time.thread_time() - started)
    return best


def main() -> None:
    """Time this checkout's parsing, taking turns with another checkout's if given."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--compare-with", type=Path, help="another checkout, taking turns")
    parser.add_argument("--turns", type=int, default=5, help="processes of each checkout")
    parser.add_argument("--passes", type=int, default=7, help="passes in each process")
    parser.add_argument("--all", action="store_true", help="all 1,000 pages, not the 100")
    parser.add_argument("--here", action="store_true", help="in this process only")
    args = parser.parse_args()
    if args.here:
        print(json.dumps({"seconds": _time_parsing(args.passes, args.all)}))
        return
    checkouts = [ROOT] + ([args.compare_with.resolve()] if args.compare_with else [])
    seconds: dict[Path, list[float]] = {checkout: [] for checkout in checkouts}
    for turn in range(args.turns):
        for checkout in checkouts if turn % 2 == 0 else checkouts[::-1]:
            command = [sys.executable, __file__, "--here", "--passes", str(args.passes)]
            command += ["--all"] if args.all else []
            env = {**os.environ, "PYTHONPATH": str(checkout)}
            done = subprocess.run(command, check=True, capture_output=True, text=True, env=env)
            seconds[checkout].append(json.loads(done.stdout)["seconds"])
    pages = 1000 if args.all else 100
    for checkout, best in seconds.items():
        turns = ", ".join(f"{s * 1000:.1f}" for s in best)
        median = statistics.median(best) * 1000
        print(f"{checkout}: median {median:.1f} ms per {pages} pages; turns {turns}")


if __name__ == "__main__":
    main()
