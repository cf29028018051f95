"""Statements on the pending items (``mail_pending_items``): changes and bulletins owed to a
digest.

An item belongs to a person and a change, not to a rhythm: a digest takes every open item of
its people created before its period's end, and attaches them to itself (``delivery_id``).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from services.mailer.adapters.tables import Delivery, PendingItem
from services.mailer.domain.ledger import DeliveryStatus


async def add(
    session: AsyncSession,
    owed: Sequence[tuple[uuid.UUID, str]],
    change_id: uuid.UUID,
    now: datetime,
) -> None:
    """Owe one change to people, each through the topic they follow it by."""
    if owed:
        await session.execute(
            insert(PendingItem),
            [
                {"subscriber_id": s, "change_id": change_id, "topic": topic, "created_at": now}
                for s, topic in owed
            ],
        )


async def add_bulletin(
    session: AsyncSession,
    owed: Sequence[tuple[uuid.UUID, str]],
    bulletin_id: uuid.UUID,
    now: datetime,
) -> None:
    """Owe a bulletin to people's next digest, skipping those who are owed it already."""
    if not owed:
        return
    found = await session.scalars(
        select(PendingItem.subscriber_id).where(
            PendingItem.bulletin_id == bulletin_id,
            PendingItem.subscriber_id.in_([s for s, _ in owed]),
        )
    )
    had = set(found.all())
    fresh = [
        {"subscriber_id": s, "bulletin_id": bulletin_id, "topic": topic, "created_at": now}
        for s, topic in owed
        if s not in had
    ]
    if fresh:
        await session.execute(insert(PendingItem), fresh)


async def add_once(
    session: AsyncSession, subscriber_id: uuid.UUID, change_id: uuid.UUID, topic: str, now: datetime
) -> None:
    """Owe one change to one person, unless it already is."""
    found = await session.scalar(
        select(PendingItem.id).where(
            PendingItem.subscriber_id == subscriber_id, PendingItem.change_id == change_id
        )
    )
    if found is None:
        session.add(
            PendingItem(
                subscriber_id=subscriber_id, change_id=change_id, topic=topic, created_at=now
            )
        )


async def open_changes(
    session: AsyncSession, subscriber_id: uuid.UUID
) -> list[tuple[int, uuid.UUID]]:
    """Return (item id, change id) of the changes the person is owed and no digest took yet."""
    return await _open(session, subscriber_id, PendingItem.change_id)


async def open_bulletins(
    session: AsyncSession, subscriber_id: uuid.UUID
) -> list[tuple[int, uuid.UUID]]:
    """Return (item id, bulletin id) of the bulletins the person is owed and no digest took."""
    return await _open(session, subscriber_id, PendingItem.bulletin_id)


async def _open(
    session: AsyncSession, subscriber_id: uuid.UUID, column: InstrumentedAttribute[Any]
) -> list[tuple[int, uuid.UUID]]:
    rows = await session.execute(
        select(PendingItem.id, column).where(
            PendingItem.subscriber_id == subscriber_id,
            PendingItem.delivery_id.is_(None),
            column.is_not(None),
        )
    )
    return [(item_id, owed) for item_id, owed in rows.all() if owed is not None]


async def drop_open(
    session: AsyncSession,
    subscriber_id: uuid.UUID,
    *,
    topics: Collection[str] | None = None,
    keep_topics: Collection[str] | None = None,
) -> None:
    """Drop the person's open items: of ``topics``, of any topic but ``keep_topics``, or all."""
    query = delete(PendingItem).where(
        PendingItem.subscriber_id == subscriber_id, PendingItem.delivery_id.is_(None)
    )
    if topics is not None:
        query = query.where(PendingItem.topic.in_(list(topics)))
    if keep_topics is not None:
        query = query.where(PendingItem.topic.not_in(list(keep_topics)))
    await session.execute(query)


async def delete_items(session: AsyncSession, ids: Collection[int]) -> None:
    """Delete items by id."""
    if ids:
        await session.execute(delete(PendingItem).where(PendingItem.id.in_(list(ids))))


async def forget_subscriber(session: AsyncSession, subscriber_id: uuid.UUID) -> None:
    """Delete every item of an erased person, attached to a digest or not."""
    await session.execute(delete(PendingItem).where(PendingItem.subscriber_id == subscriber_id))


async def release(session: AsyncSession, digest_ids: Collection[int]) -> None:
    """Give dropped digests' items back, so the person's current rhythm can still send them."""
    if digest_ids:
        await session.execute(
            update(PendingItem)
            .where(PendingItem.delivery_id.in_(list(digest_ids)))
            .values(delivery_id=None)
        )


async def changes_of(
    session: AsyncSession, digest_ids: Collection[int]
) -> dict[int, list[uuid.UUID]]:
    """Return the change ids attached to each digest delivery."""
    return await _attached(session, digest_ids, PendingItem.change_id)


async def bulletins_of(
    session: AsyncSession, digest_ids: Collection[int]
) -> dict[int, list[uuid.UUID]]:
    """Return the bulletin ids attached to each digest delivery."""
    return await _attached(session, digest_ids, PendingItem.bulletin_id)


async def _attached(
    session: AsyncSession, digest_ids: Collection[int], column: InstrumentedAttribute[Any]
) -> dict[int, list[uuid.UUID]]:
    attached: dict[int, list[uuid.UUID]] = {d: [] for d in digest_ids}
    if digest_ids:
        rows = await session.execute(
            select(PendingItem.delivery_id, column).where(
                PendingItem.delivery_id.in_(list(digest_ids)), column.is_not(None)
            )
        )
        for delivery_id, owed_id in rows.all():
            if delivery_id is not None:
                attached[delivery_id].append(owed_id)
    return attached


async def owing(
    session: AsyncSession, subscriber_ids: Collection[uuid.UUID], before: datetime
) -> set[uuid.UUID]:
    """Return which of the people have open items created before a time."""
    found = await session.scalars(
        select(PendingItem.subscriber_id)
        .where(
            PendingItem.subscriber_id.in_(subscriber_ids),
            PendingItem.delivery_id.is_(None),
            PendingItem.created_at < before,
        )
        .distinct()
    )
    return set(found.all())


async def attach_to_digests(
    session: AsyncSession, batch_key: str, subscriber_ids: Collection[uuid.UUID], before: datetime
) -> None:
    """Attach each person's open items created before a time to their queued digest."""
    # One joined UPDATE (not one per person, and not a correlated subquery per item: this is
    # most of a digest run's time).
    await session.execute(
        update(PendingItem)
        .where(
            Delivery.subscriber_id == PendingItem.subscriber_id,
            Delivery.batch_key == batch_key,
            Delivery.status == DeliveryStatus.QUEUED,
            # Said of both tables, so the digests are found by (subscriber, batch) rather
            # than by reading every digest queued so far in this run: that made each page
            # slower than the last (7 s per page of 1,000 once 60,000 were queued).
            Delivery.subscriber_id.in_(subscriber_ids),
            PendingItem.subscriber_id.in_(subscriber_ids),
            PendingItem.delivery_id.is_(None),
            PendingItem.created_at < before,
        )
        .values(delivery_id=Delivery.id)
        .execution_options(synchronize_session=False)
    )
