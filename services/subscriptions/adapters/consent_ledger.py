"""Statements of the consent ledger, which the app only ever appends to."""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.subscriptions.adapters.tables import ConsentRecord
from services.subscriptions.domain.model import ConsentEntry

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
