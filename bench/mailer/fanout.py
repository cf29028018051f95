"""Measure one change fanned out to N immediate subscribers on PostgreSQL, sent to smtp-sink.

Run (needs PostgreSQL at VARSEL_TEST_POSTGRES or 127.0.0.1:5432/test, and Postfix's smtp-sink
and smtp-source, e.g. ``apt-get install -y postfix``)::

    .venv/bin/python bench/mailer/fanout.py 10000 100000

For each N it starts ``smtp-sink -c 127.0.0.1:2525 1000``, seeds N subscribers with bulk INSERTs
into a fresh database, records one ``content.changed`` event, times the fan-out and the sending,
reports mails/s and peak RSS, and times ``smtp-source -s 8 -m N -l <mail size>`` as the ceiling.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import subprocess
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from sqlalchemy import insert, select

from services.mailer.adapters.tables import Delivery
from services.mailer.bootstrap import Mailer
from services.subscriptions.adapters.tables import Subscriber, Subscription
from shared.events import ContentChanged
from shared.outbox import record
from shared.runtime import build_runtime
from shared.schema import upgrade
from shared.settings import Settings

ADMIN = os.environ.get("VARSEL_TEST_POSTGRES", "postgresql://127.0.0.1:5432/test")
SINK = ("127.0.0.1", 2525)
CATALOGUE = """
[[topics]]
slug = "norge-i-verden"
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


async def seed(runtime_sessions: object, count: int) -> None:
    """Insert ``count`` confirmed immediate subscribers of the topic, in bulk."""
    now = datetime.now(UTC)
    sessions = runtime_sessions  # async_sessionmaker
    chunk = 10_000
    for start in range(0, count, chunk):
        ids = [uuid.uuid4() for _ in range(min(chunk, count - start))]
        async with sessions() as session, session.begin():  # type: ignore[operator]
            await session.execute(
                insert(Subscriber),
                [
                    {
                        "id": i,
                        "email": f"p{start + n}@bench.example.org",
                        "language": "nb",
                        "frequency": "immediate",
                        "status": "active",
                        "created_at": now,
                        "confirmed_at": now,
                        "hard_bounces": 0,
                    }
                    for n, i in enumerate(ids)
                ],
            )
            await session.execute(
                insert(Subscription),
                [{"subscriber_id": i, "topic": "norge-i-verden", "started_at": now} for i in ids],
            )


async def measure(count: int, concurrency: int, batch: int, profile: bool) -> dict[str, float]:
    """Fan one change out to ``count`` people and send it; return the timings."""
    name = f"varsel_bench_{uuid.uuid4().hex[:8]}"
    await admin(f'CREATE DATABASE "{name}"')
    url = ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + f"/{name}"
    directory = Path(tempfile.mkdtemp())
    try:
        await asyncio.to_thread(upgrade, url)
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
        await seed(runtime.sessions, count)
        event = ContentChanged(
            source_id=1,
            source_url="https://www.fhi.no/om/internasjonalt/norge-i-verden/",
            kind="page",
            topics=("norge-i-verden",),
            title="Norge i verden: ny rapport om global helse",
            url="https://www.fhi.no/om/internasjonalt/norge-i-verden/",
            summary="Nytt avsnitt om Norges bidrag til global helse. Tabell 2 er oppdatert.",
        )
        async with runtime.sessions() as session, session.begin():
            record(session, event)
        started = time.perf_counter()
        await runtime.relay.publish_pending()
        fanout = time.perf_counter() - started
        profiler = None
        if profile:
            from pyinstrument import Profiler

            profiler = Profiler(async_mode="enabled")
            profiler.start()
        started = time.perf_counter()
        sent = 0
        while handled := await mailer.worker.send_due():
            sent += handled
        sending = time.perf_counter() - started
        if profiler is not None:
            profiler.stop()
            print(profiler.output_text(unicode=False, color=False, show_all=False))
        async with runtime.sessions() as session:
            statuses = (await session.scalars(select(Delivery.status))).all()
        assert sent == count and set(statuses) == {"sent"}, (sent, set(statuses))
        await mailer.sender.close()
        await runtime.close()
        return {"fanout_s": fanout, "send_s": sending, "mails_per_s": count / sending}
    finally:
        await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(directory, ignore_errors=True)


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
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--size", type=int, default=6000, help="bytes per mail for smtp-source")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    as_root = ["-u", "nobody"] if os.geteuid() == 0 else []  # smtp-sink refuses to run as root
    sink = subprocess.Popen(
        ["smtp-sink", *as_root, "-c", f"{SINK[0]}:{SINK[1]}", "1000"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(0.5)
        print(
            "| N | pool | batch | fan-out s | send s | mails/s | peak RSS MiB | ceiling mails/s |"
        )
        print("|---|---|---|---|---|---|---|---|")
        for count in args.counts:
            result = asyncio.run(measure(count, args.concurrency, args.batch, args.profile))
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            top = ceiling(count, args.size)
            print(
                f"| {count} | {args.concurrency} | {args.batch} | {result['fanout_s']:.1f} "
                f"| {result['send_s']:.1f} | {result['mails_per_s']:.0f} | {rss:.0f} | {top:.0f} |",
                flush=True,
            )
    finally:
        sink.terminate()
        sink.wait(timeout=10)


if __name__ == "__main__":
    main()
