"""Statements on the stored bulletins (``mail_bulletins``): a copy of each bulletin's words."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.mailer.adapters.tables import BulletinRecord, PendingItem
from shared.db import rowcount
from shared.events import BulletinPublished


async def store(session: AsyncSession, event: BulletinPublished) -> bool:
    """Keep a bulletin's words for its mails; tell whether it is new (not sent before)."""
    if await session.get(BulletinRecord, event.bulletin_id) is not None:
        return False
    session.add(BulletinRecord.of(event))
    await session.flush()
    return True


async def by_id(
    session: AsyncSession, ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, BulletinRecord]:
    """Return the stored bulletins among ``ids``."""
    if not ids:
        return {}
    rows = await session.scalars(select(BulletinRecord).where(BulletinRecord.id.in_(ids)))
    return {row.id: row for row in rows.all()}


async def purge_unreferenced(session: AsyncSession, occurred_before: datetime) -> int:
    """Delete bulletins older than a time that no pending item still owes; return how many."""
    result = await session.execute(
        delete(BulletinRecord).where(
            BulletinRecord.occurred_at < occurred_before,
            ~exists(select(PendingItem.id).where(PendingItem.bulletin_id == BulletinRecord.id)),
        )
    )
    return rowcount(result)
