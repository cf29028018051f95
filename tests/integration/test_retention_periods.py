"""Every kind of record is kept exactly as long as its setting says, with a moved clock.

For each kind (docs/privacy.md, "How long"): records made at START stay when the hourly job runs
a minute before their period ends, and are gone when it runs a minute after. Then: people whose
alerts all ended are erased as the ledger says, a sign-up made again keeps its link for its own
week, and the scheduler really runs the hourly jobs.
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import func, insert, select

from services.admin.adapters import audit_log
from services.admin.adapters.tables import AdminAuditEntry
from services.mailer.adapters.file_sender import FileMailSender
from services.mailer.adapters.tables import Delivery
from services.subscriptions import handlers
from services.subscriptions.adapters.tables import ConsentRecord, SignupRequest, Subscriber
from services.subscriptions.domain.vocabulary import UnsubscribeRoute
from services.watcher.adapters.tables import PublisherKey, Snapshot
from shared.clock import FrozenClock
from shared.outbox import OutboxRow
from tests.integration.admin import seed
from tests.integration.admin.harness import CATALOGUE, OTHER, TOPIC, Harness, running
from tests.support.catalogues import apply_file
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


async def test_people_with_no_alert_left_are_erased_and_the_ledger_says_by_retention(
    world: tuple[Harness, FrozenClock],
) -> None:
    h, clock = world
    await _unsubscribed_from_everything(h, "ferdig@example.no")
    await h.sign_up("fortsatt@example.no")
    await h.confirm("fortsatt@example.no")
    # Ended everything, then signed up again: the new request waits for its confirmation.
    await _unsubscribed_from_everything(h, "tilbake@example.no")
    clock.set(START + timedelta(days=31))
    await h.sign_up("tilbake@example.no")

    removed = await create_app(h.runtime, ("subscriptions",)).state.housekeeping["subscriptions"]()

    assert removed["inactive_people"] == 1
    async with h.runtime.sessions() as session:
        left = set((await session.scalars(select(Subscriber.email))).all())
        last = await session.scalar(
            select(ConsentRecord).order_by(ConsentRecord.id.desc()).limit(1)
        )
    assert left == {"fortsatt@example.no", "tilbake@example.no"}
    assert last is not None and last.action == "erased" and last.channel == "retention"
    assert last.details == {"route": "admin", "by": "retention"}


async def test_people_whose_only_topic_ended_are_erased_as_long_after_it_ended(
    world: tuple[Harness, FrozenClock], tmp_path: Path
) -> None:
    h, clock = world
    whole = tmp_path / "whole.toml"
    whole.write_text(CATALOGUE, encoding="utf-8")
    await apply_file(h.runtime, whole, actor="rita")
    await h.sign_up("bare.nyheter@example.no", topics=(OTHER,))
    await h.confirm("bare.nyheter@example.no")
    await h.sign_up("begge@example.no", topics=(TOPIC, OTHER))
    await h.confirm("begge@example.no")
    # The topic ends a day later: its followers get its last mail, and no alert after it.
    clock.set(START + timedelta(days=1))
    ended = tmp_path / "ended.toml"
    text = CATALOGUE.replace(f'related = ["{OTHER}"]\n', "")
    ended.write_text(text.replace(f'slug = "{OTHER}"\n', f'slug = "{OTHER}"\nretired = true\n'))
    await apply_file(h.runtime, ended, actor="rita")
    housekeeping = create_app(h.runtime, ("subscriptions",)).state.housekeeping["subscriptions"]

    clock.set(START + timedelta(days=31) - MINUTE)
    assert (await housekeeping())["inactive_people"] == 0
    clock.set(START + timedelta(days=31) + MINUTE)
    assert (await housekeeping())["inactive_people"] == 1
    async with h.runtime.sessions() as session:
        left = set((await session.scalars(select(Subscriber.email))).all())
    assert left == {"begge@example.no"}  # who follows a topic that goes on stays


async def test_the_scheduler_runs_the_hourly_jobs(world: tuple[Harness, FrozenClock]) -> None:
    h, clock = world
    await _seed_unconfirmed(h)
    clock.set(START + timedelta(days=8))
    app = create_app(h.runtime, ("subscriptions",))
    async with LifespanManager(app):
        (job,) = [
            j for j in app.state.scheduler.get_jobs() if j.name == "housekeeping:subscriptions"
        ]
        assert job.trigger.interval == timedelta(hours=1)
        job.modify(next_run_time=datetime.now(UTC))  # the hour is up
        for _ in range(200):
            if await _count(h, Subscriber) == 0:
                break
            await asyncio.sleep(0.05)
    assert await _count(h, Subscriber) == 0


async def test_an_unconfirmed_sign_up_let_go_is_erased_from_the_mailer_too(
    world: tuple[Harness, FrozenClock],
) -> None:
    # Its confirmation mail was kept in the outbox folder under its id, and the delivery
    # ledger names the id: both are the mailer's to forget, as for any erased person.
    h, clock = world
    await _seed_unconfirmed(h)
    async with h.runtime.sessions() as session:
        pending = await session.scalar(select(Subscriber.id))
    assert pending is not None
    clock.set(START + timedelta(days=8))

    removed = await create_app(h.runtime, ("subscriptions",)).state.housekeeping["subscriptions"]()

    assert removed["unconfirmed_signups"] == 1
    async with h.runtime.sessions() as session:
        erased = (
            await session.scalars(
                select(OutboxRow.payload).where(
                    OutboxRow.event_type.startswith("subscriber.erased")
                )
            )
        ).all()
    assert [json.loads(payload)["subscriber_id"] for payload in erased] == [str(pending)]


async def _housekeeping(h: Harness) -> dict[str, int]:
    return await create_app(h.runtime, ("subscriptions",)).state.housekeeping["subscriptions"]()


async def _requests(h: Harness, address: str) -> list[datetime]:
    """When each of a person's requests not yet confirmed was made, oldest first."""
    async with h.runtime.sessions() as session:
        made = await session.scalars(
            select(SignupRequest.created_at)
            .join(Subscriber, Subscriber.id == SignupRequest.subscriber_id)
            .where(Subscriber.email == address, SignupRequest.confirmed_at.is_(None))
            .order_by(SignupRequest.created_at)
        )
        return [at.replace(tzinfo=UTC) if at.tzinfo is None else at for at in made]


async def _confirm_link(h: Harness, address: str) -> str:
    """The link of the newest request's confirmation mail."""
    async with h.runtime.sessions() as session:
        request_id = await session.scalar(
            select(SignupRequest.id)
            .join(Subscriber, Subscriber.id == SignupRequest.subscriber_id)
            .where(Subscriber.email == address, SignupRequest.confirmed_at.is_(None))
            .order_by(SignupRequest.created_at.desc())
            .limit(1)
        )
    assert request_id is not None
    return f"/confirm/{h.runtime.signer.sign('confirm', request_id, h.runtime.clock.now())}"


async def test_a_new_sign_up_of_a_pending_person_keeps_its_link_for_its_week(
    world: tuple[Harness, FrozenClock],
) -> None:
    h, clock = world
    await h.sign_up("sent@example.no")  # never confirmed; a week later, signed up again
    clock.set(START + timedelta(days=7) + 5 * MINUTE)
    await h.sign_up("sent@example.no")
    link = await _confirm_link(h, "sent@example.no")

    removed = await _housekeeping(h)

    # The first request's week is over; the person and the new request stay.
    assert removed["unconfirmed_signups"] == 0, removed
    assert await _requests(h, "sent@example.no") == [START + timedelta(days=7) + 5 * MINUTE]
    async with h.client() as browser:
        page = await browser.get(link)
    assert page.status_code == 200, page.text
    # The new request's own week over, the person goes with it.
    clock.set(START + timedelta(days=14) + 6 * MINUTE)
    assert (await _housekeeping(h))["unconfirmed_signups"] == 1
    assert await _count(h, Subscriber) == 0


async def test_a_request_let_go_keeps_its_record_in_the_consent_ledger(
    world: tuple[Harness, FrozenClock],
) -> None:
    h, clock = world
    await _seed_unconfirmed_request(h)
    recorded = await _count(h, ConsentRecord)
    clock.set(START + timedelta(days=30))

    removed = await create_app(h.runtime, ("subscriptions",)).state.housekeeping["subscriptions"]()

    assert removed["unconfirmed_requests"] == 1, removed
    assert await _count(h, SignupRequest, SignupRequest.confirmed_at.is_(None)) == 0
    assert await _count(h, Subscriber) == 1  # the person and their alerts stay
    assert await _count(h, ConsentRecord) == recorded  # the ledger is the record
