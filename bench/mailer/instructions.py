"""Count the instructions the mailer spends per mail: a figure the machine's load cannot move.

Usage: ``.venv/bin/python bench/mailer/instructions.py`` (needs valgrind, PostgreSQL and
Postfix's test programs; takes about 5 minutes).

CPU ms per mail in ``fanout.py`` varies by a fifth between runs on a shared machine, too much to
see a change of a few per cent. This runs fanout.py's measuring process (one change fanned out
to N immediate subscribers and sent to smtp-sink; seeding runs in its own process) under
callgrind for two sizes, and divides the difference by the difference in mails: what is left
is the work per mail, fan-out and sending, without start-up. Repeats agree to about 0.3 %
(group commits vary with timing). To compare two versions, run this file from each checkout
with ``PYTHONPATH=<checkout>``, so the measured process imports that checkout's code.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import fanout  # noqa: E402  (bench/mailer is not a package)

_run = subprocess.run


def _under_callgrind(counted: list[int]) -> None:
    """Make fanout.py run its measuring process under callgrind, appending what it counts."""

    def run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        if "--measure" not in command:
            return _run(command, **kwargs)
        traced = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command]
        done: subprocess.CompletedProcess[str] = _run(traced, **kwargs)
        found = re.search(r"Collected : (\d+)", done.stderr)
        assert found is not None, done.stderr[-2000:]
        counted.append(int(found.group(1)))
        return done

    subprocess.run = run  # type: ignore[assignment]


def main() -> None:
    """Measure both sizes and print the instructions per mail."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", type=int, default=500)
    parser.add_argument("--large", type=int, default=2500)
    options = parser.parse_args()
    counted: list[int] = []
    _under_callgrind(counted)
    args = argparse.Namespace(concurrency=8, batch=200, profile=False)
    with fanout.sink() as running, tempfile.TemporaryDirectory() as directory:
        for count in (options.small, options.large):
            fanout.run_one(count, args, running.port, Path(directory) / "mail.eml")
    small, large = counted
    per_mail = (large - small) / (options.large - options.small)
    print(f"| instructions, {options.small:,} mails | {options.large:,} mails | per mail |")
    print("|---|---|---|")
    print(f"| {small:,} | {large:,} | {per_mail:,.0f} |")


if __name__ == "__main__":
    main()
