"""Event consumers of the mailer: turn events into pending items and queued deliveries.

Each runs inside the bus's transaction with the inbox row, so a redelivered event does nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.mailer.adapters.tables import ChangeRecord, Delivery, PendingItem
from services.subscriptions import read_api
from shared.clock import Clock
from shared.db import refresh_statistics
from shared.events import (
    ContentChanged,
    ManageLinkRequested,
    PreferencesChanged,
    SignupRequested,
    SubscriberErased,
    SubscriberUnsubscribed,
)

log = logging.getLogger(__name__)

FANOUT_BATCH = 2000
# A fan-out this large changes the delivery tables enough to mislead the query planner until
# their statistics are refreshed (shared.db.refresh_statistics).
ANALYZE_AFTER = 10_000


def delivery_row(
    *, subscriber_id: Any, batch_key: str, kind: str, reference: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """Return the values of a queued delivery."""
    return {
        "subscriber_id": subscriber_id,
        "batch_key": batch_key,
        "kind": kind,
        "reference": reference,
        "status": "queued",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


async def queue_once(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Insert deliveries, skipping any (subscriber, batch) already in the ledger."""
    if not rows:
        return
    keys = {(r["subscriber_id"], r["batch_key"]) for r in rows}
    batch_keys = {k for _, k in keys}
    found = await session.execute(
        select(Delivery.subscriber_id, Delivery.batch_key).where(
            Delivery.batch_key.in_(batch_keys),
            Delivery.subscriber_id.in_({s for s, _ in keys}),
        )
    )
    existing = {(subscriber_id, batch_key) for subscriber_id, batch_key in found}
    fresh = [r for r in rows if (r["subscriber_id"], r["batch_key"]) not in existing]
    if fresh:
        await session.execute(insert(Delivery), fresh)


class MailerConsumers:
    """The mailer's event handlers."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    async def signup_requested(self, event: SignupRequested, session: AsyncSession) -> None:
        """Queue the confirmation mail."""
        await queue_once(
            session,
            [
                delivery_row(
                    subscriber_id=event.subscriber_id,
                    batch_key=f"confirm:{event.request_id}:{event.event_id}",
                    kind="confirm",
                    reference={"request_id": str(event.request_id)},
                    now=self._clock.now(),
                )
            ],
        )

    async def manage_link_requested(
        self, event: ManageLinkRequested, session: AsyncSession
    ) -> None:
        """Queue the mail with a fresh manage link."""
        await queue_once(
            session,
            [
                delivery_row(
                    subscriber_id=event.subscriber_id,
                    batch_key=f"manage:{event.event_id}",
                    kind="manage_link",
                    reference={},
                    now=self._clock.now(),
                )
            ],
        )

    async def content_changed(self, event: ContentChanged, session: AsyncSession) -> None:
        """Record the change, a pending item per subscriber, and alerts for immediate ones."""
        now = self._clock.now()
        session.add(ChangeRecord.of(event))
        await session.flush()
        batch_key = f"change:{event.event_id}"
        total = 0
        async for recipients in read_api.stream_recipients(
            session, event.topics, batch_size=FANOUT_BATCH
        ):
            items = []
            alerts = []
            for recipient in recipients:
                if recipient.frequency == "immediate":
                    alerts.append(
                        delivery_row(
                            subscriber_id=recipient.subscriber_id,
                            batch_key=batch_key,
                            kind="alert",
                            reference={"change_id": str(event.event_id)},
                            now=now,
                        )
                    )
                else:
                    items.append(
                        {
                            "subscriber_id": recipient.subscriber_id,
                            "change_id": event.event_id,
                            "topic": recipient.topic,
                            "created_at": now,
                        }
                    )
            if alerts:
                await session.execute(insert(Delivery), alerts)
            if items:
                await session.execute(insert(PendingItem), items)
            total += len(recipients)
        if total >= ANALYZE_AFTER:
            await refresh_statistics(session, Delivery, PendingItem)
        log.info("mailer: change %s fanned out to %d subscribers", event.event_id, total)

    async def preferences_changed(self, event: PreferencesChanged, session: AsyncSession) -> None:
        """Move pending items to the new rhythm and drop those of topics no longer followed."""
        await session.execute(
            delete(PendingItem).where(
                PendingItem.subscriber_id == event.subscriber_id,
                PendingItem.delivery_id.is_(None),
                PendingItem.topic.not_in(list(event.topics)),
            )
        )
        if event.frequency != "immediate":
            return  # the next digest of the new rhythm takes whatever is pending
        # Switching to immediate: what waited for a digest goes out now, one alert each.
        pending = (
            await session.execute(
                select(PendingItem.id, PendingItem.change_id).where(
                    PendingItem.subscriber_id == event.subscriber_id,
                    PendingItem.delivery_id.is_(None),
                )
            )
        ).all()
        now = self._clock.now()
        rows = [
            delivery_row(
                subscriber_id=event.subscriber_id,
                batch_key=f"change:{change_id}",
                kind="alert",
                reference={"change_id": str(change_id)},
                now=now,
            )
            for _, change_id in pending
        ]
        await queue_once(session, rows)
        if pending:
            # An alert dropped by an earlier switch to a digest (its change became the pending
            # item taken here) is the one owed again: requeue it; a sent one stays sent.
            await session.execute(
                update(Delivery)
                .where(
                    Delivery.subscriber_id == event.subscriber_id,
                    Delivery.kind == "alert",
                    Delivery.batch_key.in_([r["batch_key"] for r in rows]),
                    Delivery.status == "dropped",
                )
                .values(status="queued", next_attempt_at=now, lease_until=None, last_error=None)
            )
            await session.execute(
                delete(PendingItem).where(PendingItem.id.in_([i for i, _ in pending]))
            )

    async def unsubscribed(self, event: SubscriberUnsubscribed, session: AsyncSession) -> None:
        """Drop what was waiting for the ended topics (the sender re-checks at send time too)."""
        query = delete(PendingItem).where(
            PendingItem.subscriber_id == event.subscriber_id, PendingItem.delivery_id.is_(None)
        )
        if not event.all_topics:
            query = query.where(PendingItem.topic.in_(list(event.topics)))
        await session.execute(query)
        if event.all_topics:
            await _drop_queued(session, event.subscriber_id, kinds=("alert", "digest"))

    async def erased(self, event: SubscriberErased, session: AsyncSession) -> None:
        """Drop everything queued for the person and unlink the ledger from their id."""
        await session.execute(
            delete(PendingItem).where(PendingItem.subscriber_id == event.subscriber_id)
        )
        await _drop_queued(session, event.subscriber_id, kinds=None)
        # The delivery ledger keeps counts, not people: forget whose mails these were.
        await session.execute(
            update(Delivery)
            .where(Delivery.subscriber_id == event.subscriber_id)
            .values(subscriber_id=None)
        )


async def _drop_queued(
    session: AsyncSession, subscriber_id: Any, *, kinds: tuple[str, ...] | None
) -> None:
    query = (
        update(Delivery)
        .where(Delivery.subscriber_id == subscriber_id, Delivery.status.in_(("queued", "sending")))
        .values(status="dropped", last_error="ended by the subscriber")
    )
    if kinds is not None:
        query = query.where(Delivery.kind.in_(kinds))
    await session.execute(query)
