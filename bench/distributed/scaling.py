"""Measure how sending scales with 1, 2 and 4 ``varsel run mailer`` processes on one database.

Run (needs PostgreSQL at VARSEL_TEST_POSTGRES or 127.0.0.1:5432/test, and Postfix's smtp-sink
and smtp-source, e.g. ``apt-get install -y postfix``)::

    .venv/bin/python bench/distributed/scaling.py 20000 --processes 1 2 4

The same fan-out as ``bench/mailer/fanout.py``: one ``content.changed`` to N immediate
subscribers, sent to ``smtp-sink`` on loopback. For each process count it makes a fresh database,
seeds N subscribers, starts that many mailer processes (separate OS processes sharing the
database; claims use FOR UPDATE SKIP LOCKED) and waits until each answers /readyz, then fans the
change out from this process and times until the ledger says every mail was sent. CPU per
process comes from /proc (user + system time over the sending window); PostgreSQL's and
smtp-sink's CPU is measured the same way. ``smtp-source -s 8 -m N`` against the same sink, in the
same run, is the ceiling.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx

from services.mailer.bootstrap import Mailer
from services.subscriptions.adapters.tables import Subscriber, Subscription
from shared.db import refresh_statistics
from shared.runtime import build_runtime
from shared.schema import upgrade
from shared.settings import Settings

# The seeding helpers of the crash tests live under tests/, beside the project's packages.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.support.seed import insert_immediate_subscribers, record_change

ADMIN = os.environ.get("VARSEL_TEST_POSTGRES", "postgresql://127.0.0.1:5432/test")
TOPIC = "norge-i-verden"
CATALOGUE = f"""
[[topics]]
slug = "{TOPIC}"
title = {{ nb = "Norge i verden", en = "Norway in the world" }}
page = "https://www.fhi.no/om/internasjonalt/norge-i-verden/"
"""
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    """Return a port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """Return a process's user + system CPU time so far (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def pids_named(name: str) -> list[int]:
    """Return the ids of running processes whose command name is ``name``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == name:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def total_cpu(pids: Iterable[int]) -> float:
    """Return the summed CPU seconds of some processes."""
    return sum(cpu_seconds(pid) for pid in pids)


async def admin(statement: str) -> None:
    """Run one statement on the admin database."""
    connection = await asyncpg.connect(ADMIN)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def seed(url: str, catalogue: Path, count: int) -> None:
    """Insert ``count`` confirmed immediate subscribers of the topic, in bulk."""
    runtime = build_runtime(Settings(database_url=url, config=catalogue))
    try:
        await insert_immediate_subscribers(runtime.sessions, count, TOPIC)
        # As a live database would have (bench/mailer/seed.py does the same).
        async with runtime.sessions() as session:
            await refresh_statistics(session, Subscriber, Subscription)
            await session.commit()
    finally:
        await runtime.close()


async def fan_out(url: str, catalogue: Path, smtp_url: str) -> float:
    """Record one change and fan it out here (the mailer's consumer); return the seconds taken."""
    runtime = build_runtime(Settings(database_url=url, config=catalogue, smtp_url=smtp_url))
    Mailer(runtime)  # subscribes the mailer's consumers on this process's bus
    try:
        await record_change(runtime.sessions, TOPIC)
        started = time.perf_counter()
        await runtime.relay.publish_pending()
        return time.perf_counter() - started
    finally:
        await runtime.close()


async def ledger(url: str) -> dict[str, int]:
    """Count deliveries per status."""
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        rows = await connection.fetch("SELECT status, count(*) FROM mail_deliveries GROUP BY 1")
        return {r[0]: int(r[1]) for r in rows}
    finally:
        await connection.close()


@dataclass
class Run:
    """What one process count achieved."""

    processes: int
    fanout_s: float
    send_s: float
    mails_per_s: float
    cpu_per_process: list[float]
    postgres_cpu: float
    sink_cpu: float


def start_mailers(count: int, env: dict[str, str], workdir: Path) -> list[subprocess.Popen[bytes]]:
    """Start ``count`` mailer processes and wait until each is ready."""
    processes = []
    ports = []
    for n in range(count):
        port = free_port()
        log = (workdir / f"mailer-{n}.log").open("ab")
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "varsel", "run", "mailer", "--port", str(port)],
                cwd=workdir,
                env={**env, "VARSEL_BASE_URL": "https://varsel.example.no"},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        ports.append(port)
    deadline = time.monotonic() + 180
    for process, port in zip(processes, ports, strict=True):
        while True:
            if process.poll() is not None:
                raise SystemExit(f"a mailer exited early; see {workdir}/mailer-*.log")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("mailers did not become ready")
            time.sleep(0.2)
    return processes


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM each mailer and wait for it."""
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def measure(count: int, processes: int, sink_port: int, concurrency: int) -> Run:
    """Fan one change out to ``count`` people and send it with ``processes`` mailers."""
    name = f"varsel_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    url = ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + f"/{name}"
    workdir = Path(tempfile.mkdtemp(prefix="varsel-scaling-"))
    catalogue = workdir / "catalogue.toml"
    catalogue.write_text(CATALOGUE, encoding="utf-8")
    smtp_url = f"smtp://127.0.0.1:{sink_port}"
    env = {
        **os.environ,
        "VARSEL_DATABASE_URL": url,
        "VARSEL_SMTP_URL": smtp_url,
        "VARSEL_CONFIG": str(catalogue),
        "VARSEL_VAR_DIR": str(workdir / "var"),
        "VARSEL_MAIL_POLL_SECONDS": "0.2",
        "VARSEL_MAIL_CONCURRENCY": str(concurrency),
        "VARSEL_LOG_LEVEL": "WARNING",
        "VARSEL_WATCHER_ENABLED": "false",
    }
    mailers: list[subprocess.Popen[bytes]] = []
    try:
        upgrade(url)
        asyncio.run(seed(url, catalogue, count))
        mailers = start_mailers(processes, env, workdir)
        sinks = pids_named("smtp-sink")
        postgres = pids_named("postgres")
        fanout = asyncio.run(fan_out(url, catalogue, smtp_url))
        started = time.perf_counter()
        before = [cpu_seconds(p.pid) for p in mailers]
        postgres_before, sink_before = total_cpu(postgres), total_cpu(sinks)
        while asyncio.run(ledger(url)).get("sent", 0) < count:
            time.sleep(0.1)
        elapsed = time.perf_counter() - started
        used = [cpu_seconds(p.pid) - b for p, b in zip(mailers, before, strict=True)]
        postgres_used = total_cpu(postgres) - postgres_before
        sink_used = total_cpu(sinks) - sink_before
        statuses = asyncio.run(ledger(url))
        assert statuses == {"sent": count}, statuses
        return Run(
            processes=processes,
            fanout_s=fanout,
            send_s=elapsed,
            mails_per_s=count / elapsed,
            cpu_per_process=[u / elapsed for u in used],
            postgres_cpu=postgres_used / elapsed,
            sink_cpu=sink_used / elapsed,
        )
    finally:
        stop(mailers)
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        shutil.rmtree(workdir, ignore_errors=True)


def ceiling(count: int, size: int, port: int) -> float:
    """Return smtp-source's mails/s against the same sink: the most the sink takes."""
    started = time.perf_counter()
    subprocess.run(
        [
            shutil.which("smtp-source") or "/usr/sbin/smtp-source",
            "-s",
            "8",
            "-m",
            str(count),
            "-l",
            str(size),
            f"127.0.0.1:{port}",
        ],
        check=True,
    )
    return count / (time.perf_counter() - started)


def main() -> None:
    """Parse arguments, run each process count, print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("count", nargs="?", type=int, default=20_000)
    parser.add_argument("--processes", nargs="+", type=int, default=[1, 2, 4])
    parser.add_argument("--concurrency", type=int, default=8, help="SMTP pool per process")
    parser.add_argument("--size", type=int, default=6000, help="bytes per mail for smtp-source")
    args = parser.parse_args()
    port = free_port()
    as_root = ["-u", "nobody"] if os.geteuid() == 0 else []  # smtp-sink refuses to run as root
    sink_command = shutil.which("smtp-sink") or "/usr/sbin/smtp-sink"
    sink = subprocess.Popen(
        [sink_command, *as_root, "-c", f"127.0.0.1:{port}", "1000"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(0.5)
        print(f"load before: {os.getloadavg()}", flush=True)
        runs = [measure(args.count, n, port, args.concurrency) for n in args.processes]
        top = ceiling(args.count, args.size, port)
        print(f"load after: {os.getloadavg()}", flush=True)
        print(
            "| mailer processes | fan-out s | send s | mails/s | vs one process "
            "| CPU per mailer process | PostgreSQL CPU | smtp-sink CPU |"
        )
        print("|---|---|---|---|---|---|---|---|")
        base = runs[0].mails_per_s
        for run in runs:
            per = ", ".join(f"{c:.0%}" for c in run.cpu_per_process)
            print(
                f"| {run.processes} | {run.fanout_s:.1f} | {run.send_s:.1f} "
                f"| {run.mails_per_s:.0f} | {run.mails_per_s / base:.2f}x | {per} "
                f"| {run.postgres_cpu:.0%} | {run.sink_cpu:.0%} |",
                flush=True,
            )
        print(f"\nsmtp-source -s 8 -m {args.count} -l {args.size} ceiling: {top:.0f} mails/s")
    finally:
        sink.terminate()
        sink.wait(timeout=10)


if __name__ == "__main__":
    main()
