"""Snapshot housekeeping and the diff shown on the admin page."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.watcher.adapters.snapshots import unpack
from services.watcher.adapters.tables import Snapshot
from services.watcher.domain.content import unified_diff
from shared.db import rowcount


async def purge_snapshots(session: AsyncSession, now: datetime, keep_days: int) -> int:
    """Delete snapshots older than keep_days, always keeping each source's latest; return count."""
    latest = select(func.max(Snapshot.id)).group_by(Snapshot.source_id)
    result = await session.execute(
        delete(Snapshot)
        .where(Snapshot.taken_at < now - timedelta(days=keep_days))
        .where(Snapshot.id.not_in(latest))
        .execution_options(synchronize_session=False)
    )
    return rowcount(result)


class SnapshotNotFound(LookupError):
    """A snapshot asked for does not exist or belongs to another source."""


async def diff_between(session: AsyncSession, source_id: int, from_id: int, to_id: int) -> str:
    """Return the unified diff between two snapshots of one source."""
    rows = {
        row.id: row
        for row in await session.scalars(
            select(Snapshot).where(
                Snapshot.source_id == source_id, Snapshot.id.in_((from_id, to_id))
            )
        )
    }
    missing = [i for i in (from_id, to_id) if i not in rows]
    if missing:
        raise SnapshotNotFound(f"no snapshot {missing[0]} for source {source_id}")
    return unified_diff(unpack(rows[from_id].content), unpack(rows[to_id].content))
