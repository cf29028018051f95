"""Measure one change fanned out to N immediate subscribers on PostgreSQL, sent to smtp-sink.

Run (needs PostgreSQL at VARSEL_TEST_POSTGRES or 127.0.0.1:5432/test, and Postfix's smtp-sink
and smtp-source, e.g. ``apt-get install -y postfix``)::

    .venv/bin/python bench/mailer/fanout.py 10000 100000

For each N it starts ``smtp-sink -c 127.0.0.1:2525 1000``, seeds N subscribers into a fresh
database with COPY from another process (``seed.py``), then in a fresh process records one
``content.changed`` event, times the fan-out and the sending, and reports mails/s, CPU per mail
and that process's peak RSS (the mailer's own, seeding excluded). ``smtp-source -s 8 -m N -l
<mail size>`` against the same sink, right after, is the ceiling; the ratio is within one run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
from sqlalchemy import select

from services.mailer.adapters.tables import Delivery
from services.mailer.bootstrap import Mailer
from shared.events import ContentChanged
from shared.outbox import record
from shared.runtime import build_runtime
from shared.schema import upgrade
from shared.settings import Settings

HERE = Path(__file__).resolve().parent
ADMIN = os.environ.get("VARSEL_TEST_POSTGRES", "postgresql://127.0.0.1:5432/test")
SINK = ("127.0.0.1", 2525)
CATALOGUE = """
[[topics]]
slug = "topic-1"
title = { nb = "Norge i verden", en = "Norway in the world" }
page = "https://www.fhi.no/om/internasjonalt/norge-i-verden/"
"""


async def admin(statement: str) -> None:
    """Run one statement on the admin database."""
    connection = await asyncpg.connect(ADMIN)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def seed(url: str, count: int) -> float:
    """Seed ``count`` immediate subscribers from another process (COPY); return its seconds."""
    done = subprocess.run(
        [sys.executable, str(HERE / "seed.py"), "immediate", plain_url(url), str(count)],
        check=True,
        capture_output=True,
        text=True,
    )
    return float(json.loads(done.stdout)["seed_s"])


def plain_url(url: str) -> str:
    """Return the asyncpg (driverless) form of a SQLAlchemy URL."""
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def measure(
    url: str, count: int, concurrency: int, batch: int, profile: bool
) -> dict[str, float]:
    """Fan one change out to the seeded people and send it; return timings and peak RSS."""
    directory = Path(tempfile.mkdtemp())
    try:
        catalogue = directory / "catalogue.toml"
        catalogue.write_text(CATALOGUE, encoding="utf-8")
        settings = Settings(
            database_url=url,
            smtp_url=f"smtp://{SINK[0]}:{SINK[1]}",
            config=catalogue,
            mail_concurrency=concurrency,
            base_url="https://varsel.example.no",
        )
        runtime = build_runtime(settings)
        mailer = Mailer(runtime)
        mailer.worker._batch_size = batch  # the bench tries other sizes
        event = ContentChanged(
            source_id=1,
            source_url="https://www.fhi.no/om/internasjonalt/norge-i-verden/",
            kind="page",
            topics=("topic-1",),
            title="Norge i verden: ny rapport om global helse",
            url="https://www.fhi.no/om/internasjonalt/norge-i-verden/",
            summary="Nytt avsnitt om Norges bidrag til global helse. Tabell 2 er oppdatert.",
        )
        async with runtime.sessions() as session, session.begin():
            await record(session, event)
        started = time.perf_counter()
        await runtime.relay.publish_pending()
        fanout = time.perf_counter() - started
        profiler = None
        if profile:
            from pyinstrument import Profiler

            profiler = Profiler(async_mode="enabled")
            profiler.start()
        started, cpu = time.perf_counter(), time.process_time()
        sent = 0
        while handled := await mailer.worker.send_due():
            sent += handled
        sending, cpu = time.perf_counter() - started, time.process_time() - cpu
        if profiler is not None:
            profiler.stop()
            print(profiler.output_text(unicode=False, color=False, show_all=False), file=sys.stderr)
        async with runtime.sessions() as session:
            statuses = (await session.scalars(select(Delivery.status))).all()
        assert sent == count and set(statuses) == {"sent"}, (sent, set(statuses))
        await mailer.sender.close()
        await runtime.close()
        return {
            "fanout_s": fanout,
            "send_s": sending,
            "mails_per_s": count / sending,
            "cpu_ms_per_mail": 1000 * cpu / count,
            "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def run_one(count: int, args: argparse.Namespace) -> dict[str, float]:
    """Measure one size in a fresh database and a fresh process (its peak RSS is its own)."""
    name = f"varsel_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    url = ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + f"/{name}"
    try:
        upgrade(url)
        seeded = seed(url, count)
        command = [sys.executable, __file__, "--measure", url, str(count)]
        command += ["--concurrency", str(args.concurrency), "--batch", str(args.batch)]
        command += ["--profile"] if args.profile else []
        done = subprocess.run(command, check=True, capture_output=True, text=True)
        if args.profile:
            print(done.stderr, file=sys.stderr)
        return {"seed_s": seeded, **json.loads(done.stdout.strip().splitlines()[-1])}
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def ceiling(count: int, size: int) -> float:
    """Return smtp-source's mails/s against the same sink: the most the sink takes."""
    started = time.perf_counter()
    subprocess.run(
        ["smtp-source", "-s", "8", "-m", str(count), "-l", str(size), f"{SINK[0]}:{SINK[1]}"],
        check=True,
    )
    return count / (time.perf_counter() - started)


def main() -> None:
    """Parse arguments, run each size, print a Markdown table row per size."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("counts", nargs="*", type=int, default=[10_000])
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--size", type=int, default=6000, help="bytes per mail for smtp-source")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--measure", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        count = args.counts[0]
        result = asyncio.run(
            measure(args.measure, count, args.concurrency, args.batch, args.profile)
        )
        print(json.dumps(result))
        return
    as_root = ["-u", "nobody"] if os.geteuid() == 0 else []  # smtp-sink refuses to run as root
    sink = subprocess.Popen(
        ["smtp-sink", *as_root, "-c", f"{SINK[0]}:{SINK[1]}", "1000"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(0.5)
        print(f"load average before: {os.getloadavg()}")
        print(
            "| N | pool | fan-out s | send s | mails/s | CPU ms/mail | peak RSS MiB "
            "| smtp-source mails/s | ratio |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        for count in args.counts:
            result = run_one(count, args)
            top = ceiling(count, args.size)
            print(
                f"| {count:,} | {args.concurrency} | {result['fanout_s']:.1f} "
                f"| {result['send_s']:.1f} | {result['mails_per_s']:.0f} "
                f"| {result['cpu_ms_per_mail']:.2f} | {result['rss_mib']:.0f} | {top:.0f} "
                f"| {result['mails_per_s'] / top:.2f} |",
                flush=True,
            )
        print(f"load average after: {os.getloadavg()}")
    finally:
        sink.terminate()
        sink.wait(timeout=10)


if __name__ == "__main__":
    main()
