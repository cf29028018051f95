"""Statements on the digest cursors (``mail_digest_cursors``): how far each person was told.

A person without a row was told nothing from the release log yet; their topics' start times
bound what they are owed (docs/decisions/0016).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.mailer.adapters.tables import DigestCursor


async def told_through(
    session: AsyncSession, subscriber_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """Return each person's place in the release log; people without one are missing."""
    if not subscriber_ids:
        return {}
    rows = await session.execute(
        select(DigestCursor.subscriber_id, DigestCursor.told_through).where(
            DigestCursor.subscriber_id.in_(list(subscriber_ids))
        )
    )
    return {s: int(t) for s, t in rows.all()}


async def move_to(session: AsyncSession, subscriber_ids: Collection[uuid.UUID], seq: int) -> None:
    """Set people's place in the release log."""
    if not subscriber_ids:
        return
    upsert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = upsert(DigestCursor)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["subscriber_id"],
            set_={"told_through": statement.excluded.told_through},
        ),
        [{"subscriber_id": s, "told_through": seq} for s in subscriber_ids],
    )


async def rewind(
    session: AsyncSession, subscriber_id: uuid.UUID, *, to: int, only_from: int
) -> None:
    """Move a person back to ``to`` if no later digest moved them past ``only_from``."""
    await session.execute(
        update(DigestCursor)
        .where(DigestCursor.subscriber_id == subscriber_id, DigestCursor.told_through == only_from)
        .values(told_through=to)
    )


async def forget(session: AsyncSession, subscriber_id: uuid.UUID) -> None:
    """Delete an erased person's place."""
    await session.execute(delete(DigestCursor).where(DigestCursor.subscriber_id == subscriber_id))
