"""Statements for reports that come back after a mail was accepted: which delivery, and its fate."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.mailer.adapters.tables import Delivery
from services.mailer.domain.ledger import DeliveryKind, DeliveryStatus
from shared.db import rowcount


@dataclass(frozen=True, slots=True)
class ReportedDelivery:
    """The ledger row a report points at: enough to check the report and name the person."""

    id: int
    subscriber_id: uuid.UUID | None  # None once the person was erased
    kind: DeliveryKind
    batch_key: str
    status: DeliveryStatus


async def find(session: AsyncSession, delivery_id: int) -> ReportedDelivery | None:
    """Return the delivery a report names, or None if the ledger no longer has it."""
    row = (
        await session.execute(
            select(
                Delivery.subscriber_id, Delivery.kind, Delivery.batch_key, Delivery.status
            ).where(Delivery.id == delivery_id)
        )
    ).first()
    if row is None:
        return None
    return ReportedDelivery(
        delivery_id,
        row.subscriber_id,
        DeliveryKind(row.kind),
        row.batch_key,
        DeliveryStatus(row.status),
    )


async def fail_after_acceptance(session: AsyncSession, delivery_id: int, error: str) -> bool:
    """Record a sent delivery as failed for good; False if it was not (or no longer) sent.

    The condition on the status makes a second report of the same bounce, even one handled at
    the same moment by another process, change nothing: only one of them counts.
    """
    result = await session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.status == DeliveryStatus.SENT)
        .values(status=DeliveryStatus.FAILED, last_error=error)
    )
    return rowcount(result) == 1


async def note_complaint(session: AsyncSession, delivery_id: int, note: str) -> bool:
    """Note a complaint on a sent delivery; False if one was noted already (or it was not sent).

    A report that comes twice (feedback loops repeat some, a relay offers one again after a
    451) then ends the alerts once, not again after the person signed up anew.
    """
    result = await session.execute(
        update(Delivery)
        .where(
            Delivery.id == delivery_id,
            Delivery.status == DeliveryStatus.SENT,
            Delivery.last_error.is_(None),
        )
        .values(last_error=note)
    )
    return rowcount(result) == 1
