"""Retention of the subscriptions service: unconfirmed sign-ups (people and requests), people
with no alert left, rate-limit windows, and the consent history of people whose story ended
long ago."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from services.admin import read_api as catalogue
from services.subscriptions.adapters import (
    consent_ledger,
    signup_requests,
    subscribers,
    subscriptions,
)
from services.subscriptions.adapters.unit_of_work import ConsumerUnitOfWork
from services.subscriptions.handlers.deps import Deps
from services.subscriptions.handlers.organisation import erase_lapsed
from shared import outbox
from shared.events import SubscriberErased
from shared.progress import Silent, Tracker
from shared.web import rate_limit

# Subjects deleted per statement, so the IN list stays within every database's parameter limit.
_CHUNK: Final = 500


async def purge_expired(session: AsyncSession, deps: Deps, now: datetime) -> dict[str, int]:
    """Delete what the retention periods let go; return how many rows of each kind."""
    settings = deps.settings
    lapsed = await subscriptions.lapsed(
        session,
        now - timedelta(days=settings.inactive_retention_days),
        await catalogue.topics_ended(session),
    )
    made_before = now - timedelta(days=settings.unconfirmed_retention_days)
    unconfirmed = await subscribers.purge_unconfirmed(session, made_before)
    # Their confirmation mails name their ids in the delivery ledger and, in the embedded mode,
    # hold their addresses in the outbox folder: the mailer forgets both as for any erasure.
    await outbox.record(session, *(SubscriberErased(subscriber_id=id_) for id_ in unconfirmed))
    removed = {
        "unconfirmed_signups": len(unconfirmed),
        # Those of people who stay: a confirmed person's sign-up for more topics, or a pending
        # person's first when they signed up again (the people deleted took theirs along).
        "unconfirmed_requests": await signup_requests.purge_unconfirmed(session, made_before),
        # Erased as a person's own erasure is, in this run's transaction, ledger entries too.
        "inactive_people": await erase_lapsed(ConsumerUnitOfWork(session), deps, lapsed),
        "rate_limit_windows": await rate_limit.purge_expired(session, now),
    }
    if settings.consent_retention_days is not None:
        removed["consent_records"] = await purge_consent(
            session, days=settings.consent_retention_days, now=now
        )
    return removed


async def purge_consent(
    session: AsyncSession, *, days: int, now: datetime, tracker: Tracker | None = None
) -> int:
    """Delete the ledger rows of subjects who ended more than ``days`` ago; return how many.

    A subject has ended when their newest row is an erasure, or when they never confirmed (the
    pending sign-up itself is purged after a week). People who still subscribe keep their proof
    of consent however old it is.
    """
    # ``days`` is at most a hundred years, as the setting and the command both require.
    subjects = await consent_ledger.ended_subjects(session, now - timedelta(days=days))
    steps = tracker or Silent()
    steps.total(len(subjects))
    deleted = 0
    for start in range(0, len(subjects), _CHUNK):
        chunk = subjects[start : start + _CHUNK]
        deleted += await consent_ledger.delete_subjects(session, chunk)
        steps.advance(len(chunk))
    return deleted
