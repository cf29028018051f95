"""The read interface the subscriptions service publishes for the mailer and the admin.

The mailer never queries subscription tables itself: it asks these functions, which stream
recipients in batches (memory stays flat at a million subscribers) and hand out an address
only at the moment a mail is built.

The admin reads the consent ledger (a person's steps, filtered pages, counts), the privacy texts
the ledger refers to, what is held about a person now (a subject access request) and per-topic
numbers; those reads live in ``adapters`` and are published here.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.subscriptions.adapters.ledger_reads import (
    LEDGER_ACTIONS,
    ConsentStep,
    LedgerFilter,
    LedgerRecord,
    NoticeShown,
    PrivacyText,
    count_ledger,
    ledger_page,
    privacy_text,
    timeline,
)
from services.subscriptions.adapters.subject_access import (
    HeldSignupRequest,
    HeldSubscriber,
    HeldSubscription,
    held_about,
)
from services.subscriptions.adapters.tables import SignupRequest, Subscriber, Subscription
from services.subscriptions.adapters.topic_statistics import (
    DAILY_SERIES,
    TopicStatistics,
    topic_statistics,
)
from services.subscriptions.domain.addresses import InvalidAddress, normalise_address
from shared.tokens import address_hash

__all__ = [
    "DAILY_SERIES",
    "LEDGER_ACTIONS",
    "Addressee",
    "ConfirmationContext",
    "ConsentStep",
    "HeldSignupRequest",
    "HeldSubscriber",
    "HeldSubscription",
    "InvalidAddress",
    "LedgerFilter",
    "LedgerRecord",
    "NoticeShown",
    "PrivacyText",
    "Recipient",
    "TopicStatistics",
    "active_ids_with_frequency",
    "addressees",
    "confirmation_context",
    "count_ledger",
    "frequencies",
    "held_about",
    "ledger_page",
    "privacy_text",
    "stream_recipients",
    "subject_of",
    "timeline",
    "topic_statistics",
]


@dataclass(frozen=True, slots=True)
class Recipient:
    """A confirmed subscriber of some topics (no address)."""

    subscriber_id: uuid.UUID
    frequency: str
    topic: str


@dataclass(frozen=True, slots=True)
class Addressee:
    """What the mailer may know about a person when it builds their mail."""

    subscriber_id: uuid.UUID
    email: str
    language: str
    frequency: str
    active: bool
    topics: frozenset[str]


@dataclass(frozen=True, slots=True)
class ConfirmationContext:
    """What a confirmation mail says."""

    subscriber_id: uuid.UUID
    email: str
    language: str
    topics: tuple[str, ...]
    existing_topics: tuple[str, ...]
    frequency: str
    expires_at: datetime
    open: bool


async def stream_recipients(
    session: AsyncSession, topics: Collection[str], *, batch_size: int = 2000
) -> AsyncIterator[list[Recipient]]:
    """Yield the active subscribers of any of ``topics``, one row per person, in batches."""
    last: uuid.UUID | None = None
    wanted = sorted(set(topics))
    while True:
        query = (
            select(Subscription.subscriber_id, Subscriber.frequency, Subscription.topic)
            .join(Subscriber, Subscriber.id == Subscription.subscriber_id)
            .where(
                Subscription.topic.in_(wanted),
                Subscription.ended_at.is_(None),
                Subscriber.status == "active",
            )
            .order_by(Subscription.subscriber_id, Subscription.topic)
            .limit(batch_size)
        )
        if last is not None:
            query = query.where(Subscription.subscriber_id > last)
        rows = (await session.execute(query)).all()
        if not rows:
            return
        # A person following several of the topics appears once, with the first topic.
        complete = len(rows) == batch_size
        if complete:
            # Drop the last person: their remaining rows may fall into the next batch.
            cut = rows[-1][0]
            trimmed = [r for r in rows if r[0] != cut]
            if trimmed:
                rows = trimmed
        batch: list[Recipient] = []
        seen: set[uuid.UUID] = set()
        for subscriber_id, frequency, topic in rows:
            if subscriber_id not in seen:
                seen.add(subscriber_id)
                batch.append(Recipient(subscriber_id, frequency, topic))
        yield batch
        last = rows[-1][0]
        if not complete:
            return


async def addressees(
    session: AsyncSession, ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, Addressee]:
    """Return who each id is now; erased people are simply missing."""
    if not ids:
        return {}
    people = (
        await session.execute(
            select(
                Subscriber.id,
                Subscriber.email,
                Subscriber.language,
                Subscriber.frequency,
                Subscriber.status,
            ).where(Subscriber.id.in_(list(ids)))
        )
    ).all()
    topics: dict[uuid.UUID, set[str]] = {}
    for subscriber_id, topic in (
        await session.execute(
            select(Subscription.subscriber_id, Subscription.topic).where(
                Subscription.subscriber_id.in_(list(ids)), Subscription.ended_at.is_(None)
            )
        )
    ).all():
        topics.setdefault(subscriber_id, set()).add(topic)
    return {
        row.id: Addressee(
            subscriber_id=row.id,
            email=row.email,
            language=row.language,
            frequency=row.frequency,
            active=row.status == "active",
            topics=frozenset(topics.get(row.id, ())),
        )
        for row in people
    }


async def frequencies(session: AsyncSession, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Return each active subscriber's frequency (missing: erased, unconfirmed or disabled)."""
    if not ids:
        return {}
    rows = await session.execute(
        select(Subscriber.id, Subscriber.frequency).where(
            Subscriber.id.in_(list(ids)), Subscriber.status == "active"
        )
    )
    return {row.id: row.frequency for row in rows}


async def active_ids_with_frequency(
    session: AsyncSession, frequency: str, *, after: uuid.UUID | None, limit: int
) -> list[uuid.UUID]:
    """Return a page of active subscribers with a given frequency, ordered by id."""
    query = (
        select(Subscriber.id)
        .where(Subscriber.status == "active", Subscriber.frequency == frequency)
        .order_by(Subscriber.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(Subscriber.id > after)
    return list((await session.scalars(query)).all())


async def confirmation_context(
    session: AsyncSession, request_id: uuid.UUID
) -> ConfirmationContext | None:
    """Return what the confirmation mail for a sign-up request needs."""
    row = (
        await session.execute(
            select(SignupRequest, Subscriber)
            .join(Subscriber, Subscriber.id == SignupRequest.subscriber_id)
            .where(SignupRequest.id == request_id)
        )
    ).first()
    if row is None:
        return None
    request, subscriber = row
    existing = (
        await session.scalars(
            select(Subscription.topic).where(
                Subscription.subscriber_id == subscriber.id, Subscription.ended_at.is_(None)
            )
        )
    ).all()
    return ConfirmationContext(
        subscriber_id=subscriber.id,
        email=subscriber.email,
        language=request.language,
        topics=tuple(request.topics),
        existing_topics=tuple(sorted(existing)),
        frequency=request.frequency,
        expires_at=request.expires_at,
        open=request.confirmed_at is None,
    )


def subject_of(secret_key: str, raw_address: str) -> tuple[str, str]:
    """Return an address as sign-up normalises it and its ledger hash (raises InvalidAddress)."""
    address = normalise_address(raw_address)
    return address, address_hash(secret_key, address)
