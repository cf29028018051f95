"""The rules of signing up and confirming (double opt-in), free of storage.

A sign-up of a new address makes a pending person and a request; a sign-up of a known address
with an open request merges into it and sends another confirmation mail only now and then, so
a form cannot be used to flood someone's inbox.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Set
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from services.subscriptions.domain.model import (
    MAX_CONFIRMATION_MAILS,
    RESEND_AFTER_MINUTES,
    SignupForm,
    SignupRequest,
    Subscriber,
)
from services.subscriptions.domain.privacy import current_notice
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
) -> SignupRequest:
    """Return a request that waits ``ttl`` for its confirmation, under the notice in force."""
    return SignupRequest(
        id=request_id,
        subscriber_id=subscriber_id,
        topics=tuple(sorted(set(form.topics))),
        frequency=form.frequency,
        language=form.language,
        page=form.page,
        privacy_version=current_notice(form.language).version,
        created_at=now,
        expires_at=now + ttl,
    )


def revived(subscriber: Subscriber) -> Subscriber:
    """Return the person after a new sign-up: a disabled address gets another chance.

    Mail to a disabled address bounced for good; signing up again is the person saying it
    works now, so they go back to where they were before it bounced.
    """
    if subscriber.status is not SubscriberStatus.DISABLED:
        return subscriber
    status = SubscriberStatus.ACTIVE if subscriber.confirmed else SubscriberStatus.PENDING
    return replace(subscriber, status=status, hard_bounces=0)


@dataclass(frozen=True, slots=True)
class Merged:
    """A sign-up folded into the open request, and whether it earns another confirmation mail."""

    request: SignupRequest
    send_mail: bool


def merge(pending: SignupRequest, form: SignupForm, *, now: datetime, ttl: timedelta) -> Merged:
    """Fold a sign-up into an open request: its topics join, its frequency and language win.

    Another mail goes out unless one went out within the last minutes or the request already
    had its share; every mail moves the expiry to send time + ``ttl``.
    """
    request = replace(
        pending,
        topics=tuple(sorted(set(pending.topics) | set(form.topics))),
        frequency=form.frequency,
        language=form.language,
    )
    last_sent = pending.expires_at - ttl
    recent = now - last_sent < timedelta(minutes=RESEND_AFTER_MINUTES)
    if recent or pending.mails_sent >= MAX_CONFIRMATION_MAILS:
        return Merged(request, send_mail=False)
    return Merged(
        replace(request, mails_sent=pending.mails_sent + 1, expires_at=now + ttl), send_mail=True
    )


def confirmed(subscriber: Subscriber, request: SignupRequest, *, now: datetime) -> Subscriber:
    """Return the person once they confirmed a request: active, with its frequency and language."""
    return replace(
        subscriber,
        status=SubscriberStatus.ACTIVE,
        confirmed_at=subscriber.confirmed_at or now,
        frequency=request.frequency,
        language=request.language,
    )


def topics_to_start(
    request: SignupRequest, open_topics: Set[str], known: Collection[str]
) -> list[str]:
    """Return the topics a confirmation starts: asked for, not yet followed, still offered."""
    return [t for t in request.topics if t not in open_topics and t in known]
