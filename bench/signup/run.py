"""Sign-up throughput: varsel's sign-up page against a bare FastAPI INSERT, same database.

Starts PostgreSQL databases of its own (fresh each run), varsel (subscriptions only) and the
bare app under uvicorn as subprocesses, and drives each in turn from a separate load process.

    .venv/bin/python bench/signup/run.py [--seconds 20] [--concurrency 20]
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


def _load(url: str, concurrency: int, seconds: float) -> dict[str, float]:
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
    figures: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return figures


def main() -> None:
    """Run both servers and both loads; print a Markdown table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--warmup", type=float, default=3.0)
    args = parser.parse_args()

    name = f"varsel_bench_{uuid.uuid4().hex[:10]}"
    _admin(f'CREATE DATABASE "{name}"')
    base = ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    url = f"{base}/{name}"
    processes: list[subprocess.Popen[bytes]] = []
    results: dict[str, dict[str, float]] = {}
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
        servers = {}
        for label, command in (
            ("bare FastAPI INSERT", ["-m", "uvicorn", "--app-dir", str(HERE), "bare_app:app"]),
            ("varsel sign-up", ["-m", "varsel", "run", "subscriptions"]),
        ):
            port = _free_port()
            argv = [str(BIN / "python"), *command, "--port", str(port)]
            if "uvicorn" in command:
                argv += ["--no-access-log", "--log-level", "warning"]
            process = subprocess.Popen(argv, env=env, cwd=ROOT)
            processes.append(process)
            base_url = f"http://127.0.0.1:{port}"
            _wait_up(f"{base_url}/subscribe/norge-i-verden", process)
            servers[label] = base_url
        for label, base_url in servers.items():
            _load(base_url, args.concurrency, args.warmup)
            results[label] = _load(base_url, args.concurrency, args.seconds)
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    print(f"\n{args.concurrency} connections, {args.seconds:.0f} s each, 1 uvicorn worker each")
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


if __name__ == "__main__":
    main()
