"""Commands of returned mail: a hard bounce counted, a complaint taken as a withdrawal.

Moved out of ``preferences`` (the commands of the links in mails), which they share the ending
of alerts with (``end_all``).
"""

from __future__ import annotations

import logging
import uuid

from services.subscriptions.domain.preferences import bounced
from services.subscriptions.domain.vocabulary import SubscriberStatus, UnsubscribeRoute
from services.subscriptions.handlers.deps import Deps
from services.subscriptions.handlers.ending_alerts import end_all
from services.subscriptions.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


async def record_bounce(
    uow: UnitOfWork, deps: Deps, subscriber_id: uuid.UUID, *, limit: int
) -> None:
    """Count a hard bounce; at the limit end all alerts (route "bounce") and disable the address."""
    async with uow:
        known = await uow.subscribers.get(subscriber_id, lock=True)
        if known is None or known.status is SubscriberStatus.DISABLED:
            return  # erased meanwhile, or already stopped
        outcome = bounced(known, limit=limit)
        if outcome.disable:
            # Ends the open subscriptions with reason "bounce", writes the ledger entry and emits
            # subscriber.unsubscribed, so the mailer drops whatever is still queued.
            await end_all(uow, deps, known, UnsubscribeRoute.BOUNCE)
            log.info("subscriptions: subscriber %s disabled after %d hard bounces", known.id, limit)
        await uow.subscribers.save(outcome.subscriber)
        await uow.commit()


async def record_complaint(uow: UnitOfWork, deps: Deps, subscriber_id: uuid.UUID) -> None:
    """End every alert of a person whose mailbox reported a mail as spam (route "complaint").

    A complaint is a withdrawal: the ledger records it as one, by complaint, and the mailer drops
    whatever was queued. A person with nothing open (or erased meanwhile) has nothing to end.
    """
    async with uow:
        known = await uow.subscribers.get(subscriber_id, lock=True)
        if known is None:
            return
        if await end_all(uow, deps, known, UnsubscribeRoute.COMPLAINT):
            log.info("subscriptions: subscriber %s unsubscribed after a complaint", known.id)
        await uow.commit()
