"""Telling a change to its topics' followers: an alert per immediate one now; digest people read
it from the release log when their digest runs (docs/decisions/0016).

Run when a change arrives from an automatic source, and when the event of an editor's approval
of a held one arrives, each in the consumer's transaction: so it runs once per change (the bus's
inbox; the decision's conditional UPDATE records one approval event), and the ledger's unique
key and the change's one place in the release log would refuse a second.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Collection
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.mailer.adapters import deliveries, releases
from services.mailer.domain.ledger import Batch
from services.subscriptions import read_api
from shared.vocabulary import Frequency

log = logging.getLogger(__name__)

FANOUT_BATCH = 2000


async def fan_out(
    session: AsyncSession, change_id: uuid.UUID, topics: Collection[str], now: datetime
) -> int:
    """Release a change to the digests and queue an alert for every immediate follower of its
    topics; return how many alerts."""
    await releases.release(session, change_id, now)
    batch = Batch.alert(change_id)
    total = 0
    async for recipients in read_api.stream_recipients(
        session, topics, batch_size=FANOUT_BATCH, frequencies=[Frequency.IMMEDIATE]
    ):
        await deliveries.queue(session, [r.subscriber_id for r in recipients], batch, now)
        total += len(recipients)
    if total >= deliveries.ANALYZE_AFTER:
        await deliveries.refresh_planner_statistics(session)
    log.info("mailer: change %s released; alerts queued for %d people", change_id, total)
    return total
