"""The claim: lease a batch of due deliveries to this process.

On PostgreSQL the rows are locked FOR UPDATE SKIP LOCKED, so workers claiming at once take
different rows; another process takes a delivery only after its lease expired.
"""

from __future__ import annotations

import logging
from datetime import datetime
from operator import itemgetter

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.mailer.adapters.stored_references import read_reference, stored_reference
from services.mailer.adapters.tables import Delivery
from services.mailer.domain.ledger import Claimed, DeliveryStatus, Reference

log = logging.getLogger(__name__)


async def claim_due(
    session: AsyncSession, now: datetime, lease_until: datetime, *, limit: int, skip_locked: bool
) -> list[Claimed]:
    """Lease up to ``limit`` deliveries that are due or whose lease ran out, oldest first."""
    due = (
        select(Delivery.id)
        .where(
            Delivery.is_open,  # what the claimable index holds (tables.Delivery)
            or_(
                (Delivery.status == DeliveryStatus.QUEUED) & (Delivery.next_attempt_at <= now),
                (Delivery.status == DeliveryStatus.SENDING) & (Delivery.lease_until < now),
            ),
        )
        .order_by(Delivery.id)
        .limit(limit)
    )
    if skip_locked:
        due = due.with_for_update(skip_locked=True)
    # One statement leases the rows and returns them: one round trip, and no list of ids
    # sent back to the database (SQLAlchemy renders and casts one parameter per id). Run on the
    # session's connection: the rows are plain values, and the ORM's handling of an UPDATE's
    # RETURNING was about a tenth of the claim's CPU (docs/benchmarks.md, «Mail fan-out»).
    connection = await session.connection()
    returned = (
        await connection.execute(
            update(Delivery)
            .where(Delivery.id.in_(due.scalar_subquery()))
            .values(status=DeliveryStatus.SENDING, lease_until=lease_until)
            .returning(
                Delivery.id,
                Delivery.subscriber_id,
                Delivery.kind,
                Delivery.batch_key,
                stored_reference(session),
                Delivery.attempts,
            )
        )
    ).all()
    rows = sorted(returned, key=itemgetter(0))  # RETURNING keeps no order
    claimed: list[Claimed] = []
    unreadable: dict[int, str] = {}
    read: dict[tuple[str, str | bytes | None], Reference | ValueError] = {}
    for delivery_id, subscriber_id, kind, batch_key, stored, attempts in rows:
        reference = read.get((kind, stored))
        if reference is None:
            reference = read[kind, stored] = read_reference(kind, stored)
        if isinstance(reference, ValueError):
            unreadable[delivery_id] = str(reference)
            continue
        claimed.append(
            Claimed(delivery_id, subscriber_id, batch_key, reference, attempts, lease_until)
        )
    if unreadable:
        # No try can send what the ledger cannot read: fail it now rather than on every claim.
        for delivery_id, reason in unreadable.items():
            log.error("mailer: delivery %d cannot be read: %s", delivery_id, reason)
        await session.execute(
            update(Delivery),
            [
                {"id": i, "status": DeliveryStatus.FAILED, "lease_until": None, "last_error": e}
                for i, e in unreadable.items()
            ],
        )
    return claimed
