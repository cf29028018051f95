"""Measure what starting varsel costs: the CPU of a command, and of a service until it is ready.

Usage: ``.venv/bin/python bench/startup.py [--turns 5] [--compare-with /tmp/base]``

Every `varsel` an operator types, and every replica a rollout starts, pays for the modules it
imports before it does anything. This runs each command as its own process and takes the
process's CPU seconds from ``os.wait4`` (user and system), and its wall time:

- ``varsel --help`` and ``varsel admin --help``: the commands an operator looks up;
- ``varsel check-config``: a command that reads the settings and the catalogue;
- ``varsel run <service> --port P`` for each service alone, and all of them together: from
  the start until ``/readyz`` answers 200, then SIGTERM and a clean exit (the shutdown's CPU is
  counted too; it is small).

Each command runs ``--turns`` times; with ``--compare-with`` (another checkout, e.g.
``git archive <commit> | tar -x -C /tmp/base``) each turn runs this checkout's and the other's
in turn, so a drift in the machine's load is shared. The medians are printed as a table.
The services run on SQLite in a temporary folder with the default catalogue and mail to files;
the watcher is on but has nothing due in that time that it could not reach (loopback only).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("subscriptions", "watcher", "mailer", "admin", "all")
READY_SECONDS = 120.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _environment(checkout: Path, var_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(checkout),
        "VARSEL_VAR_DIR": str(var_dir),
        "VARSEL_LOG_LEVEL": "WARNING",
    }


def _command(*args: str) -> list[str]:
    # The checkout is on PYTHONPATH (_environment), ahead of the virtualenv's own.
    return [sys.executable, "-c", "from varsel.cli import app; app()", *args]


def _finished(child: subprocess.Popen[bytes], wall0: float) -> tuple[float, float]:
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise RuntimeError(f"{child.args!r} exited with {child.returncode}")
    return usage.ru_utime + usage.ru_stime, time.perf_counter() - wall0


def _ready(port: int, child: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise RuntimeError(f"{child.args!r} ended before it was ready")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.02)
    raise RuntimeError(f"{child.args!r} was not ready in {READY_SECONDS} s")


def measure(checkout: Path, var_dir: Path, name: str) -> tuple[float, float]:
    """Run one command of the benchmark; return its CPU seconds and wall seconds."""
    env = _environment(checkout, var_dir)
    wall0 = time.perf_counter()
    if name.startswith("run "):
        service = name.removeprefix("run ")
        port = _free_port()
        args = ["run", "--port", str(port)] + ([] if service == "all" else [service])
        child = subprocess.Popen(_command(*args), env=env, cwd=var_dir, stdout=subprocess.DEVNULL)
        _ready(port, child)
        child.send_signal(signal.SIGTERM)
        return _finished(child, wall0)
    child = subprocess.Popen(
        _command(*name.split()), env=env, cwd=var_dir, stdout=subprocess.DEVNULL
    )
    return _finished(child, wall0)


COMMANDS = ("--help", "admin --help", "check-config", *(f"run {s}" for s in SERVICES))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=5)
    parser.add_argument("--compare-with", type=Path, help="another checkout, taking turns")
    args = parser.parse_args()
    checkouts = [ROOT] + ([args.compare_with.resolve()] if args.compare_with else [])
    figures: dict[tuple[Path, str], list[tuple[float, float]]] = {}
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as folder:
        for checkout in checkouts:
            var_dir = Path(folder) / checkout.name / "var"
            var_dir.mkdir(parents=True)
            subprocess.run(
                _command("migrate"),
                env=_environment(checkout, var_dir),
                cwd=var_dir,
                check=True,
                capture_output=True,
            )
        for turn in range(args.turns):
            for name in COMMANDS:
                for checkout in checkouts if turn % 2 == 0 else checkouts[::-1]:
                    var_dir = Path(folder) / checkout.name / "var"
                    figures.setdefault((checkout, name), []).append(
                        measure(checkout, var_dir, name)
                    )
            print(f"turn {turn + 1} of {args.turns} done", file=sys.stderr, flush=True)
    load_after = os.getloadavg()[0]
    heads = " | ".join(f"{c} CPU s | {c} wall s" for c in checkouts)
    print(f"Medians of {args.turns} turns; load {load_before:.1f} → {load_after:.1f}\n")
    print(f"| command | {heads} |")
    print("|---" * (1 + 2 * len(checkouts)) + "|")
    for name in COMMANDS:
        cells = []
        for checkout in checkouts:
            runs = figures[(checkout, name)]
            cells.append(f"{statistics.median(c for c, _ in runs):.2f}")
            cells.append(f"{statistics.median(w for _, w in runs):.2f}")
        print(f"| `varsel {name}` | {' | '.join(cells)} |")


if __name__ == "__main__":
    main()
