"""The events the subscriptions service consumes: hard bounces reported by the mailer.

Each hard bounce arrives as ``subscriber.bounced.v1``; ``handlers.record_bounce`` counts it and
stops mailing an address that keeps refusing mail. ``bootstrap.install`` wires it:

    bus.subscribe("subscriptions", SubscriberBounced, bounce_handler(deps, limit=...))
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.subscriptions import handlers
from services.subscriptions.adapters.unit_of_work import ConsumerUnitOfWork
from shared.bus import Handler
from shared.events import SubscriberBounced


def bounce_handler(deps: handlers.Deps, *, limit: int) -> Handler:
    """Return the bus handler for ``subscriber.bounced.v1``."""

    async def handle(event: SubscriberBounced, session: AsyncSession) -> None:
        uow = ConsumerUnitOfWork(session)
        await handlers.record_bounce(uow, deps, event.subscriber_id, limit=limit)

    return handle
