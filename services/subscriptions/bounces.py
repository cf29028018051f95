"""Hard bounces: count them per person and stop mailing an address that keeps refusing mail.

The mailer reports each hard bounce as ``subscriber.bounced.v1``; this consumer owns what it does
to subscription data. Wire it with (in ``services/subscriptions/bootstrap.py`` or the app):

    bus.subscribe("subscriptions", SubscriberBounced, bounce_handler(deps, limit=...))
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from services.subscriptions.adapters.tables import Subscriber
from services.subscriptions.handlers import Deps, unsubscribe
from shared.bus import Handler
from shared.events import SubscriberBounced

log = logging.getLogger(__name__)


async def record_bounce(
    session: AsyncSession, deps: Deps, event: SubscriberBounced, *, limit: int
) -> None:
    """Count a hard bounce; at the limit end all alerts (route "bounce"), disable the address."""
    subscriber = await session.get(Subscriber, event.subscriber_id, with_for_update=True)
    if subscriber is None or subscriber.status == "disabled":
        return  # erased meanwhile, or already stopped
    subscriber.hard_bounces = (subscriber.hard_bounces or 0) + 1
    if subscriber.hard_bounces < limit:
        return
    # Ends the open subscriptions with reason "bounce", writes the consent ledger row and emits
    # subscriber.unsubscribed, so the mailer drops whatever is still queued.
    await unsubscribe(session, deps, subscriber, topics=None, route="bounce")
    subscriber.status = "disabled"
    log.info("subscriptions: subscriber %s disabled after %d hard bounces", subscriber.id, limit)


def bounce_handler(deps: Deps, *, limit: int) -> Handler:
    """Return the bus handler for ``subscriber.bounced.v1``."""

    async def handle(event: SubscriberBounced, session: AsyncSession) -> None:
        await record_bounce(session, deps, event, limit=limit)

    return handle
