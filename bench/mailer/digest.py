"""Time one weekly digest run on PostgreSQL: N people, each following T topics with C changes each.

    .venv/bin/python bench/mailer/digest.py 100000 --topics 5 --changes 20

Seeds a fresh database with COPY from another process (``seed.py weekly``: the subscribers
and the week's changes, not yet told), then, in a fresh process with the clock just after
Monday 07:00 Oslo time, times the week's fan-out (each change told as it arrived), queueing
the digests, and building and sending them to Postfix's ``smtp-sink``.
Right after, smtp-source sends N copies (at most ``--ceiling-mails``) of one of those digests
to the same sink with as many sessions as the pool has connections, reusing each connection
and then with one per mail (``ceiling.py``). Needs ``apt-get install -y postfix`` (see
bench/README.md).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select, text

from services.mailer.adapters.tables import ChangeRecord, Delivery
from services.mailer.bootstrap import Mailer
from services.mailer.fanout import fan_out
from shared import event_loop
from shared.clock import FrozenClock
from shared.runtime import build_runtime
from shared.schema import upgrade
from shared.settings import Settings

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from ceiling import Ceilings, ceilings, load, record_mails, sink  # noqa: E402
from fanout import ADMIN, admin, plain_url  # noqa: E402

WEEK_START = "2026-11-16T06:00:00+00:00"  # Monday 07:00 in Oslo
RUN_AT = datetime.fromisoformat("2026-11-23T06:00:30+00:00")
# The tables that hold what the week owes people (not the delivery ledger, which is per mail).
OWED_TABLES = ("mail_pending_items", "mail_digest_cursors", "mail_changes")


def catalogue(topics: int) -> str:
    """Return a catalogue with the benchmark topics."""
    return "".join(
        f'[[topics]]\nslug = "topic-{n}"\ntitle = {{ nb = "Tema {n}", en = "Topic {n}" }}\n'
        f'page = "https://www.fhi.no/tema-{n}/"\n\n'
        for n in range(1, topics + 1)
    )


async def measure(args: argparse.Namespace) -> tuple[dict[str, float], bytes]:
    """Queue and send the week's digests; return timings, CPU, peak RSS and one digest sent."""
    url, count = args.measure, args.n
    directory = Path(tempfile.mkdtemp())
    try:
        path = directory / "catalogue.toml"
        path.write_text(catalogue(args.topics), encoding="utf-8")
        settings = Settings(
            database_url=url,
            smtp_url=f"smtp://127.0.0.1:{args.smtp_port}",
            config=path,
            mail_concurrency=args.concurrency,
            base_url="https://varsel.example.no",
            digest_hour=7,
            digest_weekday=0,
        )
        runtime = build_runtime(settings, clock=FrozenClock(RUN_AT))
        mailer = Mailer(runtime)
        recording = record_mails(mailer)
        period = mailer.digests.latest_period("weekly", RUN_AT)
        started, cpu = time.perf_counter(), time.process_time()
        # The week's fan-out: each change told as it arrived (a place in the release log; no
        # immediate followers here, so no alerts).
        async with runtime.sessions() as session:
            week = (
                await session.execute(
                    select(ChangeRecord.id, ChangeRecord.topics, ChangeRecord.occurred_at).order_by(
                        ChangeRecord.occurred_at
                    )
                )
            ).all()
        for change_id, topics, occurred_at in week:
            async with runtime.sessions() as session, session.begin():
                await fan_out(session, change_id, topics, occurred_at)
        fanned_out = time.perf_counter() - started
        queued = await mailer.digests.run_period(period)
        queueing = time.perf_counter() - started - fanned_out
        sent = 0
        while handled := await mailer.worker.send_due():
            sent += handled
        total, cpu = time.perf_counter() - started, time.process_time() - cpu
        async with runtime.sessions() as session:
            # What the week left owed besides the ledger: pending items, cursors, the changes.
            owed_rows = owed_bytes = 0
            for table in OWED_TABLES:
                owed_rows += int(await session.scalar(text(f"SELECT count(*) FROM {table}")) or 0)
                owed_bytes += int(
                    await session.scalar(text(f"SELECT pg_total_relation_size('{table}')")) or 0
                )
            statuses = dict(
                (
                    await session.execute(
                        select(Delivery.status, func.count()).group_by(Delivery.status)
                    )
                ).all()
            )
        assert queued == count and statuses == {"sent": count}, (queued, statuses)
        assert recording.first is not None
        await mailer.sender.close()
        await runtime.close()
        figures = {
            "fanout_s": fanned_out,
            "owed_rows": owed_rows,
            "owed_mib": owed_bytes / 2**20,
            "queue_s": queueing,
            "send_s": total - fanned_out - queueing,
            "total_s": total,
            "digests_per_s": count / total,
            "cpu_ms_per_digest": 1000 * cpu / count,
            "mean_bytes": recording.mean_bytes,
            "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
        return figures, recording.first
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def run(args: argparse.Namespace, port: int, message_out: Path) -> dict[str, float]:
    """Seed a fresh database from another process, then measure in a fresh process."""
    name = f"varsel_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    url = ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + f"/{name}"
    try:
        upgrade(url)
        seeding = [sys.executable, str(HERE / "seed.py"), "weekly", plain_url(url), str(args.n)]
        seeding += ["--topics", str(args.topics), "--changes", str(args.changes)]
        seeded = subprocess.run(
            [*seeding, "--week-start", WEEK_START], check=True, capture_output=True, text=True
        )
        command = [sys.executable, __file__, str(args.n), "--measure", url]
        command += ["--topics", str(args.topics), "--concurrency", str(args.concurrency)]
        command += ["--smtp-port", str(port), "--message-out", str(message_out)]
        done = subprocess.run(command, check=True, capture_output=True, text=True)
        return {**json.loads(seeded.stdout), **json.loads(done.stdout.strip().splitlines()[-1])}
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


HEADER = (
    "| people | items each | digests/s | ceiling, connection reused | **ratio** "
    "| ceiling, connection per mail (old) | ratio (old) | week's fan-out s | queue s | send s "
    "| **total s** | owed rows | owed MiB | CPU ms/digest | mean KiB | peak RSS MiB | seed s "
    "| load before → after |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
)


def row(args: argparse.Namespace, r: dict[str, float], top: Ceilings, loads: list[float]) -> str:
    """Return the run's figures as a Markdown table row."""
    rate = r["digests_per_s"]
    return (
        f"| {args.n:,} | {args.topics * args.changes} | {rate:,.0f} | {top.reused:,.0f} "
        f"| **{rate / top.reused:.2f}** | {top.per_mail:,.0f} | {rate / top.per_mail:.2f} "
        f"| {r['fanout_s']:.1f} | {r['queue_s']:.1f} | {r['send_s']:.1f} "
        f"| **{r['total_s']:.1f}** | {r['owed_rows']:,.0f} | {r['owed_mib']:.1f} "
        f"| {r['cpu_ms_per_digest']:.2f} | {r['mean_bytes'] / 1024:.0f} | {r['rss_mib']:.0f} "
        f"| {r['seed_s']:.0f} | {loads[0]:.1f} → {loads[1]:.1f} |"
    )


def main() -> None:
    """Parse arguments, run, print a Markdown table row."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("n", type=int, nargs="?", default=100_000)
    parser.add_argument("--topics", type=int, default=5)
    parser.add_argument("--changes", type=int, default=20, help="changes per topic in the week")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=Settings.model_fields["mail_concurrency"].default,
        help="SMTP pool and sessions (default: varsel's)",
    )
    parser.add_argument(
        "--ceiling-mails",
        type=int,
        default=100_000,
        help="copies smtp-source sends for each ceiling (at most N): its rate, not its total, "
        "is the ceiling, and a million 81 KiB digests would take it twenty minutes",
    )
    parser.add_argument("--measure", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--smtp-port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--message-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        # On the loop varsel runs on (shared/event_loop.py), so the figures are the product's.
        result, mail = event_loop.run(measure(args))
        args.message_out.write_bytes(mail)
        print(json.dumps(result))
        return
    with sink() as smtp, tempfile.TemporaryDirectory() as directory:
        port = smtp.port
        loads = [load()]
        message = Path(directory) / "digest.eml"
        result = run(args, port, message)
        copies = min(args.n, args.ceiling_mails)
        top = ceilings(port, copies, args.concurrency, message.read_bytes())
        loads.append(load())
        print(
            f"pool of {args.concurrency} connections; "
            f"smtp-source -s {args.concurrency}, {copies:,} copies of one digest per ceiling"
        )
        print(HEADER)
        print(row(args, result, top, loads))


if __name__ == "__main__":
    main()
