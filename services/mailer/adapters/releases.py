"""Statements on the release log: the told changes in the order digests read them (0016).

A change is released when it is told to its followers (on arrival, or on an editor's approval).
Its number comes from one counter row, incremented in the releasing transaction: the row's lock
makes the numbers' order the order their transactions commit, so a run that reads "everything
up to n" can never miss a smaller number committing later, and ``released_at`` is stamped under
the same lock so it grows with the number.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.mailer.adapters.tables import ChangeRecord, ReleaseCounter

_COUNTER = 1


async def release(session: AsyncSession, change_id: uuid.UUID, now: datetime) -> int:
    """Give a stored change the next place in the release log; return it (once per change)."""
    known = await session.scalar(
        select(ChangeRecord.release_seq).where(ChangeRecord.id == change_id)
    )
    if known is not None:
        return known
    upsert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    # The row is made by the migration; a schema made from the models gets it here.
    await session.execute(
        upsert(ReleaseCounter)
        .values(id=_COUNTER, seq=0, released_at=None)
        .on_conflict_do_nothing(index_elements=["id"])
    )
    counter = await session.execute(
        update(ReleaseCounter)
        .where(ReleaseCounter.id == _COUNTER)
        .values(seq=ReleaseCounter.seq + 1)
        .returning(ReleaseCounter.seq, ReleaseCounter.released_at)
    )
    seq, last = counter.one()
    at = now if last is None or now > last else last
    await session.execute(
        update(ReleaseCounter).where(ReleaseCounter.id == _COUNTER).values(released_at=at)
    )
    await session.execute(
        update(ChangeRecord)
        .where(ChangeRecord.id == change_id)
        .values(release_seq=seq, released_at=at)
        .execution_options(synchronize_session=False)
    )
    return int(seq)


async def current(session: AsyncSession, *, settled: bool = False) -> int:
    """Return the last committed place in the release log (0 before any release).

    ``settled`` waits for a release being committed, and holds the next one back until this
    transaction ends: a switch of rhythm reads there where the alerts end and the digests
    begin, and a release in flight may have read the person's rhythm before the switch.
    """
    query = select(ReleaseCounter.seq).where(ReleaseCounter.id == _COUNTER)
    if settled:
        query = query.with_for_update(read=True)
    seq = await session.scalar(query)
    return int(seq or 0)


async def last_before(session: AsyncSession, end: datetime) -> int:
    """Return the last place of a change released before a time (0 if none)."""
    seq = await session.scalar(
        select(func.max(ChangeRecord.release_seq)).where(ChangeRecord.released_at < end)
    )
    return int(seq or 0)


async def between(session: AsyncSession, after: int, through: int) -> list[ChangeRecord]:
    """Return the changes released after one place and up to another, in release order."""
    if through <= after:
        return []
    rows = await session.scalars(
        select(ChangeRecord)
        .where(ChangeRecord.release_seq > after, ChangeRecord.release_seq <= through)
        .order_by(ChangeRecord.release_seq)
    )
    return list(rows.all())
