"""Recording what happened to sent deliveries: one transaction for a whole group of outcomes."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.mailer.adapters.tables import ChangeRecord, Delivery, PendingItem
from shared.events import SubscriberBounced
from shared.outbox import record

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# Pauses between tries to record outcomes while the database is away: about 8 s in all, inside
# the default lease's 60 s margin, so no other process takes these mails meanwhile.
RECORD_RETRY_PAUSES = (0.25, 0.5, 1.0, 2.0, 4.0)
# How long to wait before trying again when the SMTP server could not be reached at all.
SERVER_RETRY = timedelta(seconds=30)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one delivery.

    ``status`` is sent, handed (sent, and recorded so before the final dot), lost (another
    process holds the delivery now), retry (4xx or dropped connection), held (not tried:
    server down, ledger unavailable or lease running out), released (not tried: the process is
    shutting down), bounced (5xx), failed (cannot be built), dropped (no longer wanted) or
    rhythm (an alert for someone who now gets digests).
    """

    id: int
    subscriber_id: uuid.UUID | None
    kind: str
    status: str
    error: str | None = None
    code: int | None = None
    change_id: str | None = None


def retry_delay(attempts: int) -> timedelta:
    """Return the back-off before the next try after ``attempts`` failed ones."""
    return timedelta(seconds=min(3600, 30 * 2**attempts))


def _values(outcome: Outcome, attempts: int, now: datetime) -> dict[str, Any]:
    """Return the ledger update for one unsuccessful outcome."""
    row: dict[str, Any] = {"id": outcome.id, "lease_until": None, "last_error": outcome.error}
    if outcome.status == "held":
        # Not this mail's fault: keep its attempts, try again soon.
        return {
            **row,
            "status": "queued",
            "attempts": attempts,
            "next_attempt_at": now + SERVER_RETRY,
        }
    if outcome.status == "released":
        # Handed back unsent at shutdown: due at once, for whichever process claims it next.
        return {**row, "status": "queued", "attempts": attempts, "next_attempt_at": now}
    if outcome.status == "retry" and attempts + 1 < MAX_ATTEMPTS:
        delay = retry_delay(attempts)
        log.warning(
            "mailer: delivery %d deferred (%s); retry in %s", outcome.id, outcome.error, delay
        )
        return {**row, "status": "queued", "attempts": attempts + 1, "next_attempt_at": now + delay}
    failed = outcome.status in ("retry", "bounced", "failed")
    if failed:
        log.error("mailer: delivery %d failed for good: %s", outcome.id, outcome.error)
    return {
        **row,
        "status": "failed" if failed else "dropped",
        "attempts": attempts + 1,
        "next_attempt_at": now,
    }


async def record_outcomes(
    session: AsyncSession, outcomes: Sequence[Outcome], attempts: dict[int, int], now: datetime
) -> None:
    """Write the outcomes to the ledger, and a bounce event for each hard failure."""
    sent = [o.id for o in outcomes if o.status == "sent"]
    if sent:
        await session.execute(
            update(Delivery)
            .where(Delivery.id.in_(sent))
            .values(status="sent", sent_at=now, lease_until=None, last_error=None)
        )
    others = [_values(o, attempts[o.id], now) for o in outcomes if o.status != "sent"]
    if others:
        await session.execute(update(Delivery), others)
    for o in outcomes:
        if o.status == "bounced" and o.subscriber_id is not None and o.code and o.code >= 500:
            await record(
                session,
                SubscriberBounced(
                    subscriber_id=o.subscriber_id,
                    delivery_id=o.id,
                    kind=o.kind,
                    smtp_code=o.code,
                ),
            )
    await _release_items(session, [o for o in outcomes if o.status == "dropped"])
    await _to_digest(session, [o for o in outcomes if o.status == "rhythm"], now)


async def _release_items(session: AsyncSession, dropped: Sequence[Outcome]) -> None:
    """Give a dropped digest's items back so the person's current rhythm can still send them."""
    ids = [o.id for o in dropped if o.kind == "digest"]
    if ids:
        await session.execute(
            update(PendingItem).where(PendingItem.delivery_id.in_(ids)).values(delivery_id=None)
        )


async def _to_digest(session: AsyncSession, alerts: Sequence[Outcome], now: datetime) -> None:
    """Turn alerts for people who switched to a digest into pending items for it."""
    for alert in alerts:
        if alert.subscriber_id is None or alert.change_id is None:
            continue
        change_id = uuid.UUID(alert.change_id)
        exists = await session.scalar(
            select(PendingItem.id).where(
                PendingItem.subscriber_id == alert.subscriber_id,
                PendingItem.change_id == change_id,
            )
        )
        change = await session.get(ChangeRecord, change_id)
        if exists is None and change is not None:
            session.add(
                PendingItem(
                    subscriber_id=alert.subscriber_id,
                    change_id=change_id,
                    topic=change.topics[0],
                    created_at=now,
                )
            )
