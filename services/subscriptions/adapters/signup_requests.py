"""Queries and statements of the sign-up requests that wait for their confirmation."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Row, Table, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.subscriptions.adapters.tables import SignupRequest as SignupRequestRow
from services.subscriptions.domain.model import SignupRequest
from shared.db import rowcount
from shared.vocabulary import Frequency, Language

REQUESTS: Final[Table] = SignupRequestRow.__table__  # type: ignore[assignment]
_INSERT: Final = insert(REQUESTS)
_REQUEST: Final = select(REQUESTS)


def request_of(row: Row[Any]) -> SignupRequest:
    """Return the request a row stores."""
    return SignupRequest(
        id=row.id,
        subscriber_id=row.subscriber_id,
        topics=tuple(row.topics),
        frequency=Frequency(row.frequency),
        language=Language.of(row.language),
        page=row.page,
        privacy_version=row.privacy_version,
        created_at=row.created_at,
        expires_at=row.expires_at,
        confirmed_at=row.confirmed_at,
    )


def values_of(request: SignupRequest) -> dict[str, Any]:
    """Return every column of a request's row."""
    return {
        "id": request.id,
        "subscriber_id": request.subscriber_id,
        "topics": list(request.topics),
        "frequency": request.frequency,
        "language": request.language,
        "page": request.page,
        "privacy_version": request.privacy_version,
        "created_at": request.created_at,
        "expires_at": request.expires_at,
        "confirmed_at": request.confirmed_at,
    }


async def purge_unconfirmed(session: AsyncSession, created_before: datetime) -> int:
    """Delete the requests never confirmed that were made before a cut-off, whoever's (a
    confirmed person's too); return how many. The ledger keeps its own record of each."""
    result = await session.execute(
        delete(REQUESTS).where(
            REQUESTS.c.confirmed_at.is_(None), REQUESTS.c.created_at < created_before
        )
    )
    return rowcount(result)


async def insert_values(session: AsyncSession, values: dict[str, Any]) -> None:
    """Insert one request (every column given)."""
    await session.execute(_INSERT, values)


class SqlSignupRequests:
    """Sign-up requests in the database, inside one session's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, request_id: uuid.UUID) -> SignupRequest | None:
        """Return a request by id."""
        row = (await self._session.execute(_REQUEST.where(REQUESTS.c.id == request_id))).first()
        return request_of(row) if row is not None else None

    async def add(self, request: SignupRequest) -> None:
        """Store a new request."""
        await insert_values(self._session, values_of(request))

    async def mark_confirmed(self, request_id: uuid.UUID, at: datetime) -> bool:
        """Record when a request was confirmed, unless it already was; tell whether this call
        did. The condition is the claim: of two confirmations at once, one updates the row."""
        result = await self._session.execute(
            update(REQUESTS)
            .where(REQUESTS.c.id == request_id, REQUESTS.c.confirmed_at.is_(None))
            .values(confirmed_at=at)
        )
        return rowcount(result) == 1
