"""A daily person's digest queued before they switch rhythm, what the ledger then holds for them,
and a wait for a sender blocked on a row lock (PostgreSQL)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sqlalchemy import text

from shared.events import PreferencesChanged
from shared.vocabulary import Frequency, Language
from tests.integration.mailer.digests_support import ADDRESS
from tests.integration.mailer.harness import Harness, at


async def daily_digest_queued(harness: Harness) -> uuid.UUID:
    """Sign a daily person up, release one change, run their digest; return their id."""
    harness.clock.set(at("2026-11-18T10:00:00+00:00"))  # a Wednesday
    person = await harness.subscribe(ADDRESS, frequency="daily")
    await harness.seeded()
    await harness.change("Endring 1")
    harness.clock.set(at("2026-11-19T06:00:00+00:00"))
    assert await harness.mailer.digests.run_due() == 1
    return person


def to_immediate(person: uuid.UUID) -> PreferencesChanged:
    """Return the event of a daily person's switch to immediate, as the mailer receives it."""
    return PreferencesChanged(
        subscriber_id=person,
        topics=("norge-i-verden",),
        frequency=Frequency.IMMEDIATE,
        language=Language.NB,
        previous_frequency=Frequency.DAILY,
    )


async def alerts_queued(harness: Harness, person: uuid.UUID) -> int:
    """Count the alerts the ledger holds for a person, in any state."""
    return sum(1 for d in await harness.deliveries("alert") if d.subscriber_id == person)


async def lock_waits(harness: Harness) -> int:
    """Count the sessions of the test's database that wait for a row lock."""
    async with harness.runtime.sessions() as session:
        count = await session.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
    return int(count or 0)


async def until_blocked_or_done(harness: Harness, task: asyncio.Task[Any]) -> None:
    """Return once ``task`` waits for a row lock, or has finished without waiting."""
    while not task.done() and not await lock_waits(harness):
        await asyncio.sleep(0.01)
