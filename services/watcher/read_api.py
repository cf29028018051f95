"""What the watcher publishes for the admin: each source's health, and trying a new source."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.watcher.adapters.tables import Snapshot, WatchedSource
from services.watcher.retention import SnapshotNotFound, diff_between
from services.watcher.trial import SourceTrial, TrialRefused, try_source

__all__ = [
    "SourceStatus",
    "SourceTrial",
    "TrialRefused",
    "snapshot_diff",
    "source_ids",
    "source_snapshots",
    "source_statuses",
    "try_source",
]


@dataclass(frozen=True, slots=True)
class SourceStatus:
    """One watched source as the operations view shows it."""

    url: str
    kind: str
    topics: tuple[str, ...]
    active: bool
    status: str
    last_checked_at: datetime | None
    last_changed_at: datetime | None
    consecutive_failures: int
    last_error: str | None


async def source_statuses(session: AsyncSession) -> list[SourceStatus]:
    """Return every source, failing ones first."""
    rows = await session.scalars(
        select(WatchedSource).order_by(WatchedSource.consecutive_failures.desc(), WatchedSource.url)
    )
    return [
        SourceStatus(
            url=s.url,
            kind=s.kind,
            topics=tuple(s.topics),
            active=s.active,
            status=s.status,
            last_checked_at=s.last_checked_at,
            last_changed_at=s.last_changed_at,
            consecutive_failures=s.consecutive_failures,
            last_error=s.last_error,
        )
        for s in rows
    ]


@dataclass(frozen=True, slots=True)
class SnapshotInfo:
    """One stored snapshot of a source, without its content."""

    id: int
    taken_at: datetime
    title: str


@dataclass(frozen=True, slots=True)
class SourceSnapshots:
    """A source and its stored snapshots, newest first, for picking two to compare."""

    source_id: int
    url: str
    snapshots: tuple[SnapshotInfo, ...]


async def source_ids(session: AsyncSession) -> dict[str, int]:
    """Return each source's id by its URL, for linking to its snapshots."""
    rows = await session.execute(select(WatchedSource.url, WatchedSource.id))
    return {url: source_id for url, source_id in rows.all()}


async def source_snapshots(
    session: AsyncSession, source_id: int, *, limit: int = 200
) -> SourceSnapshots | None:
    """Return a source's newest snapshots, or None if there is no such source."""
    source = await session.get(WatchedSource, source_id)
    if source is None:
        return None
    rows = await session.execute(
        select(Snapshot.id, Snapshot.taken_at, Snapshot.title)
        .where(Snapshot.source_id == source_id)
        .order_by(Snapshot.taken_at.desc(), Snapshot.id.desc())
        .limit(limit)
    )
    return SourceSnapshots(
        source.id,
        source.url,
        tuple(SnapshotInfo(i, taken_at, title) for i, taken_at, title in rows.all()),
    )


async def snapshot_diff(
    session: AsyncSession, source_id: int, from_id: int, to_id: int
) -> str | None:
    """Return the unified diff of two snapshots of a source, or None if either is not there."""
    try:
        return await diff_between(session, source_id, from_id, to_id)
    except SnapshotNotFound:
        return None
