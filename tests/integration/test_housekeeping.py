"""Each service's process runs its own retention, and the admin records what each run removed.

A database with expired and current rows of every service; the jobs a process schedules are
taken from the app the composition root builds, run as the scheduler would run them, and
checked row by row. The audit entries are written by the admin when the events reach it.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import func, insert, select

from services.admin import authentication as admin
from services.admin.adapters import accounts
from services.admin.adapters.tables import AdminAuditEntry, AdminLoginFailures, AdminSession
from services.mailer.adapters.tables import Delivery
from services.subscriptions.adapters.tables import ConsentRecord, Subscriber
from services.watcher.adapters.tables import Snapshot
from shared.clock import FrozenClock
from shared.events import RetentionApplied
from shared.inbox import ProcessedEvent
from shared.outbox import OutboxRow
from shared.runtime import Runtime, build_runtime
from shared.settings import Settings
from shared.tokens import address_hash
from shared.web import rate_limit
from shared.web.rate_limit import RateLimitHit
from tests.integration.admin import seed
from tests.integration.admin.harness import CATALOGUE, PASSWORD, TOPIC, Harness
from tests.support.databases import migrated_database
from varsel.app import SERVICES, create_app

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LATER = START + timedelta(days=40)
TODAY = LATER.replace(hour=0)  # where LATER's day (UTC) starts
CURRENT = ("fersk@example.no", "abonnent@example.no")
RETENTION = {
    "consent_retention_days": 30,
    "delivery_retention_days": 30,
    "snapshot_retention_days": 30,
    "watcher_enabled": True,
}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database of each kind (the PostgreSQL one skips, or fails under CI)."""
    with migrated_database(request.param, tmp_path) as url:
        yield url


@dataclass
class World:
    """A runtime on a migrated database and a harness to fill it."""

    runtime: Runtime
    clock: FrozenClock
    h: Harness

    async def count(self, model: Any, *where: Any) -> int:
        async with self.runtime.sessions() as session:
            return int(await session.scalar(select(func.count()).select_from(model).where(*where)))


@pytest.fixture
async def world(database_url: str, tmp_path: Path) -> AsyncIterator[World]:
    config = tmp_path / "catalogue.toml"
    config.write_text(CATALOGUE, encoding="utf-8")
    clock = FrozenClock(START)
    runtime = build_runtime(
        Settings(database_url=database_url, config=config, var_dir=tmp_path, **RETENTION),
        clock=clock,
    )
    try:
        # The public pages beside the admin: sign-ups go through the form, as people's do.
        app = create_app(runtime, ("subscriptions", "admin"))
        yield World(runtime, clock, Harness(runtime, app))
    finally:
        await runtime.close()


async def _seed_expired(w: World) -> None:
    """Rows every service's retention should delete, made 40 days before the runs."""
    h = w.h
    await h.sign_up("aldri.bekreftet@example.no")  # never confirmed
    await h.sign_up("slettet@example.no")
    await h.confirm("slettet@example.no")
    await h.erase("slettet@example.no")
    await h.user("kari", "auditor")
    async with w.runtime.sessions() as session, session.begin():
        await admin.start_session(
            session, await _principal(session, "kari"), START, timedelta(minutes=30)
        )
        await admin.admit_sign_in(session, "key", "kari", "192.0.2.66", START)
        await rate_limit.allow(session, "old-window", 5, START)
        await seed.source_with_snapshots(session, "https://example.org/side", START, [TOPIC])
        await seed.deliveries(session, START)
        session.add(
            ProcessedEvent(consumer="mailer", event_id=str(uuid.uuid4()), processed_at=START)
        )
    # Published now, so a week after LATER's cut-off they are long gone.
    while await w.runtime.relay.publish_pending():
        pass
    async with w.runtime.sessions() as session, session.begin():
        await session.execute(
            OutboxRow.__table__.update().values(published_at=START)  # type: ignore[attr-defined]
        )


async def _seed_current(w: World) -> None:
    """Rows that must stay: made at the moment the runs happen."""
    h = w.h
    fresh, subscriber = CURRENT
    await h.sign_up(fresh)  # unconfirmed, but only just
    await h.sign_up(subscriber)
    await h.confirm(subscriber)
    async with w.runtime.sessions() as session, session.begin():
        kari = await _principal(session, "kari")
        # Stored directly: signing in would also clear the expired session the job should find.
        await accounts.add_session(
            session, "0" * 64, kari.user_id, LATER, LATER + timedelta(hours=8)
        )
        await admin.admit_sign_in(session, "key", "kari", "192.0.2.67", LATER)
        await rate_limit.allow(session, "this-window", 5, LATER)
        await session.execute(
            insert(ProcessedEvent),
            [{"consumer": "mailer", "event_id": str(uuid.uuid4()), "processed_at": LATER}],
        )


async def _principal(session: Any, name: str) -> admin.Principal:
    principal = await admin.check_password(session, name, PASSWORD)
    assert principal is not None
    return principal


async def test_each_service_deletes_its_own_expired_rows_and_the_admin_records_it(
    world: World, tmp_path: Path
) -> None:
    w = world
    await _seed_expired(w)
    w.clock.set(LATER)
    await _seed_current(w)
    erased = await w.count(
        ConsentRecord, ConsentRecord.subject_hash.not_in(await _live_subjects(w))
    )
    # The sign-ups counted against the limits too: every window but this hour's and this
    # day's has ended.
    ended_windows = await w.count(RateLimitHit, RateLimitHit.window_start < TODAY)
    ended_windows += await w.count(
        RateLimitHit, RateLimitHit.window_hours == 1, RateLimitHit.window_start == TODAY
    )
    app = create_app(w.runtime, SERVICES)
    jobs = app.state.housekeeping
    assert set(jobs) == {"subscriptions", "watcher", "mailer", "admin", "bus"}

    removed = {name: await job() for name, job in jobs.items()}
    await app.state.watcher.stop()

    assert removed["subscriptions"] == {
        "unconfirmed_signups": 1,
        "unconfirmed_requests": 0,  # the unconfirmed person's went with them
        "inactive_people": 0,
        "rate_limit_windows": ended_windows,
        "consent_records": erased,
    }
    assert ended_windows >= 2  # the old counter, and at least one a sign-up made
    assert erased == 5  # the erased person's four steps and the unconfirmed one's request
    # Three old snapshots go, the latest stays; no change was pushed, so no key is old.
    assert removed["watcher"] == {"snapshots": 2, "publisher_keys": 0}
    assert removed["mailer"] == {
        "deliveries": 6,
        "changes": 0,
        "bulletins": 0,
        "outbox_files": 0,
    }
    assert removed["admin"] == {
        "admin_sessions": 1,
        "admin_login_failures": 1,
        "audit_entries": 0,
    }
    assert removed["bus"]["outbox_events"] > 0
    assert removed["bus"]["processed_events"] == 1

    # What stays: the fresh sign-up, the subscriber, their story, the queued mails, the
    # newest snapshot, the live session, today's failed sign-in, this window's counter and the
    # unpublished events.
    assert await _emails(w) == sorted(CURRENT)
    assert await w.count(ConsentRecord) > 0
    assert await w.count(ConsentRecord) == await w.count(
        ConsentRecord, ConsentRecord.subject_hash.in_(await _live_subjects(w))
    )
    assert (
        await w.count(Delivery) == 2 and await w.count(Delivery, Delivery.status != "queued") == 0
    )
    assert await w.count(Snapshot) == 1
    assert await w.count(AdminSession) == 1
    assert await w.count(AdminLoginFailures) == 1
    this_hour = await w.count(RateLimitHit, RateLimitHit.window_start == LATER)
    today = await w.count(
        RateLimitHit, RateLimitHit.window_hours == 24, RateLimitHit.window_start == TODAY
    )
    assert await w.count(RateLimitHit) == this_hour + today
    assert await w.count(RateLimitHit) >= 2  # this hour's counter and the fresh sign-ups'
    # The sign-ups' counts of this day stay until the day has passed.
    assert await w.count(RateLimitHit, RateLimitHit.window_hours == 24) >= 2
    assert await w.count(ProcessedEvent) == 1
    assert await w.count(OutboxRow, OutboxRow.published_at.is_(None)) > 0

    # The admin writes each run that removed something to its audit log, from the events.
    while await w.runtime.relay.publish_pending():
        pass
    async with w.runtime.sessions() as session:
        runs = (
            await session.scalars(
                select(AdminAuditEntry).where(AdminAuditEntry.action == "retention_run")
            )
        ).all()
    assert {run.target: run.details for run in runs} == removed
    assert {(run.actor, run.client, run.occurred_at) for run in runs} == {
        ("system", "scheduler", LATER)
    }

    # Run again: nothing left to remove, so nothing more for the audit log (only a log line).
    again = {name: await job() for name, job in jobs.items()}
    assert all(not any(counts.values()) for counts in again.values()), again
    assert await w.count(OutboxRow, OutboxRow.event_type == RetentionApplied.type_name()) == len(
        removed
    )


async def _live_subjects(w: World) -> list[str]:
    """The ledger subjects of the people whose story has not ended: the two made just now."""
    return [address_hash(w.runtime.settings.secret_key, email) for email in CURRENT]


async def _emails(w: World) -> list[str]:
    async with w.runtime.sessions() as session:
        return sorted((await session.scalars(select(Subscriber.email))).all())


@pytest.mark.parametrize(
    ("services", "expected"),
    [
        (("subscriptions",), {"subscriptions", "bus"}),
        (("admin",), {"admin", "bus"}),
        (("mailer",), {"mailer", "bus"}),
        (("watcher",), {"watcher", "bus"}),
        (SERVICES, {"subscriptions", "watcher", "mailer", "admin", "bus"}),
    ],
)
async def test_a_process_schedules_the_housekeeping_of_the_services_it_runs(
    world: World, services: tuple[str, ...], expected: set[str]
) -> None:
    app = create_app(world.runtime, services)
    async with LifespanManager(app):
        jobs = {job.name for job in app.state.scheduler.get_jobs()}
        hourly = {
            job.name: job.trigger.interval
            for job in app.state.scheduler.get_jobs()
            if job.name.startswith("housekeeping:")
        }
    assert {name.removeprefix("housekeeping:") for name in hourly} == expected
    assert set(hourly.values()) == {timedelta(hours=1)}
    assert jobs >= set(hourly)
