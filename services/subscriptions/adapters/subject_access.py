"""What the subscriptions service holds about one person now: for a subject access request."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.subscriptions.adapters.tables import SignupRequest, Subscriber, Subscription


@dataclass(frozen=True, slots=True)
class HeldSubscription:
    """A person's alerts about one topic, open or ended."""

    topic: str
    started_at: datetime
    ended_at: datetime | None
    ended_reason: str | None


@dataclass(frozen=True, slots=True)
class HeldSignupRequest:
    """A sign-up the person made, confirmed or not."""

    topics: tuple[str, ...]
    frequency: str
    language: str
    page: str | None
    privacy_version: str
    created_at: datetime
    confirmed_at: datetime | None


@dataclass(frozen=True, slots=True)
class HeldSubscriber:
    """The subscriber row with its subscriptions and sign-up requests, oldest first."""

    id: uuid.UUID
    email: str
    language: str
    frequency: str
    status: str
    created_at: datetime
    confirmed_at: datetime | None
    hard_bounces: int
    frequency_since: datetime | None
    subscriptions: tuple[HeldSubscription, ...]
    signup_requests: tuple[HeldSignupRequest, ...]


async def held_about(session: AsyncSession, address: str) -> HeldSubscriber | None:
    """Return what is held about the person with a (normalised) address; None if nothing is."""
    subscriber = await session.scalar(select(Subscriber).where(Subscriber.email == address))
    if subscriber is None:
        return None
    subscriptions = await session.scalars(
        select(Subscription)
        .where(Subscription.subscriber_id == subscriber.id)
        .order_by(Subscription.started_at, Subscription.id)
    )
    requests = await session.scalars(
        select(SignupRequest)
        .where(SignupRequest.subscriber_id == subscriber.id)
        .order_by(SignupRequest.created_at)
    )
    return HeldSubscriber(
        id=subscriber.id,
        email=subscriber.email,
        language=subscriber.language,
        frequency=subscriber.frequency,
        status=subscriber.status,
        created_at=subscriber.created_at,
        confirmed_at=subscriber.confirmed_at,
        hard_bounces=subscriber.hard_bounces,
        frequency_since=subscriber.frequency_since,
        subscriptions=tuple(
            HeldSubscription(s.topic, s.started_at, s.ended_at, s.ended_reason)
            for s in subscriptions
        ),
        signup_requests=tuple(
            HeldSignupRequest(
                tuple(r.topics),
                r.frequency,
                r.language,
                r.page,
                r.privacy_version,
                r.created_at,
                r.confirmed_at,
            )
            for r in requests
        ),
    )
