"""Run every benchmark once, one after the other, and write one report of this machine's figures.

Usage: ``.venv/bin/python bench/all.py [--out report.md] [--long] [--only NAME ...]``

docs/benchmarks.md asks for each benchmark's current figure, its ratio to the ceiling or peer
measured in the same invocation, the command and the machine's load. Run by hand, the
benchmarks drift apart in time (and machines of one kind differ: the same code gave one mailer
0.23x on one and 0.39x on another), so this runs them back to back on one machine and writes:

* a summary table: per benchmark, the command, its ratio(s) as the benchmark printed them (the
  bold cells of its table), and the 1-minute load average before and after;
* each benchmark's own tables and notes below it (the JSON some print beside them left out);
* the machine: CPU model, cores, Python, PostgreSQL, the commit measured.

Nothing here computes a figure: each benchmark measures its ceiling or peer itself, in its own
invocation (bench/README.md). ``--long`` adds the two benchmarks that take ten minutes or more
(a digest for a million people, the consent ledger at a million rows). A benchmark that fails
is reported as failed with the end of its error output, and the others still run.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


@dataclass(frozen=True, slots=True)
class Benchmark:
    name: str
    args: tuple[str, ...]  # after the interpreter, from the project's root
    long: bool = False

    @property
    def command(self) -> str:
        return shlex.join([".venv/bin/python", *self.args])


BENCHMARKS = (
    # Nine runs: one run's ratio spreads by a third (0.11-0.20 on one machine), more than the
    # distance between the median and the target, and a median of nine moves less than one of five.
    Benchmark("watcher round vs urlwatch", ("bench/watcher/run.py", "--repeat", "9")),
    Benchmark(
        "watcher processes, 1,000 and 10,000 sources",
        ("bench/watcher/scale.py", "1000", "10000", "--processes", "2"),
    ),
    Benchmark("sign-up vs a bare endpoint", ("bench/signup/run.py",)),
    Benchmark("mail fan-out, one mailer", ("bench/mailer/fanout.py", "10000", "100000")),
    Benchmark(
        "mail fan-out, one mailer, pool of 16 (the default before ADR 0025)",
        ("bench/mailer/fanout.py", "10000", "100000", "--concurrency", "16"),
    ),
    Benchmark(
        "weekly digest, 100,000 x 5 x 20",
        ("bench/mailer/digest.py", "100000", "--topics", "5", "--changes", "20"),
    ),
    Benchmark(
        "two mailer processes, default pool",
        ("bench/distributed/scaling.py", "60000", "--processes", "2"),
    ),
    Benchmark(
        "two mailer processes, pool of 16 (the default before ADR 0025)",
        ("bench/distributed/scaling.py", "60000", "--processes", "2", "--concurrency", "16"),
    ),
    Benchmark(
        "two mailer processes, pool of 48",
        ("bench/distributed/scaling.py", "60000", "--processes", "2", "--concurrency", "48"),
    ),
    Benchmark(
        "weekly digest, 1,000,000 x 5 x 20",
        ("bench/mailer/digest.py", "1000000", "--topics", "5", "--changes", "20"),
        long=True,
    ),
    Benchmark(
        "consent ledger at a million rows",
        ("bench/admin/ledger.py", "--rows", "1000000", "--requests", "300"),
        long=True,
    ),
)

# A ratio cell of a benchmark's table: bold (how every benchmark marks its headline figure).
_BOLD = re.compile(r"\*\*([^*]+)\*\*")


@dataclass(frozen=True, slots=True)
class Result:
    benchmark: Benchmark
    output: str
    failed: bool
    seconds: float
    load_before: float
    load_after: float

    def headline(self) -> str:
        """The bold cells of the benchmark's table rows, as it printed them."""
        if self.failed:
            return "**failed** (output below)"
        lines = self.output.splitlines()
        # A table's rows: a header (the line above its |---| line) names the figure, not it.
        rows = [
            line
            for line, below in zip(lines, [*lines[1:], ""], strict=True)
            if line.startswith("|") and not line.startswith("|---") and not below.startswith("|---")
        ]
        cells = [match.group(1) for line in rows for match in _BOLD.finditer(line)]
        return "; ".join(cells) or "see the output below"


def _run(benchmark: Benchmark) -> Result:
    load_before = os.getloadavg()[0]
    started = time.monotonic()
    print(f"bench: {benchmark.name}: {benchmark.command}", file=sys.stderr, flush=True)
    done = subprocess.run(
        [PYTHON, *benchmark.args], cwd=ROOT, capture_output=True, text=True, check=False
    )
    seconds = time.monotonic() - started
    failed = done.returncode != 0
    output = done.stdout
    if failed:
        tail = "\n".join(done.stderr.splitlines()[-20:])
        output += f"\nexit status {done.returncode}; the end of its error output:\n{tail}\n"
    print(f"bench: {benchmark.name}: {seconds:.0f} s", file=sys.stderr, flush=True)
    return Result(benchmark, output, failed, seconds, load_before, os.getloadavg()[0])


def _machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    postgres = subprocess.run(
        ["psql", "-At", "-h", "127.0.0.1", "-d", "test", "-c", "show server_version"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return (
        f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"PostgreSQL {postgres or 'not reached'}; commit {commit or 'unknown'}"
    )


def _report(results: list[Result], machine: str, started: datetime) -> str:
    lines = [
        f"# Benchmarks, {started:%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {machine}.",
        "",
        "| benchmark | command | figures (bold cells of its table) | minutes | load before → after"
        " |",
        "|---|---|---|---|---|",
    ]
    for result in results:
        lines.append(
            f"| {result.benchmark.name} | `{result.benchmark.command}` | {result.headline()} "
            f"| {result.seconds / 60:.1f} | {result.load_before:.1f} → {result.load_after:.1f} |"
        )
    for result in results:
        lines += ["", f"## {result.benchmark.name}", "", f"`{result.benchmark.command}`", ""]
        lines += _tables(result.output)
    return "\n".join(lines).rstrip() + "\n"


def _tables(output: str) -> list[str]:
    """A benchmark's output without the JSON some print beside their tables (run each alone to
    see it), each table set apart by a blank line so Markdown shows it as one."""
    kept: list[str] = []
    in_json = False
    for line in output.rstrip().splitlines():
        if line in ("{", "["):
            in_json = True
        elif in_json:
            in_json = line not in ("}", "]")
        elif line.startswith("|") and kept and kept[-1] and not kept[-1].startswith("|"):
            kept += ["", line]
        elif line or (kept and kept[-1]):
            kept.append(line)
    return kept


def main() -> None:
    """Run the benchmarks in turn; print (or write) the report."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, help="write the report here too")
    parser.add_argument("--long", action="store_true", help="add the ten-minute benchmarks")
    parser.add_argument("--only", nargs="+", metavar="WORD", help="those whose name has a WORD")
    args = parser.parse_args()
    chosen = [
        b
        for b in BENCHMARKS
        if (args.long or not b.long)
        and (not args.only or any(word in b.name for word in args.only))
    ]
    started = datetime.now(UTC)
    machine = _machine()
    results = []
    for number, benchmark in enumerate(chosen, 1):
        print(f"bench: {number} of {len(chosen)}", file=sys.stderr, flush=True)
        results.append(_run(benchmark))
    report = _report(results, machine, started)
    if args.out:
        args.out.write_text(report, "utf-8")
    print(report)
    sys.exit(1 if any(r.failed for r in results) else 0)


if __name__ == "__main__":
    main()
