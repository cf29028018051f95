"""Statements on the delivery ledger (``mail_deliveries``): queue, drop, record, forget, purge.

One row per mail, unique per (subscriber, batch key), so nothing is queued twice. The claim a
worker takes is in ``claims``; the mark written before the final dot is in ``handover``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any, Final

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.mailer.adapters.stored_references import read_reference, stored_reference
from services.mailer.adapters.tables import Delivery, PendingItem
from services.mailer.domain.ledger import (
    FINISHED_STATUSES,
    OPEN_STATUSES,
    Batch,
    ConfirmReference,
    DeliveryKind,
    DeliveryStatus,
    DigestReference,
    encode_reference,
)
from services.mailer.domain.outcomes import NextStep
from shared.db import refresh_statistics, rowcount
from shared.vocabulary import Frequency

log = logging.getLogger(__name__)

# What an erased person's confirmation mail is in the ledger: a confirmation of no request.
FORGOTTEN_CONFIRMATION: Final = Batch("confirm:forgotten", ConfirmReference(uuid.UUID(int=0)))

# A fan-out this large changes the delivery tables enough to mislead the query planner until
# their statistics are refreshed (shared.db.refresh_statistics).
ANALYZE_AFTER = 10_000


def _rows(
    subscriber_ids: Iterable[uuid.UUID | None], batch: Batch, now: datetime
) -> list[dict[str, Any]]:
    """Return the values of one batch's queued deliveries, one per subscriber (None: a staff
    notice, whose reference names its recipient)."""
    reference = encode_reference(batch.reference)
    return [
        {
            "subscriber_id": subscriber_id,
            "batch_key": batch.key,
            "kind": batch.kind,
            "reference": reference,
            "status": DeliveryStatus.QUEUED,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for subscriber_id in subscriber_ids
    ]


async def queue(
    session: AsyncSession, subscriber_ids: Sequence[uuid.UUID], batch: Batch, now: datetime
) -> None:
    """Queue one batch for people who cannot have it yet (a change's first fan-out)."""
    if subscriber_ids:
        await session.execute(insert(Delivery), _rows(subscriber_ids, batch, now))


async def queue_new(
    session: AsyncSession, subscriber_ids: Sequence[uuid.UUID], batch: Batch, now: datetime
) -> None:
    """Queue one batch for people, skipping those the ledger already has it for."""
    if not subscriber_ids:
        return
    found = await session.scalars(
        select(Delivery.subscriber_id).where(
            Delivery.batch_key == batch.key, Delivery.subscriber_id.in_(subscriber_ids)
        )
    )
    had = set(found.all())
    await queue(session, [s for s in subscriber_ids if s not in had], batch, now)


async def queue_once(
    session: AsyncSession, subscriber_id: uuid.UUID, batches: Sequence[Batch], now: datetime
) -> None:
    """Queue batches for one person, skipping any the ledger already has for them."""
    if not batches:
        return
    found = await session.scalars(
        select(Delivery.batch_key).where(
            Delivery.subscriber_id == subscriber_id,
            Delivery.batch_key.in_({b.key for b in batches}),
        )
    )
    existing = set(found.all())
    fresh = [
        row for b in batches if b.key not in existing for row in _rows([subscriber_id], b, now)
    ]
    if fresh:
        await session.execute(insert(Delivery), fresh)


async def queue_staff(session: AsyncSession, batches: Sequence[Batch], now: datetime) -> int:
    """Queue staff notices (one batch each, no subscriber), skipping any the ledger already
    has; return how many were queued.

    What queues them guards against a second time (the bus's inbox, the reminder's mark); the
    unique index cannot, as it holds no NULL subscriber, so the keys are looked up here too.
    """
    if not batches:
        return 0
    found = await session.scalars(
        select(Delivery.batch_key).where(
            Delivery.subscriber_id.is_(None), Delivery.batch_key.in_({b.key for b in batches})
        )
    )
    existing = set(found.all())
    fresh = [row for b in batches if b.key not in existing for row in _rows([None], b, now)]
    if fresh:
        await session.execute(insert(Delivery), fresh)
    return len(fresh)


async def queue_digests(
    session: AsyncSession, subscriber_ids: Sequence[uuid.UUID], batch: Batch, now: datetime
) -> int:
    """Queue a period's digest for people, quietly skipping those who have it; return how many."""
    if not subscriber_ids:
        return 0
    # Another replica may walk the same period at the same moment (two mailers starting
    # together): whoever comes second skips the rows the first wrote, quietly.
    upsert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    result = await session.execute(
        upsert(Delivery)
        .on_conflict_do_nothing(index_elements=["subscriber_id", "batch_key"])
        .returning(Delivery.id),
        _rows(subscriber_ids, batch, now),
    )
    return len(result.all())


async def having_batch(
    session: AsyncSession, batch_key: str, subscriber_ids: Collection[uuid.UUID]
) -> set[uuid.UUID]:
    """Return which of the people already have a delivery of the batch."""
    found = await session.scalars(
        select(Delivery.subscriber_id).where(
            Delivery.batch_key == batch_key, Delivery.subscriber_id.in_(subscriber_ids)
        )
    )
    return {s for s in found.all() if s is not None}


async def alerted(
    session: AsyncSession, subscriber_ids: Collection[uuid.UUID], change_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, set[uuid.UUID]]:
    """Return which of the changes each person has an alert of (queued, sent, or handed on as a
    digest item by a switch of rhythm): a digest does not tell them again (0016, point 7)."""
    if not subscriber_ids or not change_ids:
        return {}
    keys = {Batch.alert(change_id).key: change_id for change_id in change_ids}
    rows = await session.execute(
        select(Delivery.subscriber_id, Delivery.batch_key).where(
            Delivery.subscriber_id.in_(list(subscriber_ids)), Delivery.batch_key.in_(list(keys))
        )
    )
    found: dict[uuid.UUID, set[uuid.UUID]] = {}
    for subscriber_id, key in rows.all():
        if subscriber_id is not None:
            found.setdefault(subscriber_id, set()).add(keys[key])
    return found


async def requeue_dropped_alerts(
    session: AsyncSession, subscriber_id: uuid.UUID, batches: Sequence[Batch], now: datetime
) -> None:
    """Queue again the person's alerts of these batches that an earlier rhythm change dropped,
    each now telling what its batch tells (its page's earlier changes too)."""
    for batch in batches:
        await session.execute(
            update(Delivery)
            .where(
                Delivery.subscriber_id == subscriber_id,
                Delivery.kind == DeliveryKind.ALERT,
                Delivery.batch_key == batch.key,
                Delivery.status == DeliveryStatus.DROPPED,
            )
            .values(
                status=DeliveryStatus.QUEUED,
                next_attempt_at=now,
                lease_until=None,
                last_error=None,
                reference=encode_reference(batch.reference),
            )
        )


async def drop_open(
    session: AsyncSession,
    subscriber_id: uuid.UUID,
    kinds: Collection[DeliveryKind] | None,
) -> None:
    """Drop the person's deliveries not sent yet (of ``kinds``, or all)."""
    query = (
        update(Delivery)
        .where(Delivery.subscriber_id == subscriber_id, Delivery.status.in_(OPEN_STATUSES))
        .values(status=DeliveryStatus.DROPPED, last_error="ended by the subscriber")
    )
    if kinds is not None:
        query = query.where(Delivery.kind.in_(kinds))
    await session.execute(query)


async def cancel_waiting_digests(
    session: AsyncSession, subscriber_id: uuid.UUID, *, keep: Frequency
) -> list[tuple[int, DigestReference]]:
    """Drop the person's digests of another rhythm than ``keep`` that no sender has claimed;
    return them.

    Their rows are locked first: a claim that took one a moment ago is waited for, and the
    digest it took is no longer waiting (the sender then sends it, or hands its changes on);
    a claim coming after skips the locked rows and then finds them dropped.
    """
    rows = await session.execute(
        select(Delivery.id, stored_reference(session))
        .where(
            Delivery.subscriber_id == subscriber_id,
            Delivery.kind == DeliveryKind.DIGEST,
            Delivery.status == DeliveryStatus.QUEUED,
        )
        .order_by(Delivery.id)
        .with_for_update()
    )
    waiting = []
    for delivery_id, stored in rows.all():
        reference = read_reference(DeliveryKind.DIGEST, stored)
        if isinstance(reference, ValueError):
            # Its rhythm cannot be told, nor its changes handed on; the rhythm changes for the
            # rest, and the sender's claim fails this row with the reason (claims.py).
            log.error("mailer: delivery %d cannot be read: %s", delivery_id, reference)
            continue
        if isinstance(reference, DigestReference) and reference.frequency != keep:
            waiting.append((delivery_id, reference))
    if waiting:
        await session.execute(
            update(Delivery)
            .where(
                Delivery.id.in_([i for i, _ in waiting]),
                Delivery.status == DeliveryStatus.QUEUED,
            )
            .values(status=DeliveryStatus.DROPPED, last_error="the rhythm changed")
        )
    return waiting


async def forget_subscriber(session: AsyncSession, subscriber_id: uuid.UUID) -> None:
    """Unlink the ledger from an erased person: it keeps counts, not people.

    A confirmation's key and reference named its sign-up request, whose id the consent ledger
    keeps as the token the person confirmed with (``token_id``): left here, they would tie the
    row to the person's keyed hash there for as long as the row is kept. They name nothing now;
    with the person's id gone, the unique (subscriber, key) holds no row of theirs to repeat.
    """
    await session.execute(
        update(Delivery)
        .where(Delivery.subscriber_id == subscriber_id, Delivery.kind == DeliveryKind.CONFIRM)
        .values(
            subscriber_id=None,
            batch_key=FORGOTTEN_CONFIRMATION.key,
            reference=encode_reference(FORGOTTEN_CONFIRMATION.reference),
        )
    )
    await session.execute(
        update(Delivery).where(Delivery.subscriber_id == subscriber_id).values(subscriber_id=None)
    )


async def mark_sent(session: AsyncSession, ids: Sequence[int], now: datetime) -> None:
    """Record deliveries as sent (by a sender that took no hand-over)."""
    if ids:
        await session.execute(
            update(Delivery)
            .where(Delivery.id.in_(ids))
            .values(status=DeliveryStatus.SENT, sent_at=now, lease_until=None, last_error=None)
        )


async def record_next_steps(
    session: AsyncSession, steps: Sequence[tuple[int, NextStep, str | None]]
) -> None:
    """Record what becomes of deliveries that were not sent, with each one's error."""
    if steps:
        await session.execute(
            update(Delivery),
            [
                {
                    "id": delivery_id,
                    "status": step.status,
                    "attempts": step.attempts,
                    "next_attempt_at": step.next_attempt_at,
                    "lease_until": None,
                    "sent_at": None,  # a withdrawn hand-over may have set it
                    "last_error": error,
                }
                for delivery_id, step, error in steps
            ],
        )


async def purge_finished(
    session: AsyncSession, created_before: datetime, *, alerts_before: datetime | None = None
) -> int:
    """Delete finished deliveries created before a time (alerts: before ``alerts_before`` if
    given); return how many."""
    alerts_before = created_before if alerts_before is None else alerts_before
    result = await session.execute(
        delete(Delivery).where(
            Delivery.status.in_(FINISHED_STATUSES),
            Delivery.created_at < created_before,
            or_(Delivery.kind != DeliveryKind.ALERT, Delivery.created_at < alerts_before),
        )
    )
    return rowcount(result)


async def refresh_planner_statistics(session: AsyncSession, *, items: bool = True) -> None:
    """Tell PostgreSQL's planner how large the ledger (and the pending items) grew."""
    await refresh_statistics(session, Delivery, *((PendingItem,) if items else ()))
