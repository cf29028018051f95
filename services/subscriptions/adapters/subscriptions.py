"""Queries and statements of subscriptions: alerts about one topic, ended, never deleted."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Final

from sqlalchemy import Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.subscriptions.adapters.tables import Subscription
from services.subscriptions.domain.vocabulary import UnsubscribeRoute

SUBSCRIPTIONS: Final[Table] = Subscription.__table__  # type: ignore[assignment]
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
    ) -> None:
        """End alerts about topics, keeping when and why."""
        await self._session.execute(
            update(SUBSCRIPTIONS)
            .where(
                SUBSCRIPTIONS.c.subscriber_id == subscriber_id,
                SUBSCRIPTIONS.c.ended_at.is_(None),
                SUBSCRIPTIONS.c.topic.in_(list(topics)),
            )
            .values(ended_at=at, ended_reason=reason)
        )
