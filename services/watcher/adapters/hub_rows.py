"""Statements on feeds' WebSub subscriptions and the bodies their hubs push."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.watcher.adapters.tables import (
    HubSubscription,
    PushDigest,
    PushedBody,
    WatchedSource,
)
from services.watcher.domain.websub import (
    PUSH_MEMORY,
    RETRY_AFTER,
    HubLink,
    SubscriptionState,
    renew_at,
)

# A hub that refused a subscription is asked again only this much later.
DENIED_RETRY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class HubRequest:
    """A subscription to ask a hub for (first time, again, or to renew it)."""

    id: int
    source_id: int
    hub_url: str
    topic_url: str
    callback_id: str
    secret: str
    renewing: bool


async def note_hub(session: AsyncSession, source_id: int, link: HubLink, now: datetime) -> None:
    """Remember the hub a feed advertises; a new hub or topic is asked for from scratch."""
    row = (
        await session.scalars(select(HubSubscription).where(HubSubscription.source_id == source_id))
    ).first()
    if row is None:
        session.add(
            HubSubscription(
                source_id=source_id,
                hub_url=link.hub,
                topic_url=link.topic,
                callback_id=secrets.token_urlsafe(24),
                secret=secrets.token_urlsafe(32),
                state=SubscriptionState.WANTED.value,
                next_request_at=now,
            )
        )
        return
    if (row.hub_url, row.topic_url) == (link.hub, link.topic):
        return
    # Another hub: a new callback and secret, so the old hub's pushes are refused (and the
    # digests of what it pushed say nothing of what the new one will).
    await session.execute(delete(PushDigest).where(PushDigest.subscription_id == row.id))
    row.hub_url, row.topic_url = link.hub, link.topic
    row.callback_id = secrets.token_urlsafe(24)
    row.secret = secrets.token_urlsafe(32)
    row.state = SubscriptionState.WANTED.value
    row.next_request_at = now
    row.lease_until = None
    await _pace_normally(session, source_id)


async def claim_requests(
    session: AsyncSession, now: datetime, *, limit: int, skip_locked: bool
) -> list[HubRequest]:
    """Take the subscriptions due a request; a crash in between asks again after RETRY_AFTER."""
    query = (
        select(HubSubscription)
        .join(WatchedSource, WatchedSource.id == HubSubscription.source_id)
        .where(HubSubscription.next_request_at <= now, WatchedSource.active.is_(True))
        .order_by(HubSubscription.next_request_at)
        .limit(limit)
    )
    if skip_locked:
        query = query.with_for_update(skip_locked=True, of=HubSubscription)
    rows = list((await session.scalars(query)).all())
    requests = [
        HubRequest(
            id=row.id,
            source_id=row.source_id,
            hub_url=row.hub_url,
            topic_url=row.topic_url,
            callback_id=row.callback_id,
            secret=row.secret,
            renewing=row.lease_until is not None and row.lease_until > now,
        )
        for row in rows
    ]
    for row in rows:
        # Marked asked before the request goes out: a hub may verify before it even answers.
        row.state = SubscriptionState.REQUESTED.value
        row.requested_at = now
        row.next_request_at = now + RETRY_AFTER  # no verification by then: ask again
    return requests


async def record_request(
    session: AsyncSession, request: HubRequest, error: str | None, now: datetime
) -> None:
    """Record the hub's answer to a request: accepted (verification to come) or failed."""
    row = await session.get(HubSubscription, request.id)
    if row is None or row.callback_id != request.callback_id:
        return  # the feed moved to another hub meanwhile
    if error is None:
        # Asked (claim_requests), and perhaps verified already: nothing to undo.
        row.last_error = None
        return
    row.state = SubscriptionState.FAILED.value
    row.next_request_at = now + RETRY_AFTER
    row.last_error = error[:2000]
    # A renewal that failed is no promise to push: back to the normal pace.
    await _pace_normally(session, row.source_id)


async def subscription_at(session: AsyncSession, callback_id: str) -> HubSubscription | None:
    """Return the subscription a callback URL names."""
    return (
        await session.scalars(
            select(HubSubscription).where(HubSubscription.callback_id == callback_id)
        )
    ).first()


async def record_verification(
    session: AsyncSession, row: HubSubscription, lease: timedelta, now: datetime
) -> None:
    """Record a verified subscription: pushes are taken and polls slow down until it ends."""
    row.state = SubscriptionState.ACTIVE.value
    row.verified_at = now
    row.lease_until = now + lease
    row.next_request_at = renew_at(now, row.lease_until)
    row.last_error = None
    await session.execute(
        update(WatchedSource)
        .where(WatchedSource.id == row.source_id)
        .values(push_until=row.lease_until)
    )


async def record_denial(session: AsyncSession, row: HubSubscription, now: datetime) -> None:
    """Record that the hub refused (or ended) the subscription; polls go on at the normal pace."""
    row.state = SubscriptionState.DENIED.value
    row.lease_until = None
    row.next_request_at = now + DENIED_RETRY
    await _pace_normally(session, row.source_id)


async def store_push(
    session: AsyncSession,
    row: HubSubscription,
    body: bytes,
    content_type: str | None,
    now: datetime,
) -> None:
    """Keep a verified push for the watcher to compare."""
    row.last_push_at = now
    session.add(
        PushedBody(
            source_id=row.source_id,
            received_at=now,
            content_type=(content_type or "")[:200] or None,
            body=body,
        )
    )


async def pushed_before(session: AsyncSession, row: HubSubscription, digest: str) -> bool:
    """Tell whether the subscription was pushed a body of this digest before."""
    found = await session.scalar(
        select(PushDigest.id).where(
            PushDigest.subscription_id == row.id, PushDigest.digest == digest
        )
    )
    return found is not None


async def remember_push(
    session: AsyncSession, row: HubSubscription, digest: str, now: datetime
) -> bool:
    """Remember a pushed body's digest; tell whether it is new (False: another request's).

    Only the newest PUSH_MEMORY digests of a subscription are kept.
    """
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    added = await session.scalar(
        insert(PushDigest)
        .values(subscription_id=row.id, digest=digest, accepted_at=now)
        # Two deliveries of one body at once: one is taken, the other told it is a repeat.
        .on_conflict_do_nothing(index_elements=["subscription_id", "digest"])
        .returning(PushDigest.id)
    )
    if added is None:
        return False
    oldest_kept = (
        select(PushDigest.id)
        .where(PushDigest.subscription_id == row.id)
        .order_by(PushDigest.id.desc())
        .offset(PUSH_MEMORY - 1)
        .limit(1)
        .scalar_subquery()
    )
    await session.execute(
        delete(PushDigest).where(PushDigest.subscription_id == row.id, PushDigest.id < oldest_kept)
    )
    return True


@dataclass(frozen=True, slots=True)
class Push:
    """A pushed body waiting to be compared, and whether its source is still watched."""

    id: int
    source_id: int
    body: bytes
    content_type: str | None
    watched: bool


async def pushed_bodies(session: AsyncSession, limit: int) -> list[Push]:
    """Return the oldest pushes waiting to be compared."""
    query = (
        select(PushedBody, WatchedSource.active)
        .join(WatchedSource, WatchedSource.id == PushedBody.source_id)
        .order_by(PushedBody.id)
        .limit(limit)
    )
    return [
        Push(p.id, p.source_id, p.body, p.content_type, bool(active))
        for p, active in (await session.execute(query)).all()
    ]


async def source_watched(session: AsyncSession, source_id: int) -> bool:
    """Tell whether a source is still watched (not paused, not taken out of the catalogue)."""
    active = await session.scalar(select(WatchedSource.active).where(WatchedSource.id == source_id))
    return bool(active)


async def drop_push(session: AsyncSession, push_id: int) -> None:
    """Forget a push once it has been compared (or could not be)."""
    await session.execute(delete(PushedBody).where(PushedBody.id == push_id))


async def _pace_normally(session: AsyncSession, source_id: int) -> None:
    await session.execute(
        update(WatchedSource).where(WatchedSource.id == source_id).values(push_until=None)
    )
