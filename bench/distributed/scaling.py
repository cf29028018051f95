"""Measure how sending scales with 1, 2 and 4 ``varsel run mailer`` processes on one database.

Run (needs PostgreSQL at VARSEL_TEST_POSTGRES or 127.0.0.1:5432/test, and Postfix's smtp-sink
and smtp-source: ``apt-get install -y postfix``, see bench/README.md)::

    .venv/bin/python bench/distributed/scaling.py 20000 --processes 1 2 4

The same fan-out as ``bench/mailer/fanout.py``: one ``content.changed`` to N immediate
subscribers, sent to ``smtp-sink`` on loopback. For each process count it makes a fresh database,
seeds N subscribers, starts that many mailer processes (separate OS processes sharing the
database; claims use FOR UPDATE SKIP LOCKED) and waits until each answers /readyz, then fans the
change out from this process and times until the ledger says every mail was sent. CPU per
process comes from /proc (user + system time over the sending window); so does the CPU of this
run's smtp-sink and of the PostgreSQL backends serving this run's database when sending begins
(a floor: not the WAL writer, the checkpointer, or a backend opened later; and on a shared
machine, nobody else's queries). The ceiling, in the same run against the same sink, is
smtp-source sending N copies of one of these mails (sent alone first, to record it) with as many
sessions as one process's pool has connections, reusing each connection and then with one per
mail (``bench/mailer/ceiling.py``). Each row ends with the 1-minute load average before and
after it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
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
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "mailer"))
from ceiling import Ceilings, Sink, ceilings, free_port, load, record_mails, sink

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
BASE_URL = "https://varsel.example.no"


def cpu_seconds(pid: int) -> float:
    """Return a process's user + system CPU time so far (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


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
        await runtime.relay.settled()  # a fan-out may outlast the pass's wait
        return time.perf_counter() - started
    finally:
        await runtime.close()


async def send_one(url: str, catalogue: Path, smtp_url: str) -> bytes:
    """Fan the change out to one person and send it from here; return the mail sent."""
    settings = Settings(database_url=url, config=catalogue, smtp_url=smtp_url, base_url=BASE_URL)
    runtime = build_runtime(settings)
    mailer = Mailer(runtime)
    recording = record_mails(mailer)
    try:
        await record_change(runtime.sessions, TOPIC)
        await runtime.relay.publish_pending()
        await runtime.relay.settled()  # a fan-out may outlast the pass's wait
        while await mailer.worker.send_due():
            pass
        assert recording.first is not None, "no mail was sent"
        return recording.first
    finally:
        await mailer.sender.close()
        await runtime.close()


async def backends(url: str) -> list[int]:
    """Return the PostgreSQL backends serving the benchmark's database (no one else's)."""
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        rows = await connection.fetch(
            "SELECT pid FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return [int(row[0]) for row in rows]
    finally:
        await connection.close()


async def wait_until_sent(url: str) -> None:
    """Return once no delivery is left to send.

    One connection, and a question the claims' partial index answers at its first entry: a new
    connection and a count of the whole ledger ten times a second cost PostgreSQL more than a
    tenth of a core, taken from the mailers on a machine whose cores they fill. The index's
    condition is is_open (migration 0027): asked by the status, PostgreSQL reads the table.
    """
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        left = "SELECT EXISTS (SELECT 1 FROM mail_deliveries WHERE is_open)"
        while True:
            if not await connection.fetchval(left):
                return
            await asyncio.sleep(0.05)
    finally:
        await connection.close()


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
    loads: tuple[float, float]


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
                env={**env, "VARSEL_BASE_URL": BASE_URL},
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


@contextmanager
def database() -> Iterator[str]:
    """Create a fresh, migrated database; yield its URL; drop it afterwards."""
    name = f"varsel_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        base = ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        upgrade(f"{base}/{name}")
        yield f"{base}/{name}"
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def sample_mail(sink_port: int) -> bytes:
    """Send the change to one person, alone, and return the mail: smtp-source sends the same."""
    with database() as url, tempfile.TemporaryDirectory() as directory:
        catalogue = Path(directory) / "catalogue.toml"
        catalogue.write_text(CATALOGUE, encoding="utf-8")
        asyncio.run(seed(url, catalogue, 1))
        return asyncio.run(send_one(url, catalogue, f"smtp://127.0.0.1:{sink_port}"))


def measure(count: int, processes: int, smtp: Sink, concurrency: int) -> Run:
    """Fan one change out to ``count`` people and send it with ``processes`` mailers."""
    load_before = load()
    workdir = Path(tempfile.mkdtemp(prefix="varsel-scaling-"))
    catalogue = workdir / "catalogue.toml"
    catalogue.write_text(CATALOGUE, encoding="utf-8")
    smtp_url = f"smtp://127.0.0.1:{smtp.port}"
    mailers: list[subprocess.Popen[bytes]] = []
    try:
        with database() as url:
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
            try:
                asyncio.run(seed(url, catalogue, count))
                mailers = start_mailers(processes, env, workdir)
                fanout = asyncio.run(fan_out(url, catalogue, smtp_url))
                postgres = asyncio.run(backends(url))
                sinks = [smtp.pid]
                started = time.perf_counter()
                before = [cpu_seconds(p.pid) for p in mailers]
                postgres_before, sink_before = total_cpu(postgres), total_cpu(sinks)
                asyncio.run(wait_until_sent(url))
                elapsed = time.perf_counter() - started
                used = [cpu_seconds(p.pid) - b for p, b in zip(mailers, before, strict=True)]
                postgres_used = total_cpu(postgres) - postgres_before
                sink_used = total_cpu(sinks) - sink_before
                statuses = asyncio.run(ledger(url))
                assert statuses == {"sent": count}, statuses
            finally:
                stop(mailers)
        return Run(
            processes=processes,
            fanout_s=fanout,
            send_s=elapsed,
            mails_per_s=count / elapsed,
            cpu_per_process=[u / elapsed for u in used],
            postgres_cpu=postgres_used / elapsed,
            sink_cpu=sink_used / elapsed,
            loads=(load_before, load()),
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def table(runs: list[Run], top: Ceilings) -> str:
    """Return the runs and the ceilings as a Markdown table."""
    lines = [
        "| mailer processes | mails/s | vs one process | ceiling, connection reused | **ratio** "
        "| ceiling, connection per mail (old) | ratio (old) | CPU per mailer process "
        "| PostgreSQL CPU | smtp-sink CPU | fan-out s | send s | load before → after |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    base = runs[0].mails_per_s
    for run in runs:
        rate = run.mails_per_s
        lines.append(
            f"| {run.processes} | {rate:,.0f} | {rate / base:.2f}x | {top.reused:,.0f} "
            f"| **{rate / top.reused:.2f}** | {top.per_mail:,.0f} | {rate / top.per_mail:.2f} "
            f"| {', '.join(f'{c:.0%}' for c in run.cpu_per_process)} | {run.postgres_cpu:.0%} "
            f"| {run.sink_cpu:.0%} | {run.fanout_s:.1f} | {run.send_s:.1f} "
            f"| {run.loads[0]:.1f} → {run.loads[1]:.1f} |"
        )
    return "\n".join(lines)


def main() -> None:
    """Parse arguments, run each process count, print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("count", nargs="?", type=int, default=20_000)
    parser.add_argument("--processes", nargs="+", type=int, default=[1, 2, 4])
    parser.add_argument(
        "--concurrency",
        type=int,
        default=Settings.model_fields["mail_concurrency"].default,
        help="SMTP pool per process (default: varsel's)",
    )
    args = parser.parse_args()
    with sink() as smtp:
        mail = sample_mail(smtp.port)
        runs = [measure(args.count, n, smtp, args.concurrency) for n in args.processes]
        top = ceilings(smtp.port, args.count, args.concurrency, mail)
    print(
        f"{args.count:,} mails; pool of {args.concurrency} connections per process; "
        f"smtp-source -s {args.concurrency} with a mail of {top.message_bytes:,} bytes"
    )
    print(table(runs, top))


if __name__ == "__main__":
    main()
