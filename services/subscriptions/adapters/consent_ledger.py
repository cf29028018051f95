"""Statements of the consent ledger, which the app only appends to, until its retention ends."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Table, case, delete, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.subscriptions.adapters.tables import ConsentRecord
from services.subscriptions.domain.model import ConsentEntry
from services.subscriptions.domain.vocabulary import ConsentAction
from shared.db import rowcount

LEDGER: Final[Table] = ConsentRecord.__table__  # type: ignore[assignment]
_APPEND: Final = insert(LEDGER)


def values_of(entry: ConsentEntry) -> dict[str, Any]:
    """Return the columns of an entry's row (all but the id)."""
    return {
        "subject_hash": entry.subject_hash,
        "action": entry.action,
        "topics": list(entry.topics),
        "frequency": entry.frequency,
        "language": entry.language,
        "privacy_version": entry.privacy_version,
        "privacy_hash": entry.privacy_hash,
        "page": entry.page,
        "channel": entry.channel,
        "token_id": entry.token_id,
        "occurred_at": entry.occurred_at,
        "details": entry.details,
    }


async def append_values(session: AsyncSession, values: dict[str, Any]) -> None:
    """Append one row to the ledger (every column but the id given)."""
    await session.execute(_APPEND, values)


class SqlConsentLedger:
    """The ledger in the database, inside one session's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def append(self, entry: ConsentEntry) -> None:
        """Add one entry."""
        await append_values(self._session, values_of(entry))


async def ended_subjects(session: AsyncSession, last_step_before: datetime) -> list[str]:
    """Return the subjects whose story ended before a cut-off: erased, or never confirmed."""
    per_subject = (
        select(
            ConsentRecord.subject_hash.label("subject_hash"),
            func.max(ConsentRecord.id).label("last_id"),
            func.max(ConsentRecord.occurred_at).label("last_at"),
            func.sum(case((ConsentRecord.action == ConsentAction.CONFIRMED, 1), else_=0)).label(
                "confirms"
            ),
        )
        .group_by(ConsentRecord.subject_hash)
        .subquery()
    )
    ended = (
        select(per_subject.c.subject_hash)
        .join(ConsentRecord, ConsentRecord.id == per_subject.c.last_id)
        .where(
            per_subject.c.last_at < last_step_before,
            or_(ConsentRecord.action == ConsentAction.ERASED, per_subject.c.confirms == 0),
        )
    )
    return list((await session.scalars(ended)).all())


async def delete_subjects(session: AsyncSession, subjects: Collection[str]) -> int:
    """Delete every ledger row of these subjects; return how many."""
    result = await session.execute(
        delete(ConsentRecord).where(ConsentRecord.subject_hash.in_(list(subjects)))
    )
    return rowcount(result)
