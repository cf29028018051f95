"""Telling a change to its topics' followers: an alert per immediate one, a pending item per other.

Run when a change arrives from an automatic source, and when the event of an editor's approval
of a held one arrives, each in the consumer's transaction: so it runs once per change (the bus's
inbox; the decision's conditional UPDATE records one approval event), and the ledger's and
pending items' unique keys would refuse a second.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Collection
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.mailer.adapters import deliveries, pending_items
from services.mailer.domain.ledger import Batch
from services.subscriptions import read_api
from shared.vocabulary import Frequency

log = logging.getLogger(__name__)

FANOUT_BATCH = 2000


async def fan_out(
    session: AsyncSession, change_id: uuid.UUID, topics: Collection[str], now: datetime
) -> int:
    """Queue a change for every active follower of its topics; return how many people."""
    batch = Batch.alert(change_id)
    total = 0
    async for recipients in read_api.stream_recipients(session, topics, batch_size=FANOUT_BATCH):
        alerts = []
        owed = []
        for recipient in recipients:
            if recipient.frequency == Frequency.IMMEDIATE:
                alerts.append(recipient.subscriber_id)
            else:
                owed.append((recipient.subscriber_id, recipient.topic))
        await deliveries.queue(session, alerts, batch, now)
        await pending_items.add(session, owed, change_id, now)
        total += len(recipients)
    if total >= deliveries.ANALYZE_AFTER:
        await deliveries.refresh_planner_statistics(session)
    log.info("mailer: change %s fanned out to %d subscribers", change_id, total)
    return total
