"""Retention of the mailer's records: delivery ledger rows and stored changes expire."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.mailer.adapters import changes, deliveries


async def purge_deliveries(session: AsyncSession, now: datetime, keep_days: int) -> dict[str, int]:
    """Delete finished deliveries and unreferenced changes past ``keep_days``; return counts."""
    cutoff = now - timedelta(days=keep_days)
    return {
        "deliveries": await deliveries.purge_finished(session, cutoff),
        "changes": await changes.purge_unreferenced(session, cutoff),
    }
