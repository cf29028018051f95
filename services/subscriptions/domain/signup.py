"""The rules of signing up and confirming (double opt-in), free of storage.

A sign-up of a new address makes a pending person and a request; a sign-up of a known address
makes only another request, with its own mail, and changes nothing else: the person's alerts,
status and settings change when they confirm, and then only as that request's mail said. A
form cannot flood an inbox beyond the per-address and per-client sign-up limits.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Set
from dataclasses import replace
from datetime import datetime, timedelta

from services.subscriptions.domain.model import SignupForm, SignupRequest, Subscriber
from services.subscriptions.domain.vocabulary import SubscriberStatus


def new_subscriber(form: SignupForm, *, subscriber_id: uuid.UUID, now: datetime) -> Subscriber:
    """Return the pending person a first sign-up of an address makes."""
    return Subscriber(
        id=subscriber_id,
        email=form.address,
        language=form.language,
        frequency=form.frequency,
        status=SubscriberStatus.PENDING,
        created_at=now,
        confirmed_at=None,
        hard_bounces=0,
    )


def new_request(
    form: SignupForm,
    *,
    request_id: uuid.UUID,
    subscriber_id: uuid.UUID,
    now: datetime,
    ttl: timedelta,
    privacy_version: str,
) -> SignupRequest:
    """Return a request that waits ``ttl`` for its confirmation, under the notice in force."""
    return SignupRequest(
        id=request_id,
        subscriber_id=subscriber_id,
        topics=tuple(sorted(set(form.topics))),
        frequency=form.frequency,
        language=form.language,
        page=form.page,
        privacy_version=privacy_version,
        created_at=now,
        expires_at=now + ttl,
    )


def confirmed(subscriber: Subscriber, request: SignupRequest, *, now: datetime) -> Subscriber:
    """Return the person once they confirmed a request: active, with its frequency and language.

    Confirming from the mailbox is also the proof that an address disabled by bounces receives
    mail again, so its bounce count starts over; a sign-up alone proves nothing of the kind.
    """
    bounces = 0 if subscriber.status is SubscriberStatus.DISABLED else subscriber.hard_bounces
    return replace(
        subscriber,
        status=SubscriberStatus.ACTIVE,
        confirmed_at=subscriber.confirmed_at or now,
        frequency=request.frequency,
        frequency_since=subscriber.frequency_since_at(request.frequency, now),
        language=request.language,
        hard_bounces=bounces,
    )


def topics_to_start(offered: Iterable[str], open_topics: Set[str]) -> list[str]:
    """Return the topics a confirmation starts: those of its topics still offered (what its
    page showed) not yet followed."""
    return [t for t in offered if t not in open_topics]
