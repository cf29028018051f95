"""Time one weekly digest run on PostgreSQL: N people, each following T topics with C changes each.

    .venv/bin/python bench/mailer/digest.py 100000 --topics 5 --changes 20

Seeds a fresh database with COPY from another process (``seed.py weekly``: the subscribers,
the week's changes and every pending item the fan-out would have left), then, in a fresh
process with the clock just after Monday 07:00 Oslo time, times queueing the digests (the run
that attaches everyone's items) and building and sending them to Postfix's ``smtp-sink``.
``smtp-source -s <pool> -m N -l <mean digest size>`` against the same sink is the ceiling.
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
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select

from services.mailer.adapters.senders import HandOver, MailSender
from services.mailer.adapters.tables import Delivery
from services.mailer.bootstrap import Mailer
from shared.clock import FrozenClock
from shared.runtime import build_runtime
from shared.schema import upgrade
from shared.settings import Settings

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from fanout import ADMIN, SINK, admin, plain_url  # noqa: E402

WEEK_START = "2026-11-16T06:00:00+00:00"  # Monday 07:00 in Oslo
RUN_AT = datetime.fromisoformat("2026-11-23T06:00:30+00:00")


def catalogue(topics: int) -> str:
    """Return a catalogue with the benchmark topics."""
    return "".join(
        f'[[topics]]\nslug = "topic-{n}"\ntitle = {{ nb = "Tema {n}", en = "Topic {n}" }}\n'
        f'page = "https://www.fhi.no/tema-{n}/"\n\n'
        for n in range(1, topics + 1)
    )


class Measuring:
    """Wraps a sender to count the bytes handed over."""

    def __init__(self, inner: MailSender) -> None:
        self.inner = inner
        self.bytes = 0
        self.mails = 0

    async def send(
        self, sender: str, recipient: str, message: bytes, *, hand_over: HandOver | None = None
    ) -> None:
        await self.inner.send(sender, recipient, message, hand_over=hand_over)
        self.bytes += len(message)
        self.mails += 1

    async def close(self) -> None:
        await self.inner.close()


async def measure(url: str, count: int, topics: int, concurrency: int) -> dict[str, float]:
    """Queue and send the week's digests; return timings, CPU and peak RSS."""
    directory = Path(tempfile.mkdtemp())
    try:
        path = directory / "catalogue.toml"
        path.write_text(catalogue(topics), encoding="utf-8")
        settings = Settings(
            database_url=url,
            smtp_url=f"smtp://{SINK[0]}:{SINK[1]}",
            config=path,
            mail_concurrency=concurrency,
            base_url="https://varsel.example.no",
            digest_hour=7,
            digest_weekday=0,
        )
        runtime = build_runtime(settings, clock=FrozenClock(RUN_AT))
        mailer = Mailer(runtime)
        measuring = Measuring(mailer.sender)
        mailer.worker._sender = measuring  # count sizes without changing what is sent
        period = mailer.digests.latest_period("weekly", RUN_AT)
        started, cpu = time.perf_counter(), time.process_time()
        queued = await mailer.digests.run_period(period)
        queueing = time.perf_counter() - started
        sent = 0
        while handled := await mailer.worker.send_due():
            sent += handled
        total, cpu = time.perf_counter() - started, time.process_time() - cpu
        async with runtime.sessions() as session:
            statuses = dict(
                (
                    await session.execute(
                        select(Delivery.status, func.count()).group_by(Delivery.status)
                    )
                ).all()
            )
        assert queued == count and statuses == {"sent": count}, (queued, statuses)
        await mailer.sender.close()
        await runtime.close()
        return {
            "queue_s": queueing,
            "send_s": total - queueing,
            "total_s": total,
            "digests_per_s": count / total,
            "cpu_ms_per_digest": 1000 * cpu / count,
            "mean_bytes": measuring.bytes / max(1, measuring.mails),
            "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def run(args: argparse.Namespace) -> dict[str, float]:
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
        done = subprocess.run(command, check=True, capture_output=True, text=True)
        return {**json.loads(seeded.stdout), **json.loads(done.stdout.strip().splitlines()[-1])}
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def main() -> None:
    """Parse arguments, run, print a Markdown table row."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("n", type=int, nargs="?", default=100_000)
    parser.add_argument("--topics", type=int, default=5)
    parser.add_argument("--changes", type=int, default=20, help="changes per topic in the week")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--measure", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        result = asyncio.run(measure(args.measure, args.n, args.topics, args.concurrency))
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
        r = run(args)
        size = int(r["mean_bytes"])
        started = time.perf_counter()
        source = ["smtp-source", "-s", str(args.concurrency), "-m", str(args.n), "-l", str(size)]
        subprocess.run([*source, f"{SINK[0]}:{SINK[1]}"], check=True)
        top = args.n / (time.perf_counter() - started)
        print(
            "| people | items each | seed s | queue s | send s | total s | digests/s "
            "| CPU ms/digest | mean KiB | peak RSS MiB | smtp-source/s | ratio |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|---|---|")
        print(
            f"| {args.n:,} | {args.topics * args.changes} | {r['seed_s']:.0f} "
            f"| {r['queue_s']:.1f} | {r['send_s']:.1f} | {r['total_s']:.1f} "
            f"| {r['digests_per_s']:.0f} | {r['cpu_ms_per_digest']:.2f} | {size / 1024:.0f} "
            f"| {r['rss_mib']:.0f} | {top:.0f} | {r['digests_per_s'] / top:.2f} |"
        )
        print(f"load average after: {os.getloadavg()}")
    finally:
        sink.terminate()
        sink.wait(timeout=10)


if __name__ == "__main__":
    main()
