"""Recording what happened to sent deliveries: one transaction for a whole group of outcomes."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.mailer import unsent_digests
from services.mailer.adapters import changes, deliveries, digest_cursors, pending_items
from services.mailer.domain.ledger import AlertReference, DeliveryKind, DigestReference
from services.mailer.domain.outcomes import Outcome, OutcomeKind, next_step
from shared.events import SubscriberBounced
from shared.outbox import record

log = logging.getLogger(__name__)


async def record_outcomes(
    session: AsyncSession, outcomes: Sequence[Outcome], attempts: dict[int, int], now: datetime
) -> None:
    """Write the outcomes to the ledger, and a bounce event for each hard failure; a digest
    that did not go out hands its changes on (unsent_digests)."""
    unsent = [
        o
        for o in outcomes
        if o.kind in (OutcomeKind.DROPPED, OutcomeKind.RHYTHM)
        and o.delivery_kind is DeliveryKind.DIGEST
        and o.subscriber_id is not None
    ]
    # The people's places are held before any ledger row is touched, in one order: an erasure
    # or a switch holds the place first too, then the rows, so neither waits for the other.
    for person in sorted({o.subscriber_id for o in unsent if o.subscriber_id is not None}):
        await digest_cursors.hold(session, person)
    await deliveries.mark_sent(session, [o.id for o in outcomes if o.kind is OutcomeKind.SENT], now)
    steps = []
    for o in outcomes:
        if o.kind is OutcomeKind.SENT:
            continue
        step = next_step(o.kind, attempts[o.id], now)
        if step.deferred_by is not None:
            log.warning(
                "mailer: delivery %d deferred (%s); retry in %s", o.id, o.error, step.deferred_by
            )
        elif step.failed_for_good:
            log.error("mailer: delivery %d failed for good: %s", o.id, o.error)
        steps.append((o.id, step, o.error))
    await deliveries.record_next_steps(session, steps)
    for o in outcomes:
        if o.is_hard_bounce and o.subscriber_id is not None and o.code is not None:
            await record(
                session,
                SubscriberBounced(
                    subscriber_id=o.subscriber_id,
                    delivery_id=o.id,
                    kind=o.delivery_kind,
                    smtp_code=o.code,
                ),
            )
    for o in unsent:
        assert o.subscriber_id is not None and isinstance(o.reference, DigestReference)
        window = o.reference.told
        await unsent_digests.hand_on(
            session, o.subscriber_id, now, windows=[window] if window else [], digest_ids=[o.id]
        )
    await _to_digest(session, [o for o in outcomes if o.kind is OutcomeKind.RHYTHM], now)


async def _to_digest(session: AsyncSession, alerts: Sequence[Outcome], now: datetime) -> None:
    """Turn alerts for people who switched to a digest into pending items for it."""
    for alert in alerts:
        if alert.subscriber_id is None or not isinstance(alert.reference, AlertReference):
            continue
        change_id = alert.reference.change_id
        topic = await changes.first_topic(session, change_id)
        if topic is not None:
            await pending_items.add_once(session, alert.subscriber_id, change_id, topic, now)
