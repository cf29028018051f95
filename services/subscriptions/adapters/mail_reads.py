"""The mailer's reads of people: who follows a topic, who someone is now, what a sign-up asked.

The mailer never queries subscription tables itself: it asks these (published in ``read_api``),
which stream recipients in batches (memory stays flat at a million subscribers) and hand out an
address only at the moment a mail is built.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.subscriptions.adapters.subscriptions import open_topics
from services.subscriptions.adapters.tables import SignupRequest, Subscriber, Subscription
from services.subscriptions.domain.vocabulary import SubscriberStatus
from shared.db import among


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
    session: AsyncSession,
    topics: Collection[str],
    *,
    batch_size: int = 2000,
    frequencies: Collection[str] | None = None,
) -> AsyncIterator[list[Recipient]]:
    """Yield the active subscribers of any of ``topics`` (of ``frequencies``, if given), one row
    per person, in batches."""
    last: uuid.UUID | None = None
    wanted = sorted(set(topics))
    # A bulletin may name every topic of the catalogue: one array parameter on PostgreSQL, not
    # a thousand, in each batch's statement.
    dialect = session.get_bind().dialect
    while True:
        query = (
            select(Subscription.subscriber_id, Subscriber.frequency, Subscription.topic)
            .join(Subscriber, Subscriber.id == Subscription.subscriber_id)
            .where(
                among(Subscription.topic, wanted, dialect),
                Subscription.ended_at.is_(None),
                Subscriber.status == SubscriberStatus.ACTIVE,
            )
            .order_by(Subscription.subscriber_id, Subscription.topic)
            .limit(batch_size)
        )
        if frequencies is not None:
            query = query.where(Subscriber.frequency.in_(sorted(frequencies)))
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


async def followed_since(
    session: AsyncSession, ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, dict[str, datetime]]:
    """Return each person's open topics with the time they began following each.

    A digest built at run time tells a person only the changes of a topic released since then.
    """
    since: dict[uuid.UUID, dict[str, datetime]] = {}
    if not ids:
        return since
    rows = await session.execute(
        select(Subscription.subscriber_id, Subscription.topic, Subscription.started_at).where(
            Subscription.subscriber_id.in_(list(ids)), Subscription.ended_at.is_(None)
        )
    )
    for subscriber_id, topic, started_at in rows.all():
        since.setdefault(subscriber_id, {})[topic] = started_at
    return since


async def frequency_since(
    session: AsyncSession, ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, datetime]:
    """Return since when each person's mail has been of its kind (alerts at once, or digests).

    A digest tells nothing released before then (docs/decisions/0016, point 7); people for
    whom it is not known are missing.
    """
    if not ids:
        return {}
    rows = await session.execute(
        select(Subscriber.id, Subscriber.frequency_since).where(
            Subscriber.id.in_(list(ids)), Subscriber.frequency_since.is_not(None)
        )
    )
    return {subscriber_id: since for subscriber_id, since in rows.all() if since is not None}


async def reach_by_frequency(session: AsyncSession, topics: Collection[str]) -> dict[str, int]:
    """Count the active followers of any of ``topics`` by frequency, each person once.

    What a change would reach if it went out now: the editor's desk shows it before approval.
    """
    dialect = session.get_bind().dialect
    rows = await session.execute(
        select(Subscriber.frequency, func.count(distinct(Subscriber.id)))
        .join(Subscription, Subscription.subscriber_id == Subscriber.id)
        .where(
            among(Subscription.topic, sorted(set(topics)), dialect),
            Subscription.ended_at.is_(None),
            Subscriber.status == SubscriberStatus.ACTIVE,
        )
        .group_by(Subscriber.frequency)
    )
    return {frequency: count for frequency, count in rows.all()}


async def addressees(
    session: AsyncSession, ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, Addressee]:
    """Return who each id is now; erased people are simply missing."""
    if not ids:
        return {}
    dialect = session.get_bind().dialect
    # On the session's connection, not through the session: these are plain rows, and the ORM's
    # handling of each result cost a tenth of what a batch's mails spend before they are built.
    connection = await session.connection()
    people = (
        await connection.execute(
            select(
                Subscriber.id,
                Subscriber.email,
                Subscriber.language,
                Subscriber.frequency,
                Subscriber.status,
            ).where(among(Subscriber.id, ids, dialect))
        )
    ).all()
    topics: dict[uuid.UUID, set[str]] = {}
    for subscriber_id, topic in (
        await connection.execute(
            select(Subscription.subscriber_id, Subscription.topic).where(
                among(Subscription.subscriber_id, ids, dialect), Subscription.ended_at.is_(None)
            )
        )
    ).all():
        topics.setdefault(subscriber_id, set()).add(topic)
    # Unpacked by position: a Row's fields by name cost a failed attribute lookup each.
    return {
        subscriber_id: Addressee(
            subscriber_id=subscriber_id,
            email=email,
            language=language,
            frequency=frequency,
            active=status == SubscriberStatus.ACTIVE,
            topics=frozenset(topics.get(subscriber_id, ())),
        )
        for subscriber_id, email, language, frequency, status in people
    }


async def active_ids_with_frequency(
    session: AsyncSession, frequency: str, *, after: uuid.UUID | None, limit: int
) -> list[uuid.UUID]:
    """Return a page of active subscribers with a given frequency, ordered by id."""
    query = (
        select(Subscriber.id)
        .where(Subscriber.status == SubscriberStatus.ACTIVE, Subscriber.frequency == frequency)
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
            select(
                Subscriber.id,
                Subscriber.email,
                SignupRequest.language,
                SignupRequest.topics,
                SignupRequest.frequency,
                SignupRequest.expires_at,
                SignupRequest.confirmed_at,
            )
            .join(Subscriber, Subscriber.id == SignupRequest.subscriber_id)
            .where(SignupRequest.id == request_id)
        )
    ).first()
    if row is None:
        return None
    existing = await open_topics(session, row.id)
    return ConfirmationContext(
        subscriber_id=row.id,
        email=row.email,
        language=row.language,
        topics=tuple(row.topics),
        existing_topics=tuple(sorted(existing)),
        frequency=row.frequency,
        expires_at=row.expires_at,
        open=row.confirmed_at is None,
    )
