"""Sign-up throughput: varsel's sign-up page against a bare FastAPI INSERT, same database.

Starts a PostgreSQL database of its own (fresh each run), varsel (subscriptions only) and the
bare app under uvicorn as subprocesses, and drives each in turn from a separate load process,
alternating between the two in short rounds so that other work on the machine weighs on both.

    .venv/bin/python bench/signup/run.py [--seconds 20] [--concurrency 20] [--rounds 4]
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
from pathlib import Path
from typing import Any

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
ADMIN = os.environ.get("VARSEL_TEST_POSTGRES", "postgresql://127.0.0.1:5432/test")
BIN = Path(sys.executable).parent


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


def _load(url: str, concurrency: int, seconds: float) -> dict[str, Any]:
    out = subprocess.run(
        [
            str(BIN / "python"),
            str(HERE / "load.py"),
            "--url",
            url,
            "--concurrency",
            str(concurrency),
            "--seconds",
            str(seconds),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    figures: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return figures


def _merge(rounds: list[dict[str, Any]]) -> dict[str, float]:
    """Sum the rounds of one endpoint into one line of figures."""
    latencies = sorted(x for r in rounds for x in r["latencies_ms"])
    elapsed = sum(r["elapsed_s"] for r in rounds)
    return {
        "requests": len(latencies),
        "errors": sum(r["errors"] for r in rounds),
        "requests_per_s": len(latencies) / elapsed,
        "p50_ms": latencies[len(latencies) // 2] if latencies else 0.0,
        "p99_ms": latencies[int(len(latencies) * 0.99)] if latencies else 0.0,
    }


def main() -> None:
    """Run both servers and both loads; print a Markdown table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument(
        "--rounds",
        type=int,
        default=4,
        help="alternate the endpoints this many times, so a change in machine load hits both",
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
    results: dict[str, dict[str, float]] = {}
    load_before = os.getloadavg()
    try:
        env = {
            **os.environ,
            "VARSEL_DATABASE_URL": url,
            "VARSEL_SIGNUP_LIMIT_PER_CLIENT": "1000000000",
            "VARSEL_SIGNUP_LIMIT_PER_ADDRESS": "1000000000",
            "VARSEL_LOG_LEVEL": "WARNING",
            "VARSEL_WATCHER_ENABLED": "false",
            "VARSEL_VAR_DIR": f"/tmp/{name}",
            "BENCH_DATABASE_URL": url,
        }
        subprocess.run([str(BIN / "varsel"), "migrate"], env=env, check=True, cwd=ROOT)
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
            (
                "bare FastAPI INSERT",
                ["-m", "uvicorn", "--app-dir", str(HERE), "bare_app:app"],
                ROOT,
                env,
            ),
            ("varsel sign-up", varsel, ROOT, env),
        ]
        for n, checkout in enumerate(args.compare_with):
            other = {
                **env,
                "VARSEL_DATABASE_URL": f"{url}_{n}",
                "VARSEL_VAR_DIR": f"/tmp/{name}_{n}",
            }
            subprocess.run([str(BIN / "varsel"), "migrate"], env=other, check=True, cwd=ROOT)
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
            servers[label] = base_url
        for base_url in servers.values():
            _load(base_url, args.concurrency, args.warmup)
        rounds: dict[str, list[dict[str, Any]]] = {label: [] for label in servers}
        for _ in range(args.rounds):
            for label, base_url in servers.items():
                rounds[label].append(_load(base_url, args.concurrency, args.seconds / args.rounds))
        results = {label: _merge(figures) for label, figures in rounds.items()}
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        for n, _ in enumerate(args.compare_with):
            _admin(f'DROP DATABASE IF EXISTS "{name}_{n}" WITH (FORCE)')
    load_after = os.getloadavg()

    print(
        f"\n{args.concurrency} connections, {args.seconds:.0f} s each in {args.rounds} alternating"
        " rounds, 1 uvicorn worker each"
    )
    print("| endpoint | requests/s | p50 ms | p99 ms | requests | non-200 |")
    print("|---|---|---|---|---|---|")
    for label, r in results.items():
        print(
            f"| {label} | {r['requests_per_s']:.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} "
            f"| {r['requests']:.0f} | {r['errors']:.0f} |"
        )
    ratio = (
        results["varsel sign-up"]["requests_per_s"]
        / results["bare FastAPI INSERT"]["requests_per_s"]
    )
    print(f"\nvarsel / bare = {ratio:.2f} (target >= 0.50)")
    for label, r in results.items():
        if label.startswith("varsel sign-up ("):
            bare = results["bare FastAPI INSERT"]["requests_per_s"]
            print(f"{label} / bare = {r['requests_per_s'] / bare:.2f}")
    before, after = (" ".join(f"{x:.1f}" for x in load) for load in (load_before, load_after))
    print(f"load average (1, 5, 15 min) before: {before}, after: {after}")


if __name__ == "__main__":
    main()
