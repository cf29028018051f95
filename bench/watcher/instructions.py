"""Count the instructions of one watcher poll round: a figure the machine's load hardly moves.

Usage: ``.venv/bin/python bench/watcher/instructions.py`` (needs valgrind; takes 2-3 minutes).

CPU seconds on a shared machine vary by a fifth from run to run, too much to see a change of a
few per cent. callgrind counts the instructions a process executes, which repeat far more
closely: to 0.1 % on a quiet machine, to about 3 % on a busy one (how the polls' writes fall
into batches depends on timing), so compare medians of runs taken in turns. The round runs as
in ``run.py`` (site, baseline round, 10 % of pages changed), under callgrind; so does a
process that only imports the poller, and the difference is the work of the round (with the
catalogue sync before it). Instructions are not seconds: system calls and cache misses cost
time without instructions, and valgrind hides the CPU's SHA extensions, so hashing counts
several times what it costs. Use this to compare two versions of the code; use ``run.py`` for
the figures against urlwatch.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))

from run import _round, serving  # noqa: E402  (bench/watcher is not a package)


def _instructions(command: list[str]) -> tuple[int, str]:
    """Run a command under callgrind; return the instructions it executed, and its output."""
    traced = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    found = re.search(r"I\s+refs:\s+([\d,]+)", traced.stderr)
    if found is None:
        raise RuntimeError(f"no instruction count from valgrind:\n{traced.stderr[-2000:]}")
    return int(found.group(1).replace(",", "")), traced.stdout


def main() -> None:
    """Print the instruction counts as JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--port", type=int, default=8767)
    args = parser.parse_args()
    with serving(args.port) as base, tempfile.TemporaryDirectory() as tmp:
        database = f"sqlite+aiosqlite:///{Path(tmp) / 'varsel.db'}"
        migrate = f"from shared.schema import upgrade; upgrade({database!r})"
        subprocess.run([sys.executable, "-c", migrate], check=True, cwd=ROOT)
        poller = [sys.executable, str(HERE / "poll_round.py"), "--database", database,
                  "--base", base, "--count", str(args.count)]  # fmt: skip
        _round(base, 0)
        subprocess.run(poller, check=True, cwd=ROOT, capture_output=True)
        _round(base, 1)
        whole, printed = _instructions(poller)
        importer = "import sys; sys.path.insert(0, 'bench/watcher'); import poll_round"
        startup, _ = _instructions([sys.executable, "-c", importer])
    print(
        json.dumps(
            {
                "round_instructions": whole - startup,
                "process_instructions": whole,
                "startup_instructions": startup,
                # A failed poll (a timeout under callgrind's slowness) does other work: compare
                # only runs with the same outcomes.
                "outcomes": json.loads(printed.strip().splitlines()[-1])["outcomes"],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
