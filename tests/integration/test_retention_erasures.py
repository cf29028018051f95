"""People erased by retention, with a moved clock: those whose alerts all ended, or whose only
topic ended, are erased as the ledger says; an unconfirmed sign-up let go leaves the mailer too;
a sign-up made again keeps its link for its own week; and the scheduler really runs the hourly
jobs. The records of each kind and their periods are in test_retention_periods.py."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asgi_lifespan import LifespanManager
from sqlalchemy import select

from services.subscriptions.adapters.tables import ConsentRecord, SignupRequest, Subscriber
from shared.clock import FrozenClock
from shared.outbox import OutboxRow
from tests.integration.admin.harness import CATALOGUE, OTHER, TOPIC, Harness
from tests.integration.test_retention_periods import (  # the fixtures, used by name
    MINUTE,
    START,
    _count,
    _seed_unconfirmed,
    _seed_unconfirmed_request,
    _unsubscribed_from_everything,
    database_url,
    world,
)
from tests.support.catalogues import apply_file
from varsel.app import create_app

__all__ = ["database_url", "world"]


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


async def test_the_hourly_jobs_first_run_within_two_minutes_of_start(
    world: tuple[Harness, FrozenClock],
) -> None:
    # Before, the first run was an hour after start: a process restarted more often than
    # hourly never ran its retention, nor vacuumed erased rows away.
    h, _ = world
    app = create_app(h.runtime, ("subscriptions", "admin"))
    started = datetime.now(UTC)
    async with LifespanManager(app):
        first = {
            j.name: j.next_run_time - started
            for j in app.state.scheduler.get_jobs()
            if j.name.startswith("housekeeping:")
        }
    assert set(first) == {"housekeeping:bus", "housekeeping:subscriptions", "housekeeping:admin"}
    assert all(timedelta(0) < wait <= timedelta(minutes=2) for wait in first.values()), first


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
