"""Statements on pages that disappeared: listing them, and an editor's confirmation."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.watcher.adapters.tables import WatchedSource
from shared.events import PageRemoved
from shared.outbox import record

_UNCONFIRMED = or_(
    WatchedSource.gone_confirmed_at.is_(None),
    WatchedSource.gone_confirmed_at < WatchedSource.gone_at,  # gone again since
)


async def gone_sources(session: AsyncSession) -> list[WatchedSource]:
    """Return the active sources that are gone and not yet confirmed, longest gone first."""
    query = (
        select(WatchedSource)
        .where(WatchedSource.active.is_(True), WatchedSource.gone_at.is_not(None), _UNCONFIRMED)
        .order_by(WatchedSource.missing_since, WatchedSource.id)
    )
    return list((await session.scalars(query)).all())


async def confirm_gone(session: AsyncSession, source_id: int, now: datetime) -> PageRemoved | None:
    """Mark a gone source confirmed and record its event; None if it is not (or no longer) gone.

    One conditional UPDATE: of two editors confirming at once, exactly one changes the row.
    """
    row = (
        await session.execute(
            update(WatchedSource)
            .where(
                WatchedSource.id == source_id,
                WatchedSource.active.is_(True),
                WatchedSource.gone_at.is_not(None),
                _UNCONFIRMED,
            )
            .values(gone_confirmed_at=now)
            .returning(
                WatchedSource.url,
                WatchedSource.title,
                WatchedSource.topics,
                WatchedSource.missing_since,
                WatchedSource.moved_to,
            )
        )
    ).first()
    if row is None or row.missing_since is None:
        return None
    event = PageRemoved(
        source_id=source_id,
        source_url=row.url,
        title=row.title or row.url,
        topics=tuple(row.topics or ()),
        missing_since=row.missing_since,
        moved_to=row.moved_to,
    )
    await record(session, event)
    return event
