"""A digest and a change of rhythm meeting half-way: each change reaches the person once.

A digest queued for someone who then switches rhythm may be waiting, claimed by a sender,
deferred by the server or already gone; the switch and the sender decide between them which
mail tells its changes (docs/decisions/0016, point 7). The sender here is the real one, talking
SMTP to aiosmtpd on loopback; ``GatedSender`` only holds a mail at the door, before its first
byte, so the test can switch the person's rhythm while the sender has the digest in hand.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from services.mailer import handlers as mailer
from services.mailer.adapters.tables import Delivery, DigestCursor
from services.mailer.digests import DigestRunner
from shared.events import PreferencesChanged
from shared.inbox import ProcessedEvent
from shared.outbox import OutboxRow
from tests.integration.mailer.digests_support import ADDRESS, digest_now, runner, titles
from tests.integration.mailer.faults import GatedSender
from tests.integration.mailer.harness import Harness, at
from tests.integration.mailer.rhythm_support import (
    alerts_queued,
    daily_digest_queued,
    until_blocked_or_done,
)

BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
DEFERRED = "451 4.3.0 try again later"


async def while_sending(harness: Harness, meanwhile: Callable[[], Awaitable[None]]) -> None:
    """Send what is due through a gated sender and run ``meanwhile`` once it holds a mail."""
    gated = GatedSender(harness.mailer.sender)
    worker = harness.worker(gated, concurrency=1)
    sending = asyncio.create_task(worker.send_due())
    await gated.reached.wait()  # claimed, read, built: past every check made before sending
    await meanwhile()
    gated.gate.set()
    assert await sending == 1
    await harness.relay()


@BOTH
async def test_a_queued_digest_and_a_switch_to_immediate_tell_the_change_once(
    harness: Harness,
) -> None:
    person = await daily_digest_queued(harness)
    await harness.change_frequency(person, "immediate")
    await harness.send_all()
    assert titles(harness) == [["Endring 1"]], "one alert; the digest waiting was cancelled"
    assert [d.status for d in await harness.deliveries("digest")] == ["dropped"]


@BOTH
async def test_a_switch_to_immediate_while_the_digest_is_being_sent_adds_no_alert(
    harness: Harness,
) -> None:
    person = await daily_digest_queued(harness)

    async def switch() -> None:
        await harness.change_frequency(person, "immediate")

    await while_sending(harness, switch)
    await harness.send_all()
    assert titles(harness) == [["Endring 1"]], "the digest went out; no alert repeats it"
    assert [d.status for d in await harness.deliveries("digest")] == ["sent"]

    await harness.change("Endring 2")  # immediate now: the next change is an alert
    await harness.send_all()
    assert titles(harness) == [["Endring 1"], ["Endring 2"]]


@BOTH
async def test_a_digest_deferred_across_a_switch_to_immediate_comes_back_as_alerts(
    harness: Harness,
) -> None:
    person = await daily_digest_queued(harness)
    harness.mailbox.scripted.append(DEFERRED)  # the server puts the digest off

    async def switch() -> None:
        await harness.change_frequency(person, "immediate")

    await while_sending(harness, switch)
    assert harness.received() == []
    harness.clock.advance(timedelta(hours=1))  # the digest's next try meets the new rhythm
    await harness.send_all()
    assert titles(harness) == [["Endring 1"]], "not lost, and not twice: one alert"
    assert [d.status for d in await harness.deliveries("digest")] == ["dropped"]
    assert await alerts_queued(harness, person) == 1


async def cursors_of(harness: Harness, *people: uuid.UUID) -> int:
    """Count the digest cursors the mailer keeps for these people."""
    async with harness.runtime.sessions() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(DigestCursor)
            .where(DigestCursor.subscriber_id.in_(people))
        )
    return int(count or 0)


async def linked_to(harness: Harness, person: uuid.UUID) -> int:
    """Count the ledger rows still linked to a person's id."""
    async with harness.runtime.sessions() as session:
        count = await session.scalar(
            select(func.count()).select_from(Delivery).where(Delivery.subscriber_id == person)
        )
    return int(count or 0)


@pytest.mark.parametrize(
    ("database_url", "retried"),
    [
        ("sqlite", "queued"),
        ("sqlite", "before-the-weekly-run"),
        ("sqlite", "after-the-weekly-run"),
        ("postgresql", "after-the-weekly-run"),
    ],
    indirect=["database_url"],
)
async def test_a_daily_digest_dropped_for_weekly_gives_its_changes_to_a_weekly_one(
    harness: Harness, retried: str
) -> None:
    person = await daily_digest_queued(harness)  # Thursday's daily digest tells Endring 1
    if retried == "queued":
        await harness.change_frequency(person, "weekly")  # waiting: the switch cancels it
    else:
        harness.mailbox.scripted.append(DEFERRED)

        async def switch() -> None:
            await harness.change_frequency(person, "weekly")

        await while_sending(harness, switch)  # in a sender's hand: it is put off
    if retried == "before-the-weekly-run":
        harness.clock.advance(timedelta(hours=1))
        await harness.send_all()
    harness.clock.set(at("2026-11-20T09:00:00+00:00"))
    await harness.change("Endring 2")
    harness.clock.set(at("2026-11-23T06:00:00+00:00"))  # Monday 07:00 in Oslo
    await digest_now(harness)
    harness.clock.set(at("2026-11-30T06:00:00+00:00"))
    await digest_now(harness)
    harness.clock.set(at("2026-12-07T06:00:00+00:00"))
    await digest_now(harness)

    told = [title for mail in titles(harness) for title in mail]
    assert sorted(told) == ["Endring 1", "Endring 2"], "each change once, in a weekly digest"
    statuses = sorted(d.status for d in await harness.deliveries("digest"))
    assert statuses.count("dropped") == 1, "the daily digest did not go out"


@pytest.mark.parametrize(
    ("database_url", "moment"),
    [("sqlite", "between-pages"), ("postgresql", "between-pages"), ("postgresql", "in-a-page")],
    indirect=["database_url"],
)
async def test_unsubscribe_and_erasure_in_the_middle_of_a_run_leave_nothing_of_them(
    harness: Harness, moment: str
) -> None:
    harness.clock.set(at("2026-11-22T10:00:00+00:00"))
    people = {
        await harness.subscribe(address, frequency="daily"): address
        for address in ("a@example.org", "b@example.org", "c@example.org")
    }
    leaving, erased, staying = sorted(people)  # the run's order: by id, two per page
    await harness.seeded()
    await harness.change("Endring 1")
    harness.clock.set(at("2026-11-23T06:00:00+00:00"))

    async def leave_and_erase() -> None:
        await harness.end_all(leaving)
        await harness.erase(erased)
        await harness.relay()

    class Pausing(DigestRunner):
        pages = 0
        meanwhile: asyncio.Task[None] | None = None

        async def _queue_page(self, *args: object, **kwargs: object) -> int:
            self.pages += 1
            if moment == "between-pages" and self.pages == 2:
                await leave_and_erase()  # the first page is committed, the run goes on
            queued = await super()._queue_page(*args, **kwargs)  # type: ignore[arg-type]
            if moment == "in-a-page" and self.pages == 1:
                # Their digests are written and not committed yet.
                self.meanwhile = asyncio.create_task(leave_and_erase())
                await until_blocked_or_done(harness, self.meanwhile)
                assert not self.meanwhile.done(), "their handlers wait for this page to commit"
            return queued

    paused = runner(harness, Pausing, page_size=2)
    await paused.run_due()
    if paused.meanwhile is not None:
        await paused.meanwhile
    await harness.relay()
    await harness.send_all()

    assert [m.recipients for m in harness.received()] == [[people[staying]]]
    assert await cursors_of(harness, leaving, erased) == 0, "no place kept for either"
    assert await linked_to(harness, erased) == 0, "the ledger keeps no trace of the erased id"


@BOTH
async def test_a_run_before_the_mailer_hears_of_a_switch_from_immediate_repeats_no_alert(
    harness: Harness,
) -> None:
    # The manage page has stored the new rhythm, and its event is still on its way to the
    # mailer when the daily run reads the person as daily.
    harness.clock.set(at("2026-11-18T10:00:00+00:00"))
    person = await harness.subscribe(ADDRESS, frequency="immediate")
    await harness.seeded()
    await harness.change("Endring 1")
    await harness.send_all()
    assert titles(harness) == [["Endring 1"]]
    await harness.change_frequency(person, "daily", relay=False)
    harness.clock.set(at("2026-11-19T06:00:00+00:00"))
    await harness.mailer.digests.run_due()
    await harness.relay()
    await harness.send_all()
    assert titles(harness) == [["Endring 1"]], "told once, by its alert"


@BOTH
async def test_a_change_released_before_the_mailer_hears_of_a_switch_from_immediate_is_told(
    harness: Harness,
) -> None:
    # Released after the manage page stored the daily rhythm (so no alert), and before the
    # mailer's handler of the switch moves the person's place to the end of the release log.
    harness.clock.set(at("2026-11-18T10:00:00+00:00"))
    person = await harness.subscribe(ADDRESS, frequency="immediate")
    await harness.seeded()
    await harness.change_frequency(person, "daily", relay=False)
    # The watcher's event reaches the mailer first: the two come from different services.
    async with harness.runtime.sessions() as session, session.begin():
        await mailer.content_changed(
            session, harness.mailer.deps, harness.change_event("Endring 1")
        )
    await harness.relay()
    await harness.send_all()
    harness.clock.set(at("2026-11-19T06:00:00+00:00"))
    await digest_now(harness)
    assert titles(harness) == [["Endring 1"]], "told once, by the digest"


@BOTH
async def test_a_digest_whose_reference_is_damaged_fails_alone_and_the_switch_goes_on(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    person = await daily_digest_queued(harness)
    (digest,) = await harness.deliveries("digest")
    # What a hand edit or a damaged file can leave: no JSON at all where the column is plain
    # text (SQLite), JSON of another shape where it is not.
    sqlite = harness.runtime.engine.dialect.name == "sqlite"
    async with harness.runtime.engine.begin() as connection:
        await connection.execute(
            text("UPDATE mail_deliveries SET reference = :stored WHERE id = :id"),
            {"stored": "{not json" if sqlite else "[1, 2]", "id": digest.id},
        )

    await harness.change_frequency(person, "immediate")
    async with harness.runtime.sessions() as session:
        switch = await session.scalar(
            select(OutboxRow.event_id).where(OutboxRow.event_type == PreferencesChanged.type_name())
        )
        handled = await session.get(ProcessedEvent, ("mailer", switch))
    assert handled is not None, "the mailer took the switch at once"
    await harness.change("Endring 2")  # immediate now: the next change is an alert
    await harness.send_all()

    assert titles(harness) == [["Endring 2"]]
    async with harness.runtime.engine.connect() as connection:
        status, error = (
            await connection.execute(
                text("SELECT status, last_error FROM mail_deliveries WHERE id = :id"),
                {"id": digest.id},
            )
        ).one()
    assert status == "failed" and "not a 'digest' delivery reference" in error
    assert f"delivery {digest.id} cannot be read" in caplog.text
