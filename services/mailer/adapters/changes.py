"""Statements on the stored changes (``mail_changes``): a copy of each content.changed event."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import String, cast, delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.mailer.adapters.tables import ChangeRecord, PendingItem
from services.mailer.domain.review import OPEN, TOLD, ChangeStatus
from shared.db import rowcount
from shared.events import ContentChanged


async def store(
    session: AsyncSession,
    event: ContentChanged,
    status: ChangeStatus = ChangeStatus.PUBLISHED,
    *,
    decided: tuple[str, datetime] | None = None,
) -> None:
    """Keep what a change's mails show, for as long as a mail may still need it; ``decided``
    (by whom, when) for one that arrives decided (withdrawn, as its source was removed)."""
    record = ChangeRecord.of(event, status)
    if decided is not None:
        record.decided_by, record.decided_at = decided
    session.add(record)
    await session.flush()


async def by_id(session: AsyncSession, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, ChangeRecord]:
    """Return the stored changes among ``ids``; purged ones are missing."""
    if not ids:
        return {}
    rows = await session.scalars(select(ChangeRecord).where(ChangeRecord.id.in_(ids)))
    return {row.id: row for row in rows.all()}


async def first_topic(session: AsyncSession, change_id: uuid.UUID) -> str | None:
    """Return the first topic of a stored change, or None if it is gone."""
    change = await session.get(ChangeRecord, change_id)
    return change.topics[0] if change is not None else None


async def purge_unreferenced(session: AsyncSession, occurred_before: datetime) -> int:
    """Delete changes older than a time that no pending item needs; return how many.

    A change still on the editor's desk is kept however old it is: nobody has decided yet.
    """
    result = await session.execute(
        delete(ChangeRecord).where(
            ChangeRecord.occurred_at < occurred_before,
            ChangeRecord.status.not_in([s.value for s in OPEN]),
            ~exists(select(PendingItem.id).where(PendingItem.change_id == ChangeRecord.id)),
        )
    )
    return rowcount(result)


async def latest_for_topic(session: AsyncSession, topic: str, limit: int) -> list[ChangeRecord]:
    """Return a topic's newest changes people were told of, newest first.

    Changes on the desk and minor ones are left out: a feed says only what alerts said.

    ``topics`` is a JSON list; matching its text against the quoted slug is exact because a slug
    is only lower-case letters, digits and hyphens (``shared.catalogue_entries.is_slug``), and it
    reads the same on SQLite and PostgreSQL.
    """
    rows = await session.scalars(
        select(ChangeRecord)
        .where(
            cast(ChangeRecord.topics, String).contains(f'"{topic}"', autoescape=True),
            ChangeRecord.status.in_([s.value for s in TOLD]),
        )
        .order_by(ChangeRecord.occurred_at.desc(), ChangeRecord.id)
        .limit(limit)
    )
    return list(rows.all())
