"""Measure how long an editor's approval takes, and how long until its last alert is queued.

Run (needs PostgreSQL at VARSEL_TEST_POSTGRES or 127.0.0.1:5432/test)::

    .venv/bin/python bench/mailer/approval.py 10000 100000

For each N it seeds N immediate subscribers of one topic into a fresh database (COPY, from
another process: ``seed.py``), then times, in one process, a change of an automatic source
taken in by the mailer's handler (the fan-out as before review existed) and a change of a
review source approved through ``command_api.decide_change`` (what the desk's request waits
for), then the relay handing its ``change.approved.v1`` to the mailer's consumer, which fans it
out: the time until the last delivery row exists is the decision plus that. Nothing is sent:
the figures are the database work only. Each row ends with the 1-minute load average before
and after it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import func, select

from services.admin import catalogue as admin_catalogue
from services.mailer import command_api
from services.mailer.adapters.tables import Delivery
from services.mailer.bootstrap import Mailer
from shared.catalogue_file import parse_catalogue_text
from shared.db import transaction
from shared.events import ContentChanged
from shared.outbox import record
from shared.runtime import build_runtime
from shared.schema import upgrade
from shared.settings import Settings

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from fanout import ADMIN, admin, seed  # noqa: E402

AUTOMATIC = "https://www.fhi.no/automatisk/"
REVIEWED = "https://www.fhi.no/gjennomgang/"
CATALOGUE = f"""
[[topics]]
slug = "topic-1"
title = {{ nb = "Norge i verden" }}

[[sources]]
url = "{AUTOMATIC}"
kind = "page"
topics = ["topic-1"]

[[sources]]
url = "{REVIEWED}"
kind = "page"
topics = ["topic-1"]
mode = "review"
"""


def _change(source_url: str) -> ContentChanged:
    return ContentChanged(
        source_id=1,
        source_url=source_url,
        kind="page",
        topics=("topic-1",),
        title="Norge i verden: ny rapport",
        url=source_url,
        summary="Nytt avsnitt om Norges bidrag til global helse.",
    )


async def _deliveries(runtime: object) -> int:
    async with runtime.sessions() as session:  # type: ignore[attr-defined]
        return int(await session.scalar(select(func.count()).select_from(Delivery)) or 0)


async def measure(url: str, count: int) -> dict[str, float]:
    """Return the seconds of the automatic fan-out, of the approval request, and until the
    approval's last delivery row exists, for ``count`` people."""
    directory = Path(tempfile.mkdtemp())
    catalogue = directory / "catalogue.toml"
    catalogue.write_text(CATALOGUE, encoding="utf-8")
    runtime = build_runtime(Settings(database_url=url, config=catalogue))
    Mailer(runtime)  # subscribes the mailer's handlers to the in-process bus
    try:
        async with transaction(runtime.sessions) as session:
            await admin_catalogue.apply(
                session,
                parse_catalogue_text(CATALOGUE, "bench"),
                actor="bench",
                client="127.0.0.1",
                origin="bench",
                now=runtime.clock.now(),
            )
        while await runtime.relay.publish_pending():
            pass
        await runtime.relay.settled()  # a fan-out may outlast the pass's wait
        results: dict[str, float] = {}
        automatic = _change(AUTOMATIC)
        async with transaction(runtime.sessions) as session:
            await record(session, automatic)
        started = time.perf_counter()
        while await runtime.relay.publish_pending():
            pass
        await runtime.relay.settled()  # a fan-out may outlast the pass's wait
        results["automatic_s"] = time.perf_counter() - started
        first = await _deliveries(runtime)
        held = _change(REVIEWED)
        async with transaction(runtime.sessions) as session:
            await record(session, held)
        while await runtime.relay.publish_pending():
            pass
        await runtime.relay.settled()  # a fan-out may outlast the pass's wait
        assert await _deliveries(runtime) == first, "a held change queued nothing"
        started = time.perf_counter()
        await command_api.decide_change(
            runtime,
            held.event_id,
            command_api.Decision.APPROVE,
            version=0,
            note="Godkjent",
            actor="bench",
        )
        results["approval_s"] = time.perf_counter() - started
        assert await _deliveries(runtime) == first, "the request itself queues nothing"
        while await runtime.relay.publish_pending():
            pass
        await runtime.relay.settled()  # a fan-out may outlast the pass's wait
        results["delivered_s"] = time.perf_counter() - started
        assert await _deliveries(runtime) == 2 * count
        return results
    finally:
        await runtime.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sizes", nargs="+", type=int)
    args = parser.parse_args()
    print(
        "| N | automatic fan-out s | approval request s | approval to last delivery row s "
        "| load before → after |"
    )
    print("|---|---|---|---|---|")
    for count in args.sizes:
        before = os.getloadavg()[0]
        name = f"varsel_bench_{uuid.uuid4().hex[:10]}"
        asyncio.run(admin(f'CREATE DATABASE "{name}"'))
        base = ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        url = f"{base}/{name}"
        try:
            upgrade(url)
            seed(url, count)
            result = asyncio.run(measure(url, count))
        finally:
            asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        after = os.getloadavg()[0]
        print(
            f"| {count:,} | {result['automatic_s']:.2f} | {result['approval_s']:.3f} "
            f"| {result['delivered_s']:.2f} | {before:.1f} → {after:.1f} |"
        )


if __name__ == "__main__":
    main()
