"""Idempotent consumers: each consumer remembers the event ids it has handled."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, UTCDateTime, rowcount


class ProcessedEvent(Base):
    """An event a consumer has already handled (its effects committed with this row)."""

    __tablename__ = "processed_events"

    consumer: Mapped[str] = mapped_column(String(100), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


async def claim(session: AsyncSession, consumer: str, event_id: str, now: datetime) -> bool:
    """Record that ``consumer`` handles ``event_id`` in this transaction; False if already done.

    The primary key makes a concurrent duplicate fail at commit, so two replicas handling the
    same delivery cannot both commit their effects.
    """
    seen = await session.scalar(
        select(ProcessedEvent.event_id).where(
            ProcessedEvent.consumer == consumer, ProcessedEvent.event_id == event_id
        )
    )
    if seen is not None:
        return False
    session.add(ProcessedEvent(consumer=consumer, event_id=event_id, processed_at=now))
    await session.flush()
    return True


async def purge_handled(session: AsyncSession, older_than: datetime) -> int:
    """Forget the events consumers handled before a cut-off; return how many."""
    result = await session.execute(
        delete(ProcessedEvent).where(ProcessedEvent.processed_at < older_than)
    )
    return rowcount(result)
