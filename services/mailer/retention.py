"""Retention of the mailer's records: delivery ledger rows and stored changes expire."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.mailer.adapters.tables import ChangeRecord, Delivery, PendingItem
from shared.db import rowcount


async def purge_deliveries(session: AsyncSession, now: datetime, keep_days: int) -> dict[str, int]:
    """Delete finished deliveries and unreferenced changes past ``keep_days``; return counts."""
    cutoff = now - timedelta(days=keep_days)
    finished = await session.execute(
        delete(Delivery).where(
            Delivery.status.in_(("sent", "failed", "dropped")), Delivery.created_at < cutoff
        )
    )
    changes = await session.execute(
        delete(ChangeRecord).where(
            ChangeRecord.occurred_at < cutoff,
            ~exists(select(PendingItem.id).where(PendingItem.change_id == ChangeRecord.id)),
        )
    )
    return {
        "deliveries": rowcount(finished),
        "changes": rowcount(changes),
    }
