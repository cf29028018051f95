"""Running a service's retention: one transaction, the event that tells the admin, a log line.

Each service decides what it deletes and schedules its own run; this is the shape every run
shares, so what the operator sees does not depend on which service ran.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Final, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import Base, scrub_deleted
from shared.events import RetentionApplied
from shared.inbox import purge_handled
from shared.outbox import purge_published, record
from shared.runtime import Runtime

log = logging.getLogger(__name__)

Purge = Callable[[AsyncSession, datetime], Awaitable[dict[str, int]]]
# How long the bus keeps what it no longer needs: published events, and the ids consumers
# handled (long after any redelivery could still arrive).
PUBLISHED_EVENTS_KEPT: Final = timedelta(days=7)
HANDLED_EVENTS_KEPT: Final = timedelta(days=30)


async def run_retention(
    runtime: Runtime,
    service: str,
    purge: Purge,
    *,
    trigger: Literal["schedule", "command"] = "schedule",
    actor: str = "system",
    scrub: tuple[type[Base], ...] = (),
) -> dict[str, int]:
    """Delete what ``purge`` finds expired; record what went (counts only) for the audit log.

    The deletions and the ``retention.applied`` event commit together. A run that removed
    nothing is only logged, so replicas running the same job do not fill the audit log.
    Afterwards what was deleted is made unreadable on disk; ``scrub`` names the tables that
    hold addresses, which PostgreSQL vacuums every run, since erasures happen between runs too.
    """
    now = runtime.clock.now()
    async with runtime.sessions() as session, session.begin():
        removed = await purge(session, now)
        recorded = await record_run(
            session, service, removed, trigger=trigger, actor=actor, now=now
        )
    log.info("retention: %s removed %s", service, removed)
    if scrub or any(removed.values()):
        await scrub_deleted(runtime.engine, *scrub)
    if recorded:
        runtime.relay.wake()
    return removed


async def record_run(
    session: AsyncSession,
    service: str,
    removed: dict[str, int],
    *,
    trigger: Literal["schedule", "command"],
    actor: str,
    now: datetime,
) -> bool:
    """Record a retention run for the audit log, in the run's transaction; tell whether it did.

    A command someone ran is always recorded; a scheduled run only when it removed something.
    """
    if trigger == "schedule" and not any(removed.values()):
        return False
    event = RetentionApplied(
        service=service, removed=removed, trigger=trigger, actor=actor, occurred_at=now
    )
    await record(session, event)
    return True


async def purge_bus_records(session: AsyncSession, now: datetime) -> dict[str, int]:
    """Delete published outbox rows and old handled-event ids; return how many of each."""
    return {
        "outbox_events": await purge_published(session, now - PUBLISHED_EVENTS_KEPT),
        "processed_events": await purge_handled(session, now - HANDLED_EVENTS_KEPT),
    }
