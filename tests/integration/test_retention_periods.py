"""Every kind of record is kept exactly as long as its setting says, with a moved clock.

For each kind (docs/privacy.md, "How long"): records made at START stay when the hourly job runs
a minute before their period ends, and are gone when it runs a minute after. How people are
erased by retention, and the scheduler that runs the jobs, are in test_retention_erasures.py.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from services.admin.adapters import audit_log
from services.admin.adapters.tables import AdminAuditEntry
from services.mailer.adapters.file_sender import FileMailSender
from services.mailer.adapters.tables import Delivery
from services.subscriptions import handlers
from services.subscriptions.adapters.tables import SignupRequest, Subscriber
from services.subscriptions.domain.vocabulary import UnsubscribeRoute
from services.watcher.adapters.tables import PublisherKey, Snapshot
from shared.clock import FrozenClock
from tests.integration.admin import seed
from tests.integration.admin.harness import OTHER, TOPIC, Harness, running
from tests.support.databases import migrated_database
from varsel.app import SERVICES, create_app

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database of each kind (the PostgreSQL one skips, or fails under CI)."""
    with migrated_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
async def world(database_url: str, tmp_path: Path) -> AsyncIterator[tuple[Harness, FrozenClock]]:
    clock = FrozenClock(START)
    async with running(database_url, tmp_path, clock=clock) as h:
        yield h, clock


async def _count(h: Harness, model: Any, *where: Any) -> int:
    async with h.runtime.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)))


async def _unsubscribed_from_everything(h: Harness, address: str) -> None:
    await h.sign_up(address)
    await h.confirm(address)
    async with h.runtime.sessions() as session:
        person = await session.scalar(select(Subscriber).where(Subscriber.email == address))
    assert person is not None
    token = h.runtime.signer.sign("unsubscribe", person.id, h.runtime.clock.now())
    ended = await handlers.unsubscribe(
        h.uow(), h.deps, token, purposes=("unsubscribe",), topics=None, route=UnsubscribeRoute.LINK
    )
    assert ended is not None and ended.topics == (TOPIC,)


async def _seed_unconfirmed(h: Harness) -> None:
    await h.sign_up("aldri.bekreftet@example.no")


async def _seed_unconfirmed_request(h: Harness) -> None:
    # A confirmed person signed up for one more topic, by whoever typed their address.
    await h.sign_up("bekreftet@example.no")
    await h.confirm("bekreftet@example.no")
    await h.sign_up("bekreftet@example.no", topics=(OTHER,))


async def _seed_inactive(h: Harness) -> None:
    await _unsubscribed_from_everything(h, "ferdig@example.no")


async def _seed_deliveries(h: Harness) -> None:
    made = h.runtime.clock.now()
    rows = [
        {
            "subscriber_id": uuid.uuid4(),
            "batch_key": f"alert:{uuid.uuid4()}",
            "kind": "alert",
            "reference": {},
            "status": status,
            "attempts": 1,
            "next_attempt_at": made,
            "created_at": made,
        }
        for status in ("sent", "failed")
    ]
    async with h.runtime.sessions() as session, session.begin():
        await session.execute(insert(Delivery), rows)


def _outbox(h: Harness) -> Path:
    return h.runtime.settings.outbox_dir


async def _seed_outbox(h: Harness) -> None:
    sender = FileMailSender(_outbox(h))
    for owner in (uuid.uuid4(), None):
        await sender.send("varsel@example.no", "x@example.no", b"Subject: x\r\n\r\nx", owner=owner)
    written = h.runtime.clock.now().timestamp()
    for path in _outbox(h).glob("*.eml"):
        os.utime(path, (written, written))  # written "at START", as the moved clock has it


async def _seed_snapshots(h: Harness) -> None:
    # Three snapshots a day apart, the oldest at START; the newest is kept whatever its age.
    async with h.runtime.sessions() as session, session.begin():
        await seed.source_with_snapshots(
            session, "https://example.org/side", h.runtime.clock.now() + timedelta(days=3), [TOPIC]
        )


async def _seed_push_keys(h: Harness) -> None:
    async with h.runtime.sessions() as session, session.begin():
        session.add(
            PublisherKey(
                idempotency_key="key-1",
                body_hash="0" * 64,
                event_id=uuid.uuid4(),
                publisher="WordPress",
                received_at=h.runtime.clock.now(),
            )
        )


async def _seed_audit(h: Harness) -> None:
    async with h.runtime.sessions() as session, session.begin():
        audit_log.record(
            session, actor="kari", action="consent_lookup", client="192.0.2.1", now=START
        )


@dataclass(frozen=True)
class Kind:
    """A kind of record: whose job deletes it, under which name, after how long."""

    job: str
    removed_as: str
    setting: str
    days: int
    seed: Callable[[Harness], Awaitable[None]]
    left: Callable[[Harness], Awaitable[int]]
    going: int  # how many of the seeded records the period lets go


async def _files(h: Harness) -> int:
    return len(list(_outbox(h).glob("*.eml")))


KINDS = {
    "unconfirmed sign-ups": Kind(
        "subscriptions",
        "unconfirmed_signups",
        "unconfirmed_retention_days",
        7,
        _seed_unconfirmed,
        lambda h: _count(h, Subscriber),
        1,
    ),
    "unconfirmed requests of confirmed people": Kind(
        "subscriptions",
        "unconfirmed_requests",
        "unconfirmed_retention_days",
        7,
        _seed_unconfirmed_request,
        lambda h: _count(h, SignupRequest),
        1,
    ),
    "people with no alert left": Kind(
        "subscriptions",
        "inactive_people",
        "inactive_retention_days",
        30,
        _seed_inactive,
        lambda h: _count(h, Subscriber),
        1,
    ),
    "the delivery ledger": Kind(
        "mailer",
        "deliveries",
        "delivery_retention_days",
        90,
        _seed_deliveries,
        lambda h: _count(h, Delivery),
        2,
    ),
    "the outbox": Kind(
        "mailer", "outbox_files", "outbox_retention_days", 30, _seed_outbox, _files, 2
    ),
    "snapshots": Kind(
        "watcher",
        "snapshots",
        "snapshot_retention_days",
        90,
        _seed_snapshots,
        lambda h: _count(h, Snapshot),
        1,
    ),
    "pushed changes' idempotency keys": Kind(
        "watcher",
        "publisher_keys",
        "publisher_key_retention_days",
        30,
        _seed_push_keys,
        lambda h: _count(h, PublisherKey),
        1,
    ),
    "the admin audit log": Kind(
        "admin",
        "audit_entries",
        "audit_retention_days",
        730,
        _seed_audit,
        lambda h: _count(h, AdminAuditEntry),
        1,
    ),
}


@pytest.mark.parametrize("name", list(KINDS))
async def test_each_kind_is_kept_for_its_period_and_not_a_minute_longer(
    world: tuple[Harness, FrozenClock], name: str
) -> None:
    h, clock = world
    kind = KINDS[name]
    assert getattr(h.runtime.settings, kind.setting) == kind.days  # the documented default
    await kind.seed(h)
    seeded = await kind.left(h)
    assert seeded >= kind.going
    app = create_app(h.runtime, SERVICES)
    job = app.state.housekeeping[kind.job]

    clock.set(START + timedelta(days=kind.days) - MINUTE)
    early = await job()
    assert early.get(kind.removed_as) == 0, early
    assert await kind.left(h) == seeded

    clock.set(START + timedelta(days=kind.days) + MINUTE)
    late = await job()
    assert late[kind.removed_as] == kind.going, late
    assert await kind.left(h) == seeded - kind.going
    if app.state.watcher is not None:
        await app.state.watcher.stop()
