"""What the watcher publishes for the operations view: each source's health."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.watcher.adapters.tables import WatchedSource


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
