"""Reads and deletes of stored snapshots (their content is packed by ``snapshots``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.watcher.adapters.tables import Snapshot
from shared.db import rowcount


async def delete_taken_before(session: AsyncSession, cutoff: datetime) -> int:
    """Delete snapshots taken before ``cutoff``, except each source's latest; return how many."""
    latest = select(func.max(Snapshot.id)).group_by(Snapshot.source_id)
    result = await session.execute(
        delete(Snapshot)
        .where(Snapshot.taken_at < cutoff)
        .where(Snapshot.id.not_in(latest))
        .execution_options(synchronize_session=False)
    )
    return rowcount(result)


async def packed_contents(
    session: AsyncSession, source_id: int, snapshot_ids: Iterable[int]
) -> dict[int, bytes]:
    """Return the packed content of those of ``snapshot_ids`` that belong to the source."""
    rows = await session.scalars(
        select(Snapshot).where(Snapshot.source_id == source_id, Snapshot.id.in_(snapshot_ids))
    )
    return {row.id: row.content for row in rows}


async def newest_of_source(
    session: AsyncSession, source_id: int, limit: int
) -> list[tuple[int, datetime, str]]:
    """Return (id, taken_at, title) of a source's newest snapshots, newest first."""
    rows = await session.execute(
        select(Snapshot.id, Snapshot.taken_at, Snapshot.title)
        .where(Snapshot.source_id == source_id)
        .order_by(Snapshot.taken_at.desc(), Snapshot.id.desc())
        .limit(limit)
    )
    return [(i, taken_at, title) for i, taken_at, title in rows.all()]


async def newest_prints(
    session: AsyncSession, source_id: int, limit: int
) -> list[tuple[str, datetime]]:
    """Return (fingerprint, taken_at) of a source's newest snapshots, newest first."""
    rows = await session.execute(
        select(Snapshot.fingerprint, Snapshot.taken_at)
        .where(Snapshot.source_id == source_id)
        .order_by(Snapshot.id.desc())
        .limit(limit)
    )
    return [(fingerprint, taken_at) for fingerprint, taken_at in rows.all()]
