"""Sign-up: varsel's sign-up page against a bare FastAPI INSERT, same database, two ways.

Starts a PostgreSQL database of its own (fresh each run), varsel (subscriptions only) and the
bare app under uvicorn as subprocesses, and drives each in turn from a separate load process,
alternating between them in short rounds so that other work on the machine weighs on all:

1. saturation (``load.py``): N connections, each sending its next sign-up as soon as the last
   is answered; gives each endpoint's maximum rate;
2. open loop (``open_loop.py``): a constant arrival rate, by default half the bare endpoint's
   maximum just measured, with latency from each request's scheduled start.

    .venv/bin/python bench/signup/run.py [--seconds 20] [--concurrency 20] [--rounds 4] \
        [--open-seconds 20] [--rate R]

Prints two Markdown tables, each with the 1-minute load average before and after its phase.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
ADMIN = os.environ.get("VARSEL_TEST_POSTGRES", "postgresql://127.0.0.1:5432/test")
BIN = Path(sys.executable).parent
BARE = "bare FastAPI INSERT"


def _admin(statement: str) -> None:
    async def run() -> None:
        connection = await asyncpg.connect(ADMIN)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(run())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_up(url: str, process: subprocess.Popen[bytes]) -> None:
    for _ in range(300):
        if process.poll() is not None:
            raise SystemExit(f"server for {url} exited with {process.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit(f"server for {url} did not come up")


def _drive(script: str, url: str, **options: float) -> dict[str, Any]:
    """Run one load process against ``url``; return the JSON figures it prints last."""
    argv = [str(BIN / "python"), str(HERE / script), "--url", url]
    for option, value in options.items():
        argv += [f"--{option}", str(value)]
    out = subprocess.run(argv, check=True, capture_output=True, text=True)
    figures: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return figures


def _cpu_seconds(pid: int) -> float:
    """Return the CPU a process has used so far, user and system."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    # utime and stime, fields 14 and 15 of proc(5), counted after the command's closing paren.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _merge(rounds: list[dict[str, Any]]) -> dict[str, float]:
    """Sum the rounds of one endpoint into one line of figures."""
    latencies = sorted(x for r in rounds for x in r["latencies_ms"])
    elapsed = sum(r["elapsed_s"] for r in rounds)

    def percentile(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(len(latencies) * p))] if latencies else 0.0

    return {
        "requests": len(latencies),
        "errors": sum(r["errors"] for r in rounds),
        "requests_per_s": len(latencies) / elapsed,
        "answered_per_s": sum(r.get("answered_per_s", 0) * r["elapsed_s"] for r in rounds)
        / elapsed,
        "lag_max_ms": max(r.get("lag_max_ms", 0.0) for r in rounds),
        "p50_ms": percentile(0.50),
        "p90_ms": percentile(0.90),
        "p99_ms": percentile(0.99),
        "max_ms": latencies[-1] if latencies else 0.0,
        # The server's own CPU per request: what the machine's load moves least.
        "server_cpu_ms": 1000 * sum(r["server_cpu_s"] for r in rounds) / max(1, len(latencies)),
    }


def _alternate(
    servers: dict[str, tuple[str, int]], rounds: int, run: Callable[[str], dict[str, Any]]
) -> dict[str, dict[str, float]]:
    """Run ``run`` on each server (its URL and process id) in turn, ``rounds`` times; merge each
    server's rounds, with the CPU the server used meanwhile."""
    figures: dict[str, list[dict[str, Any]]] = {label: [] for label in servers}
    for _ in range(rounds):
        for label, (base_url, pid) in servers.items():
            cpu = _cpu_seconds(pid)
            figures[label].append(run(base_url))
            figures[label][-1]["server_cpu_s"] = _cpu_seconds(pid) - cpu
    return {label: _merge(each) for label, each in figures.items()}


def _loads(before: float, after: float) -> str:
    return f"{before:.1f} → {after:.1f}"


def _print_saturation(
    args: argparse.Namespace, results: dict[str, dict[str, float]], loads: str
) -> None:
    print(
        f"\nSaturation: {args.concurrency} connections as fast as they go, {args.seconds:.0f} s per"
        f" endpoint in {args.rounds} alternating rounds, 1 uvicorn worker each"
    )
    print(
        "| endpoint | requests/s | **÷ bare** | server CPU ms per request | bare's ÷ this "
        "| p50 ms | p90 ms | p99 ms | max ms | requests | non-200 | load before → after |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    bare, bare_cpu = results[BARE]["requests_per_s"], results[BARE]["server_cpu_ms"]
    for label, r in results.items():
        print(
            f"| {label} | {r['requests_per_s']:.0f} | **{r['requests_per_s'] / bare:.2f}** "
            f"| {r['server_cpu_ms']:.2f} | {bare_cpu / r['server_cpu_ms']:.2f} "
            f"| {r['p50_ms']:.1f} | {r['p90_ms']:.1f} | {r['p99_ms']:.1f} | {r['max_ms']:.1f} "
            f"| {r['requests']:,.0f} | {r['errors']:.0f} | {loads} |"
        )


def _print_open_loop(
    args: argparse.Namespace, rate: float, results: dict[str, dict[str, float]], loads: str
) -> None:
    source = "as asked" if args.rate else "half the bare endpoint's maximum above"
    print(
        f"\nOpen loop: {rate:.1f} sign-ups/s offered ({source}), {args.open_seconds:.0f} s per"
        f" endpoint in {args.rounds} alternating rounds; latency from each request's scheduled"
        " start"
    )
    print(
        "| endpoint | offered /s | achieved /s | p50 ms | p90 ms | **p99 ms** | max ms "
        "| requests | non-200 | generator lag max ms | load before → after |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for label, r in results.items():
        print(
            f"| {label} | {rate:.1f} | {r['answered_per_s']:.1f} | {r['p50_ms']:.1f} "
            f"| {r['p90_ms']:.1f} | **{r['p99_ms']:.1f}** | {r['max_ms']:.1f} "
            f"| {r['requests']:,.0f} | {r['errors']:.0f} | {r['lag_max_ms']:.1f} | {loads} |"
        )


def main() -> None:
    """Run both servers and both loads; print two Markdown tables."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20.0, help="saturation, per endpoint")
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument(
        "--rounds",
        type=int,
        default=4,
        help="alternate the endpoints this many times, so a change in machine load hits both",
    )
    parser.add_argument("--open-seconds", type=float, default=20.0, help="open loop, per endpoint")
    parser.add_argument(
        "--rate", type=float, help="open loop's sign-ups/s (default: half the bare maximum)"
    )
    parser.add_argument(
        "--compare-with",
        type=Path,
        action="append",
        default=[],
        help="also run varsel from another checkout (same venv, own database); repeatable",
    )
    args = parser.parse_args()

    name = f"varsel_bench_{uuid.uuid4().hex[:10]}"
    _admin(f'CREATE DATABASE "{name}"')
    for n, _ in enumerate(args.compare_with):
        _admin(f'CREATE DATABASE "{name}_{n}"')
    base = ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    url = f"{base}/{name}"
    processes: list[subprocess.Popen[bytes]] = []
    try:
        env = {
            **os.environ,
            "VARSEL_DATABASE_URL": url,
            # The highest limits the settings take (shared/settings.py): the benchmark's one
            # client signs up tens of thousands of addresses, each once.
            "VARSEL_SIGNUP_LIMIT_PER_CLIENT": "1000000",
            "VARSEL_SIGNUP_LIMIT_PER_ADDRESS": "10000",
            "VARSEL_SIGNUP_LIMIT_PER_ADDRESS_DAILY": "240000",
            "VARSEL_LOG_LEVEL": "WARNING",
            "VARSEL_WATCHER_ENABLED": "false",
            "VARSEL_VAR_DIR": f"/tmp/{name}",
            "BENCH_DATABASE_URL": url,
        }
        # Its «database is up to date» is no figure: kept out of the report (errors still show).
        migrate = [str(BIN / "varsel"), "migrate"]
        subprocess.run(migrate, env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        _admin_db = url.replace("postgresql+asyncpg://", "postgresql://")

        async def create_table() -> None:
            connection = await asyncpg.connect(_admin_db)
            try:
                await connection.execute(
                    "CREATE TABLE bench_signups (id uuid PRIMARY KEY, email varchar(320) UNIQUE,"
                    " frequency varchar(10), created_at timestamptz)"
                )
            finally:
                await connection.close()

        asyncio.run(create_table())
        varsel = ["-m", "varsel", "run", "subscriptions"]
        runs: list[tuple[str, list[str], Path, dict[str, str]]] = [
            (BARE, ["-m", "uvicorn", "--app-dir", str(HERE), "bare_app:app"], ROOT, env),
            ("varsel sign-up", varsel, ROOT, env),
        ]
        for n, checkout in enumerate(args.compare_with):
            other = {
                **env,
                "VARSEL_DATABASE_URL": f"{url}_{n}",
                "VARSEL_VAR_DIR": f"/tmp/{name}_{n}",
            }
            subprocess.run(migrate, env=other, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
            runs.append((f"varsel sign-up ({checkout})", varsel, checkout, other))
        servers = {}
        for label, command, cwd, process_env in runs:
            port = _free_port()
            argv = [str(BIN / "python"), *command, "--port", str(port)]
            if "uvicorn" in command:
                argv += ["--no-access-log", "--log-level", "warning"]
            # `python -m varsel` run in a checkout imports that checkout's code.
            process = subprocess.Popen(argv, env=process_env, cwd=cwd)
            processes.append(process)
            base_url = f"http://127.0.0.1:{port}"
            _wait_up(f"{base_url}/subscribe/norge-i-verden", process)
            servers[label] = (base_url, process.pid)
        for base_url, _ in servers.values():
            _drive("load.py", base_url, concurrency=args.concurrency, seconds=args.warmup)
        before = os.getloadavg()[0]
        per_round = args.seconds / args.rounds
        saturated = _alternate(
            servers,
            args.rounds,
            lambda u: _drive("load.py", u, concurrency=args.concurrency, seconds=per_round),
        )
        saturation_loads = _loads(before, os.getloadavg()[0])
        rate = args.rate or saturated[BARE]["requests_per_s"] / 2
        before = os.getloadavg()[0]
        per_round = args.open_seconds / args.rounds
        opened = _alternate(
            servers, args.rounds, lambda u: _drive("open_loop.py", u, rate=rate, seconds=per_round)
        )
        open_loads = _loads(before, os.getloadavg()[0])
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        for n, _ in enumerate(args.compare_with):
            _admin(f'DROP DATABASE IF EXISTS "{name}_{n}" WITH (FORCE)')
    _print_saturation(args, saturated, saturation_loads)
    _print_open_loop(args, rate, opened, open_loads)


if __name__ == "__main__":
    main()
