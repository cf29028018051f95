"""The events the subscriptions service consumes: bounces and complaints reported by the mailer.

A hard bounce arrives as ``subscriber.bounced.v1`` (refused while sending) or as
``subscriber.bounce_reported.v1`` (a relay's report after it accepted the mail); both are counted
alike by ``handlers.record_bounce``, which stops mailing an address that keeps refusing mail. A
complaint (``subscriber.complained.v1``) ends every alert: ``handlers.record_complaint``.
``bootstrap.install`` wires them with ``subscribe``.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.subscriptions import handlers
from services.subscriptions.adapters.unit_of_work import ConsumerUnitOfWork
from shared.bus import EventBus, Handler
from shared.events import SubscriberBounced, SubscriberBounceReported, SubscriberComplained


def bounce_handler(deps: handlers.Deps, *, limit: int) -> Handler:
    """Return the bus handler of hard bounces, reported while sending or after."""

    async def handle(
        event: SubscriberBounced | SubscriberBounceReported, session: AsyncSession
    ) -> None:
        uow = ConsumerUnitOfWork(session)
        await handlers.record_bounce(uow, deps, event.subscriber_id, limit=limit)

    return handle


def complaint_handler(deps: handlers.Deps) -> Handler:
    """Return the bus handler for ``subscriber.complained.v1``."""

    async def handle(event: SubscriberComplained, session: AsyncSession) -> None:
        await handlers.record_complaint(ConsumerUnitOfWork(session), deps, event.subscriber_id)

    return handle


def subscribe(bus: EventBus, deps: handlers.Deps, *, bounce_limit: int) -> None:
    """Register the subscriptions service's consumers (its one queue, ``subscriptions``)."""
    bounces = bounce_handler(deps, limit=bounce_limit)
    bus.subscribe("subscriptions", SubscriberBounced, bounces)
    bus.subscribe("subscriptions", SubscriberBounceReported, bounces)
    bus.subscribe("subscriptions", SubscriberComplained, complaint_handler(deps))
