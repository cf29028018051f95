"""Snapshot and push-key housekeeping, and the diff shown on the admin page."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.watcher.adapters import publisher_keys
from services.watcher.adapters.snapshot_rows import delete_taken_before, packed_contents
from services.watcher.adapters.snapshots import unpack
from services.watcher.domain.content import unified_diff


async def purge_snapshots(session: AsyncSession, now: datetime, keep_days: int) -> int:
    """Delete snapshots older than keep_days, always keeping each source's latest; return count."""
    return await delete_taken_before(session, now - timedelta(days=keep_days))


async def purge_push_keys(session: AsyncSession, now: datetime, keep_days: int) -> int:
    """Forget pushes' idempotency keys older than keep_days; return how many."""
    return await publisher_keys.purge_older(session, now - timedelta(days=keep_days))


class SnapshotNotFound(LookupError):
    """A snapshot asked for does not exist or belongs to another source."""


async def diff_between(session: AsyncSession, source_id: int, from_id: int, to_id: int) -> str:
    """Return the unified diff between two snapshots of one source."""
    contents = await packed_contents(session, source_id, (from_id, to_id))
    missing = [i for i in (from_id, to_id) if i not in contents]
    if missing:
        raise SnapshotNotFound(f"no snapshot {missing[0]} for source {source_id}")
    return unified_diff(unpack(contents[from_id]), unpack(contents[to_id]))
