"""Queries and statements of the subscriber rows: the only place an address is stored."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Row, Table, delete, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.subscriptions.adapters.tables import SignupRequest as SignupRequestRow
from services.subscriptions.adapters.tables import Subscriber as SubscriberRow
from services.subscriptions.domain.model import Subscriber
from services.subscriptions.domain.vocabulary import SubscriberStatus
from shared.db import rowcount
from shared.vocabulary import Frequency, Language

SUBSCRIBERS: Final[Table] = SubscriberRow.__table__  # type: ignore[assignment]
_PERSON: Final = select(SUBSCRIBERS)


def subscriber_of(row: Row[Any]) -> Subscriber:
    """Return the person a subscriber row stores."""
    return Subscriber(
        id=row.id,
        email=row.email,
        language=Language.of(row.language),
        frequency=Frequency(row.frequency),
        status=SubscriberStatus(row.status),
        created_at=row.created_at,
        confirmed_at=row.confirmed_at,
        hard_bounces=row.hard_bounces or 0,
        frequency_since=row.frequency_since,
    )


def values_of(subscriber: Subscriber) -> dict[str, Any]:
    """Return every column of a person's row."""
    return {
        "id": subscriber.id,
        "email": subscriber.email,
        "language": subscriber.language,
        "frequency": subscriber.frequency,
        "status": subscriber.status,
        "created_at": subscriber.created_at,
        "confirmed_at": subscriber.confirmed_at,
        "hard_bounces": subscriber.hard_bounces,
        "frequency_since": subscriber.frequency_since,
    }


class SqlSubscribers:
    """People in the database, inside one session's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        # Whether this transaction deleted someone, so its commit scrubs the deleted rows.
        self.removed = False

    async def get(self, subscriber_id: uuid.UUID, *, lock: bool = False) -> Subscriber | None:
        """Return a person (``lock``: hold them until the transaction ends)."""
        return await self._one(SUBSCRIBERS.c.id == subscriber_id, lock)

    async def by_address(self, address: str, *, lock: bool = False) -> Subscriber | None:
        """Return the person with a normalised address."""
        return await self._one(SUBSCRIBERS.c.email == address, lock)

    async def _one(self, where: Any, lock: bool) -> Subscriber | None:
        query = _PERSON.where(where)
        if lock and self._session.get_bind().dialect.name == "sqlite":
            # SQLite has no row locks, and the transaction only begins at its first write:
            # reads before one see no lock at all. A write that changes nothing takes the
            # database's write lock, so what this transaction reads after it stays true until
            # it ends, as FOR UPDATE makes it on PostgreSQL.
            await self._session.execute(
                update(SUBSCRIBERS).where(where).values(id=SUBSCRIBERS.c.id)
            )
        row = (await self._session.execute(query.with_for_update() if lock else query)).first()
        return subscriber_of(row) if row is not None else None

    async def save(self, subscriber: Subscriber) -> None:
        """Store a person's status, frequency (and since when), language, confirmation and
        bounce count."""
        await self._session.execute(
            update(SUBSCRIBERS)
            .where(SUBSCRIBERS.c.id == subscriber.id)
            .values(
                status=subscriber.status,
                frequency=subscriber.frequency,
                language=subscriber.language,
                confirmed_at=subscriber.confirmed_at,
                hard_bounces=subscriber.hard_bounces,
                frequency_since=subscriber.frequency_since,
            )
        )

    async def remove(self, subscriber_id: uuid.UUID) -> bool:
        """Delete a person; their requests and subscriptions go with them (ON DELETE CASCADE).
        Tell whether they were still there (False: another request erased them first)."""
        result = await self._session.execute(
            delete(SUBSCRIBERS).where(SUBSCRIBERS.c.id == subscriber_id)
        )
        if rowcount(result) == 0:
            return False
        self.removed = True
        return True


async def purge_unconfirmed(session: AsyncSession, created_before: datetime) -> list[uuid.UUID]:
    """Delete people who never confirmed, signed up before a cut-off and have made no sign-up
    since (a request not yet confirmed, made at or after it); return their ids.

    Signing up again keeps the row as it was made, its first sign-up's time too: the new
    request's link works as long as its mail says, so the person stays while it waits.
    """
    requests = SignupRequestRow.__table__
    waiting = select(requests.c.id).where(
        requests.c.subscriber_id == SUBSCRIBERS.c.id,
        requests.c.confirmed_at.is_(None),
        requests.c.created_at >= created_before,
    )
    result = await session.execute(
        delete(SUBSCRIBERS)
        .where(
            SUBSCRIBERS.c.status == SubscriberStatus.PENDING,
            SUBSCRIBERS.c.created_at < created_before,
            ~exists(waiting),
        )
        .returning(SUBSCRIBERS.c.id)
    )
    return list(result.scalars())
