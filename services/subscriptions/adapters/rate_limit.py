"""Fixed-window request counters in the database, so every replica sees the same limits."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.subscriptions.adapters.tables import RateLimitHit

WINDOW = timedelta(hours=1)


def _window(now: datetime) -> datetime:
    return now.replace(minute=0, second=0, microsecond=0)


async def allow(session: AsyncSession, key: str, limit: int, now: datetime) -> bool:
    """Count one request for ``key`` (already a keyed hash) and tell whether it is within limit."""
    window = _window(now)
    hit = await session.scalar(
        select(RateLimitHit)
        .where(RateLimitHit.key == key, RateLimitHit.window_start == window)
        .with_for_update()
    )
    if hit is None:
        session.add(RateLimitHit(key=key, window_start=window, count=1))
        await session.flush()
        return True
    hit.count += 1
    return hit.count <= limit


async def purge_expired(session: AsyncSession, now: datetime) -> int:
    """Delete counters of windows that have ended."""
    result = await session.execute(
        delete(RateLimitHit).where(RateLimitHit.window_start < _window(now))
    )
    return int(getattr(result, "rowcount", 0) or 0)
