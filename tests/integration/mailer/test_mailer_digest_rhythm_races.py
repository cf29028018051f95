"""A change of rhythm racing a digest's claim, run or release on PostgreSQL, where the row locks
decide the order (docs/decisions/0016, point 7): each change reaches the person once."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.mailer import handlers as mailer
from services.mailer.adapters.claims import claim_due
from services.mailer.delivery import LEASE
from services.mailer.digests import DigestRunner
from tests.integration.mailer.digests_support import ADDRESS, digest_now, runner, titles
from tests.integration.mailer.harness import Harness, at, on
from tests.integration.mailer.rhythm_support import (
    alerts_queued,
    daily_digest_queued,
    to_immediate,
    until_blocked_or_done,
)


@on("postgresql")
async def test_a_switch_waits_for_a_claim_of_the_digest_and_leaves_it_to_the_sender(
    harness: Harness,
) -> None:
    person = await daily_digest_queued(harness)
    now = harness.clock.now()
    async with harness.runtime.sessions() as session, session.begin():
        claimed = await claim_due(session, now, now + LEASE, limit=10, skip_locked=True)
        assert [c.reference.kind for c in claimed] == ["digest"]
        # The claim is not committed yet: the switch must wait for it, not guess.
        switching = asyncio.create_task(harness.change_frequency(person, "immediate"))
        await until_blocked_or_done(harness, switching)
        assert not switching.done(), "the switch waits for the claim to commit"
    await switching
    assert await alerts_queued(harness, person) == 0, "the claimed digest tells the change"

    # That sender died with the digest in hand; the next one finds the person immediate.
    harness.clock.advance(LEASE + timedelta(seconds=1))
    await harness.send_all()
    assert titles(harness) == [["Endring 1"]]
    assert [d.status for d in await harness.deliveries("digest")] == ["dropped"]


@on("postgresql")
async def test_a_claim_during_a_switch_skips_the_digest_the_switch_cancels(
    harness: Harness,
) -> None:
    person = await daily_digest_queued(harness)
    # The person's choice is committed; the mailer's handler of it is half-way.
    await harness.change_frequency(person, "immediate", relay=False)
    event = to_immediate(person)
    async with harness.runtime.sessions() as session, session.begin():
        await mailer.preferences_changed(session, harness.mailer.deps, event)
        # A sender claiming now must not take the digest the switch is cancelling.
        assert await harness.mailer.worker.send_due() == 0
    await harness.relay()  # the same event through the bus: nothing more to do
    await harness.send_all()
    assert titles(harness) == [["Endring 1"]]
    assert [d.status for d in await harness.deliveries("digest")] == ["dropped"]


@on("postgresql")
async def test_a_release_in_flight_when_the_person_switches_to_immediate_is_not_lost(
    harness: Harness,
) -> None:
    harness.clock.set(at("2026-11-18T10:00:00+00:00"))
    person = await harness.subscribe(ADDRESS, frequency="daily")
    await harness.seeded()
    flight = harness.change_event("Endring 1")
    async with harness.runtime.sessions() as session, session.begin():
        # Released, and its alerts fanned out to the immediate followers read now: not them.
        await mailer.content_changed(session, harness.mailer.deps, flight)
        switching = asyncio.create_task(harness.change_frequency(person, "immediate"))
        await until_blocked_or_done(harness, switching)
        assert not switching.done(), "the switch reads the log's end once the release is in"
    await switching
    await harness.send_all()
    harness.clock.set(at("2026-11-19T06:00:00+00:00"))
    await digest_now(harness)
    assert titles(harness) == [["Endring 1"]], "one alert: neither lost nor in a digest"


@on("postgresql")
async def test_a_run_that_read_the_person_before_their_switch_queues_them_nothing(
    harness: Harness,
) -> None:
    harness.clock.set(at("2026-11-18T10:00:00+00:00"))
    person = await harness.subscribe(ADDRESS, frequency="daily")
    await harness.seeded()
    await harness.change("Endring 1")
    harness.clock.set(at("2026-11-19T06:00:00+00:00"))
    event = to_immediate(person)

    class Racing(DigestRunner):
        async def _queue_page(self, session: AsyncSession, *args: Any) -> int:
            # The page read them as daily; they switch now, and the mailer's handler of it
            # holds their place while the page goes on.
            await harness.change_frequency(person, "immediate", relay=False)
            async with harness.runtime.sessions() as switch, switch.begin():
                await mailer.preferences_changed(switch, harness.mailer.deps, event)
                page = asyncio.create_task(super()._queue_page(session, *args))
                await until_blocked_or_done(harness, page)
            return await page

    assert await runner(harness, Racing, page_size=10).run_due() == 0
    await harness.relay()
    await harness.send_all()
    assert titles(harness) == [["Endring 1"]], "the switch's alert alone tells it"


@on("postgresql")
async def test_a_release_committed_after_the_run_read_the_log_goes_into_the_next_digest(
    harness: Harness,
) -> None:
    harness.clock.set(at("2026-11-22T10:00:00+00:00"))
    await harness.subscribe(ADDRESS, frequency="daily")
    await harness.seeded()
    await harness.change("Endring 1")
    harness.clock.set(at("2026-11-23T05:59:59+00:00"))  # 06:59:59 in Oslo
    late = harness.change_event("Endring late")
    async with harness.runtime.sessions() as session, session.begin():
        await mailer.content_changed(session, harness.mailer.deps, late)
        # Its place in the release log is taken, before the period's end, and not committed
        # when the 07:00 run reads the log.
        harness.clock.set(at("2026-11-23T06:00:00+00:00"))
        assert await harness.mailer.digests.run_due() == 1
    await harness.send_all()
    assert titles(harness) == [["Endring 1"]]

    harness.clock.set(at("2026-11-24T06:00:00+00:00"))
    await digest_now(harness)
    assert titles(harness) == [["Endring 1"], ["Endring late"]], "in the next digest, once"
    harness.clock.set(at("2026-11-25T06:00:00+00:00"))
    await digest_now(harness)
    assert len(titles(harness)) == 2
