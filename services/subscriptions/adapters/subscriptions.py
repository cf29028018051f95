"""Queries and statements of subscriptions: alerts about one topic, ended, never deleted."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Final

from sqlalchemy import (
    ColumnElement,
    Table,
    and_,
    case,
    exists,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from services.subscriptions.adapters.tables import SignupRequest, Subscription
from services.subscriptions.adapters.tables import Subscriber as SubscriberRow
from services.subscriptions.domain.vocabulary import SubscriberStatus, UnsubscribeRoute

SUBSCRIPTIONS: Final[Table] = Subscription.__table__  # type: ignore[assignment]
SUBSCRIBERS: Final[Table] = SubscriberRow.__table__  # type: ignore[assignment]
_START: Final = insert(SUBSCRIPTIONS)


async def open_topics(session: AsyncSession, subscriber_id: uuid.UUID) -> set[str]:
    """Return the topics a person gets alerts about now."""
    rows = await session.scalars(
        select(SUBSCRIPTIONS.c.topic).where(
            SUBSCRIPTIONS.c.subscriber_id == subscriber_id, SUBSCRIPTIONS.c.ended_at.is_(None)
        )
    )
    return set(rows.all())


class SqlSubscriptions:
    """Subscriptions in the database, inside one session's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def open(self, subscriber_id: uuid.UUID) -> set[str]:
        """Return the topics a person gets alerts about now."""
        return await open_topics(self._session, subscriber_id)

    async def start(self, subscriber_id: uuid.UUID, topics: Collection[str], at: datetime) -> None:
        """Start alerts about topics."""
        if topics:
            await self._session.execute(
                _START,
                [{"subscriber_id": subscriber_id, "topic": t, "started_at": at} for t in topics],
            )

    async def end(
        self,
        subscriber_id: uuid.UUID,
        topics: Collection[str],
        at: datetime,
        reason: UnsubscribeRoute,
    ) -> frozenset[str]:
        """End alerts about topics that are still open, keeping when and why; return those this
        call ended. Of two requests at once, the second finds them ended (the update waits for
        the first's lock and reads its result), so each ending is recorded once."""
        result = await self._session.execute(
            update(SUBSCRIPTIONS)
            .where(
                SUBSCRIPTIONS.c.subscriber_id == subscriber_id,
                SUBSCRIPTIONS.c.ended_at.is_(None),
                SUBSCRIPTIONS.c.topic.in_(list(topics)),
            )
            .values(ended_at=at, ended_reason=reason)
            .returning(SUBSCRIPTIONS.c.topic)
        )
        return frozenset(result.scalars())


async def lapsed(
    session: AsyncSession, ended_before: datetime, topics_ended: Mapping[str, datetime]
) -> list[uuid.UUID]:
    """Return confirmed people with no alert left, the last ended before a cut-off.

    An alert about a topic that has ended (``topics_ended``: when each did) ended with it:
    its row stays open, as the topic's last mail and a topic brought back need, but its
    follower gets nothing more. Someone who signed up again since (a request not yet
    confirmed) is not lapsed.
    """
    people, requests = SUBSCRIBERS, SignupRequest.__table__
    still_open: ColumnElement[bool] = SUBSCRIPTIONS.c.ended_at.is_(None)
    ended_on: ColumnElement[datetime | None] = SUBSCRIPTIONS.c.ended_at
    if topics_ended:
        still_open = and_(still_open, SUBSCRIPTIONS.c.topic.not_in(list(topics_ended)))
        when = {
            slug: literal(at, SUBSCRIPTIONS.c.ended_at.type) for slug, at in topics_ended.items()
        }
        ended_on = func.coalesce(SUBSCRIPTIONS.c.ended_at, case(when, value=SUBSCRIPTIONS.c.topic))
    open_alert = select(SUBSCRIPTIONS.c.id).where(
        SUBSCRIPTIONS.c.subscriber_id == people.c.id, still_open
    )
    last_ended = (
        select(func.max(ended_on))
        .where(SUBSCRIPTIONS.c.subscriber_id == people.c.id)
        .scalar_subquery()
    )
    waiting = select(requests.c.id).where(
        requests.c.subscriber_id == people.c.id,
        requests.c.confirmed_at.is_(None),
        requests.c.created_at >= ended_before,
    )
    rows = await session.scalars(
        select(people.c.id)
        .where(
            people.c.status != SubscriberStatus.PENDING,
            ~exists(open_alert),
            ~exists(waiting),
            func.coalesce(last_ended, people.c.confirmed_at) < ended_before,
        )
        .order_by(people.c.id)
    )
    return list(rows.all())
