"""Measure one change fanned out to N immediate subscribers on PostgreSQL, sent to smtp-sink.

Run (needs PostgreSQL at VARSEL_TEST_POSTGRES or 127.0.0.1:5432/test, and Postfix's smtp-sink
and smtp-source: ``apt-get install -y postfix``, see bench/README.md)::

    .venv/bin/python bench/mailer/fanout.py 10000 100000
    .venv/bin/python bench/mailer/fanout.py 2000 --wire     # bytes on the wire, no timing

It starts ``smtp-sink`` on a free loopback port. For each N it seeds N subscribers into a fresh
database with COPY from another process (``seed.py``), then in a fresh process records one
``content.changed`` event, times the fan-out and the sending, and reports mails/s, CPU per mail
and that process's peak RSS (the mailer's own, seeding excluded). Right after, smtp-source
sends N copies of one of those mails to the same sink with as many sessions as the pool has
connections, reusing each connection and then with one per mail (``ceiling.py``); the ratios
are within one run. Each row ends with the 1-minute load average before and after it.
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
from sqlalchemy import func, select

from services.admin.catalogue import apply_at_start
from services.mailer.adapters.tables import Delivery
from services.mailer.bootstrap import Mailer
from shared import event_loop
from shared.events import ContentChanged
from shared.heap import freeze_startup_objects
from shared.outbox import record
from shared.runtime import build_runtime
from shared.schema import upgrade
from shared.settings import Settings

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from ceiling import (  # noqa: E402
    Ceilings,
    ceilings,
    counting_relay,
    load,
    message_file,
    record_mails,
    sink,
    smtp_source,
)

ADMIN = os.environ.get("VARSEL_TEST_POSTGRES", "postgresql://127.0.0.1:5432/test")
CATALOGUE = """
[[topics]]
slug = "topic-1"
title = { nb = "Norge i verden", en = "Norway in the world" }
page = "https://www.fhi.no/om/internasjonalt/norge-i-verden/"

[[sources]]
url = "https://www.fhi.no/om/internasjonalt/norge-i-verden/"
kind = "page"
topics = ["topic-1"]
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


async def measure(url: str, count: int, args: argparse.Namespace) -> tuple[dict[str, float], bytes]:
    """Fan one change out to the seeded people and send it; return timings, peak RSS and a mail.

    The mail is one of those sent, for smtp-source to send the same.
    """
    directory = Path(tempfile.mkdtemp())
    try:
        catalogue = directory / "catalogue.toml"
        catalogue.write_text(CATALOGUE, encoding="utf-8")
        settings = Settings(
            database_url=url,
            smtp_url=f"smtp://127.0.0.1:{args.smtp_port}",
            config=catalogue,
            mail_concurrency=args.concurrency,
            base_url="https://varsel.example.no",
        )
        runtime = build_runtime(settings)
        mailer = Mailer(runtime)
        if args.batch is not None:
            mailer.worker._batch_size = args.batch  # the bench tries other sizes
        recording = record_mails(mailer)
        event = ContentChanged(
            source_id=1,
            source_url="https://www.fhi.no/om/internasjonalt/norge-i-verden/",
            kind="page",
            topics=("topic-1",),
            title="Norge i verden: ny rapport om global helse",
            url="https://www.fhi.no/om/internasjonalt/norge-i-verden/",
            summary="Nytt avsnitt om Norges bidrag til global helse. Tabell 2 er oppdatert.",
        )
        # As `varsel run` does at start: the mailer reads the source's mode from the stored
        # catalogue, and withdraws a polled change of a source it does not hold.
        await apply_at_start(runtime.sessions, catalogue, runtime.clock.now(), allow_private=True)
        async with runtime.sessions() as session, session.begin():
            await record(session, event)
        freeze_startup_objects()  # as `varsel run` does once it has started (shared.heap)
        started = time.perf_counter()
        await runtime.relay.publish_pending()
        await runtime.relay.settled()  # a fan-out may outlast the pass's wait
        fanout = time.perf_counter() - started
        profiler = None
        if args.profile:
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
            # Counted by the database: a row per delivery here would be most of the peak RSS.
            query = select(Delivery.status, func.count()).group_by(Delivery.status)
            statuses = dict((await session.execute(query)).all())
        assert sent == count and statuses == {"sent": count}, (sent, statuses)
        assert recording.first is not None
        await mailer.sender.close()
        await runtime.close()
        figures = {
            "fanout_s": fanout,
            "send_s": sending,
            "mails_per_s": count / sending,
            "cpu_ms_per_mail": 1000 * cpu / count,
            "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "mean_bytes": recording.mean_bytes,
        }
        return figures, recording.first
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def run_one(count: int, args: argparse.Namespace, port: int, message_out: Path) -> dict[str, float]:
    """Measure one size in a fresh database and a fresh process (its peak RSS is its own)."""
    name = f"varsel_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    url = ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + f"/{name}"
    try:
        upgrade(url)
        seeded = seed(url, count)
        command = [sys.executable, __file__, "--measure", url, str(count)]
        command += ["--concurrency", str(args.concurrency)]
        command += ["--batch", str(args.batch)] if args.batch is not None else []
        command += ["--smtp-port", str(port), "--message-out", str(message_out)]
        command += ["--profile"] if args.profile else []
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            # The measuring process's own error, not only that it failed.
            raise SystemExit(f"the measuring process failed:\n{done.stderr[-4000:]}")
        if args.profile:
            print(done.stderr, file=sys.stderr)
        return {"seed_s": seeded, **json.loads(done.stdout.strip().splitlines()[-1])}
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


HEADER = (
    "| N | mails/s | ceiling, connection reused | **ratio** "
    "| ceiling, connection per mail (old) | ratio (old) | CPU ms/mail | peak RSS MiB "
    "| fan-out s | send s | mail bytes | load before → after |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|---|"
)


def row(count: int, result: dict[str, float], top: Ceilings, loads: tuple[float, float]) -> str:
    """Return one size's figures as a Markdown table row."""
    rate = result["mails_per_s"]
    return (
        f"| {count:,} | {rate:,.0f} | {top.reused:,.0f} | **{rate / top.reused:.2f}** "
        f"| {top.per_mail:,.0f} | {rate / top.per_mail:.2f} | {result['cpu_ms_per_mail']:.2f} "
        f"| {result['rss_mib']:.0f} | {result['fanout_s']:.1f} | {result['send_s']:.1f} "
        f"| {result['mean_bytes']:,.0f} | {loads[0]:.1f} → {loads[1]:.1f} |"
    )


def wire(count: int, args: argparse.Namespace, port: int, directory: Path) -> None:
    """Print the bytes each sender puts on the wire per mail, through a counting relay."""
    message = directory / "mail.eml"
    rows = []
    with counting_relay(port) as (relay, counts):
        run_one(count, args, relay, message)
        rows.append(("varsel's pooled sender", *counts.take()))
        file = message_file(message.read_bytes(), directory)
        smtp_source(relay, count, args.concurrency, file, reuse=True)
        rows.append(("smtp-source, connection reused", *counts.take()))
        smtp_source(relay, count, args.concurrency, file, reuse=False)
        rows.append(("smtp-source, connection per mail", *counts.take()))
    print(f"{count:,} mails over {args.concurrency} connections at a time; mail of ", end="")
    print(f"{len(message.read_bytes()):,} bytes; bytes per mail through the relay:")
    print("| sender | to the server | to the client |")
    print("|---|---|---|")
    for label, up, down in rows:
        print(f"| {label} | {up / count:,.0f} | {down / count:,.0f} |")


def main() -> None:
    """Parse arguments, run each size, print a Markdown table row per size."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("counts", nargs="*", type=int, default=[10_000])
    parser.add_argument(
        "--concurrency",
        type=int,
        default=Settings.model_fields["mail_concurrency"].default,
        help="SMTP pool and sessions (default: varsel's)",
    )
    parser.add_argument("--batch", type=int, help="mails claimed at a time (default: varsel's)")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--wire", action="store_true", help="count bytes on the wire instead")
    parser.add_argument("--measure", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--smtp-port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--message-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        # On the loop varsel runs on (shared/event_loop.py), so the figures are the product's.
        result, mail = event_loop.run(measure(args.measure, args.counts[0], args))
        args.message_out.write_bytes(mail)
        print(json.dumps(result))
        return
    with sink() as smtp, tempfile.TemporaryDirectory() as directory:
        port = smtp.port
        if args.wire:
            wire(args.counts[0], args, port, Path(directory))
            return
        print(f"pool of {args.concurrency} connections; smtp-source -s {args.concurrency}")
        print(HEADER, flush=True)
        message = Path(directory) / "mail.eml"
        for count in args.counts:
            before = load()
            result = run_one(count, args, port, message)
            top = ceilings(port, count, args.concurrency, message.read_bytes())
            print(row(count, result, top, (before, load())), flush=True)


if __name__ == "__main__":
    main()
