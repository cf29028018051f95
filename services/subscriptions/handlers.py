"""Commands of the subscriptions service: one async function each, in the caller's transaction."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.subscriptions.adapters import signup_rows
from services.subscriptions.adapters.tables import (
    SignupRequest,
    Subscriber,
    Subscription,
)
from services.subscriptions.domain.model import (
    MAX_CONFIRMATION_MAILS,
    RESEND_AFTER_MINUTES,
    SignupForm,
)
from services.subscriptions.domain.privacy import current_notice
from shared.catalogue import Catalogue
from shared.clock import Clock
from shared.events import (
    ManageLinkRequested,
    PreferencesChanged,
    SignupRequested,
    SubscriberConfirmed,
    SubscriberErased,
    SubscriberUnsubscribed,
)
from shared.outbox import outbox_row, record
from shared.settings import Settings
from shared.tokens import TokenSigner, address_hash
from shared.vocabulary import Frequency, Language

log = logging.getLogger(__name__)

Route = Literal["link", "one-click", "manage-page", "bounce", "admin"]


@dataclass(frozen=True, slots=True)
class Deps:
    """What the subscription commands need besides a session."""

    settings: Settings
    catalogue: Catalogue
    signer: TokenSigner
    clock: Clock

    def subject_hash(self, address: str) -> str:
        """Return the consent ledger's keyed hash of a normalised address."""
        return address_hash(self.settings.secret_key, address)


def _consent(
    deps: Deps,
    *,
    subject_hash: str,
    action: str,
    topics: Iterable[str],
    channel: str,
    frequency: str | None = None,
    language: str | None = None,
    page: str | None = None,
    token_id: str | None = None,
    details: dict[str, object] | None = None,
) -> dict[str, Any]:
    """Return a consent ledger row: who, what, which privacy notice, when, where and how."""
    notice = current_notice(language or "nb")
    return {
        "subject_hash": subject_hash,
        "action": action,
        "topics": sorted(topics),
        "frequency": frequency,
        "language": language,
        "privacy_version": notice.version,
        "privacy_hash": notice.sha256,
        "page": page,
        "channel": channel,
        "token_id": token_id,
        "occurred_at": deps.clock.now(),
        "details": details,
    }


async def _ledger(session: AsyncSession, deps: Deps, **fields: Any) -> None:
    await signup_rows.insert_consent(session, _consent(deps, **fields))


async def open_topics(session: AsyncSession, subscriber_id: uuid.UUID) -> set[str]:
    """Return the topics a subscriber currently gets alerts about."""
    rows = await session.scalars(
        select(Subscription.topic).where(
            Subscription.subscriber_id == subscriber_id, Subscription.ended_at.is_(None)
        )
    )
    return set(rows.all())


async def request_signup(session: AsyncSession, deps: Deps, form: SignupForm) -> None:
    """Store a pending sign-up and ask for one confirmation mail; reveal nothing to the caller."""
    now = deps.clock.now()
    requested = _consent(
        deps,
        subject_hash=deps.subject_hash(form.address),
        action="requested",
        topics=form.topics,
        channel=form.channel,
        frequency=form.frequency,
        language=form.language,
        page=form.page,
    )
    request = _request(deps, form, now)
    new_id = uuid.uuid4()
    # Most sign-ups are of new addresses: try their rows first (no lock wait unless the same
    # address is being signed up at this very moment; then this inserts nothing).
    if await signup_rows.insert_if_new(
        session,
        subscriber={
            "id": new_id,
            "email": form.address,
            "language": form.language,
            "frequency": form.frequency,
            "status": "pending",
            "created_at": now,
            "confirmed_at": None,
            "hard_bounces": 0,
        },
        request=request,
        consent=requested,
        event=outbox_row(
            SignupRequested(subscriber_id=new_id, request_id=request["id"]), prefix="o_"
        ),
    ):
        return
    subscriber = await session.scalar(
        select(Subscriber).where(Subscriber.email == form.address).with_for_update()
    )
    if subscriber is None:
        # Erased between the insert and this read; the caller's retry starts over.
        raise SignupRaced
    if subscriber.status == "disabled":
        # Mail to this address bounced for good; a new sign-up gives it another chance.
        subscriber.status = "active" if subscriber.confirmed_at else "pending"
        subscriber.hard_bounces = 0

    pending = await session.scalar(
        select(SignupRequest)
        .where(
            SignupRequest.subscriber_id == subscriber.id,
            SignupRequest.confirmed_at.is_(None),
            SignupRequest.expires_at > now,
        )
        .order_by(SignupRequest.created_at.desc())
        .limit(1)
    )
    await signup_rows.insert_consent(session, requested)
    if pending is None:
        await signup_rows.insert_signup_request(
            session, {**request, "subscriber_id": subscriber.id}
        )
        await record(
            session, SignupRequested(subscriber_id=subscriber.id, request_id=request["id"])
        )
        return
    pending.topics = sorted(set(pending.topics) | set(form.topics))
    pending.frequency = form.frequency
    pending.language = form.language
    # Every mail moves the expiry to send time + TTL, so this is when the last one went out.
    last_sent = pending.expires_at - timedelta(days=deps.settings.confirm_ttl_days)
    recent = now - last_sent < timedelta(minutes=RESEND_AFTER_MINUTES)
    if recent or pending.mails_sent >= MAX_CONFIRMATION_MAILS:
        log.info("subscriptions: sign-up merged into pending request %s; no new mail", pending.id)
        return
    pending.mails_sent += 1
    pending.expires_at = now + timedelta(days=deps.settings.confirm_ttl_days)
    await record(session, SignupRequested(subscriber_id=subscriber.id, request_id=pending.id))


class SignupRaced(Exception):
    """The address vanished between the insert and the read; run the sign-up again."""


def _request(deps: Deps, form: SignupForm, now: datetime) -> dict[str, Any]:
    """Return a new pending sign-up request row, without its subscriber."""
    return {
        "id": uuid.uuid4(),
        "topics": sorted(set(form.topics)),
        "frequency": form.frequency,
        "language": form.language,
        "page": form.page,
        "privacy_version": current_notice(form.language).version,
        "created_at": now,
        "expires_at": now + timedelta(days=deps.settings.confirm_ttl_days),
        "confirmed_at": None,
        "mails_sent": 1,
    }


@dataclass(frozen=True, slots=True)
class ConfirmOutcome:
    """What a confirmation did."""

    topics: tuple[str, ...]
    language: str
    subscriber_id: uuid.UUID


async def find_request(session: AsyncSession, deps: Deps, token: str) -> SignupRequest | None:
    """Return the open sign-up request a confirm token names, if it is genuine and current."""
    claims = deps.signer.verify(
        "confirm", token, now=deps.clock.now(), max_age_days=deps.settings.confirm_ttl_days
    )
    if claims is None:
        return None
    request = await session.get(SignupRequest, claims.subject)
    if (
        request is None
        or request.confirmed_at is not None
        or request.expires_at <= deps.clock.now()
    ):
        return None
    return request


async def confirm(session: AsyncSession, deps: Deps, token: str) -> ConfirmOutcome | None:
    """Confirm a sign-up (double opt-in); None if the token is not usable."""
    request = await find_request(session, deps, token)
    if request is None:
        return None
    subscriber = await session.get(Subscriber, request.subscriber_id, with_for_update=True)
    if subscriber is None:
        return None
    now = deps.clock.now()
    request.confirmed_at = now
    subscriber.status = "active"
    subscriber.confirmed_at = subscriber.confirmed_at or now
    subscriber.frequency = request.frequency
    subscriber.language = request.language
    existing = await open_topics(session, subscriber.id)
    known = deps.catalogue.slugs
    added = [t for t in request.topics if t not in existing and t in known]
    for topic in added:
        session.add(Subscription(subscriber_id=subscriber.id, topic=topic, started_at=now))
    all_topics = tuple(sorted(existing | set(added)))
    await _ledger(
        session,
        deps,
        subject_hash=deps.subject_hash(subscriber.email),
        action="confirmed",
        topics=request.topics,
        channel="email-link",
        frequency=request.frequency,
        language=request.language,
        page=request.page,
        token_id=str(request.id),
    )
    await record(
        session,
        SubscriberConfirmed(
            subscriber_id=subscriber.id,
            topics=all_topics,
            frequency=Frequency(subscriber.frequency),
            language=Language.of(subscriber.language),
        ),
    )
    return ConfirmOutcome(
        topics=tuple(request.topics), language=request.language, subscriber_id=subscriber.id
    )


async def subscriber_for(
    session: AsyncSession, deps: Deps, purpose: Literal["manage", "unsubscribe"], token: str
) -> Subscriber | None:
    """Return the confirmed subscriber a manage or unsubscribe token names."""
    claims = deps.signer.verify(
        purpose, token, now=deps.clock.now(), max_age_days=deps.settings.link_ttl_days
    )
    if claims is None:
        return None
    subscriber = await session.get(Subscriber, claims.subject)
    if subscriber is None or subscriber.confirmed_at is None:
        return None
    return subscriber


async def unsubscribe(
    session: AsyncSession,
    deps: Deps,
    subscriber: Subscriber,
    *,
    topics: Iterable[str] | None,
    route: Route,
    channel: str | None = None,
) -> tuple[str, ...]:
    """End alerts about some topics (None: all); return the topics ended."""
    now = deps.clock.now()
    current = await open_topics(session, subscriber.id)
    ending = current if topics is None else current & set(topics)
    if not ending:
        return ()
    await session.execute(
        update(Subscription)
        .where(
            Subscription.subscriber_id == subscriber.id,
            Subscription.ended_at.is_(None),
            Subscription.topic.in_(ending),
        )
        .values(ended_at=now, ended_reason=route)
    )
    await _ledger(
        session,
        deps,
        subject_hash=deps.subject_hash(subscriber.email),
        action="unsubscribed",
        topics=ending,
        channel=channel or route,
        frequency=subscriber.frequency,
        language=subscriber.language,
        details={"route": route} if channel else None,
    )
    await record(
        session,
        SubscriberUnsubscribed(
            subscriber_id=subscriber.id,
            topics=tuple(sorted(ending)),
            all_topics=ending == current,
            route=route,
        ),
    )
    return tuple(sorted(ending))


async def update_preferences(
    session: AsyncSession,
    deps: Deps,
    subscriber: Subscriber,
    *,
    topics: Iterable[str],
    frequency: Frequency,
    language: str,
    channel: str = "manage-page",
) -> None:
    """Set a person's topics, frequency and language from the manage page."""
    now = deps.clock.now()
    wanted = {t for t in topics if t in deps.catalogue.slugs}
    current = await open_topics(session, subscriber.id)
    removed = current - wanted
    if removed:
        await unsubscribe(
            session,
            deps,
            subscriber,
            topics=removed,
            route="manage-page",
            channel=None if channel == "manage-page" else channel,
        )
    for topic in sorted(wanted - current):
        session.add(Subscription(subscriber_id=subscriber.id, topic=topic, started_at=now))
    changed = (
        wanted != current or frequency != subscriber.frequency or language != subscriber.language
    )
    subscriber.frequency = frequency
    subscriber.language = language
    if not changed:
        return
    await _ledger(
        session,
        deps,
        subject_hash=deps.subject_hash(subscriber.email),
        action="preferences_changed",
        topics=wanted,
        channel=channel,
        frequency=frequency,
        language=language,
    )
    await record(
        session,
        PreferencesChanged(
            subscriber_id=subscriber.id,
            topics=tuple(sorted(wanted)),
            frequency=frequency,
            language=Language.of(language),
        ),
    )


async def erase(
    session: AsyncSession,
    deps: Deps,
    subscriber: Subscriber,
    *,
    route: Route,
    channel: str | None = None,
) -> None:
    """End every alert and delete the address; the ledger keeps only its keyed hash."""
    subject = deps.subject_hash(subscriber.email)
    await unsubscribe(session, deps, subscriber, topics=None, route=route, channel=channel)
    await _ledger(
        session,
        deps,
        subject_hash=subject,
        action="erased",
        topics=(),
        channel=channel or route,
        language=subscriber.language,
        details={"route": route} if channel else None,
    )
    subscriber_id = subscriber.id
    await session.delete(subscriber)
    await record(session, SubscriberErased(subscriber_id=subscriber_id))


async def request_manage_link(session: AsyncSession, deps: Deps, address: str) -> None:
    """Send a fresh manage link if the address belongs to a confirmed subscriber; else nothing."""
    subscriber = await session.scalar(select(Subscriber).where(Subscriber.email == address))
    if subscriber is None or subscriber.confirmed_at is None:
        return
    await record(session, ManageLinkRequested(subscriber_id=subscriber.id))
