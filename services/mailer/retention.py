"""Retention of the mailer's records: delivery ledger rows, stored changes and bulletins
expire."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.mailer.adapters import bulletins, changes, deliveries

# Digests read released changes at run time (docs/decisions/0016): a change is kept at least
# as long as a weekly digest, or one made up after a further week down, may still tell it.
DIGEST_REACH = timedelta(days=15)


async def purge_deliveries(session: AsyncSession, now: datetime, keep_days: int) -> dict[str, int]:
    """Delete finished deliveries, and changes and bulletins no digest still owes, past
    ``keep_days``; return counts."""
    cutoff = now - timedelta(days=keep_days)
    kept = min(cutoff, now - DIGEST_REACH)
    return {
        # A change's alerts outlive it (an alert is queued at or after its release): a digest
        # reaching back past a switch from alerts leaves out what they told (0016, point 7).
        "deliveries": await deliveries.purge_finished(session, cutoff, alerts_before=kept),
        "changes": await changes.purge_unreferenced(session, kept),
        "bulletins": await bulletins.purge_unreferenced(session, cutoff),
    }
