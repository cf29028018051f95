"""Reads of watched-source rows outside the poll loop: the catalogue sync, the admin, metrics."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.watcher.adapters.tables import WatchedSource


async def all_sources(session: AsyncSession) -> Sequence[WatchedSource]:
    """Return every source row, for the session to change in place."""
    return (await session.scalars(select(WatchedSource))).all()


async def sources_failing_first(session: AsyncSession) -> Sequence[WatchedSource]:
    """Return every source row, most consecutive failures first, then by URL."""
    return (
        await session.scalars(
            select(WatchedSource).order_by(
                WatchedSource.consecutive_failures.desc(), WatchedSource.url
            )
        )
    ).all()


async def ids_by_url(session: AsyncSession) -> dict[str, int]:
    """Return each source's id by its URL."""
    rows = await session.execute(select(WatchedSource.url, WatchedSource.id))
    return {url: source_id for url, source_id in rows.all()}


async def source_url(session: AsyncSession, source_id: int) -> str | None:
    """Return a source's URL, or None if there is no such source."""
    source = await session.get(WatchedSource, source_id)
    return None if source is None else source.url


async def active_status_counts(session: AsyncSession) -> dict[str, int]:
    """Return how many active sources have each status (statuses with none are left out)."""
    rows = await session.execute(
        select(WatchedSource.status, func.count())
        .where(WatchedSource.active.is_(True))
        .group_by(WatchedSource.status)
    )
    return {status: count for status, count in rows.all()}


async def oldest_due(session: AsyncSession) -> datetime | None:
    """Return when the active source due a poll the longest was due (None: no active source)."""
    return await session.scalar(
        select(func.min(WatchedSource.next_check_at)).where(WatchedSource.active.is_(True))
    )
