"""The admin audit log: every admin action, reads included, appended in the action's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.subscriptions.admin.keyset import keyset
from services.subscriptions.admin.tables import AdminAuditEntry


def record(
    session: AsyncSession,
    *,
    actor: str,
    action: str,
    client: str,
    now: datetime,
    target: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Append one entry; it commits or rolls back with the action it describes."""
    session.add(
        AdminAuditEntry(
            occurred_at=now,
            actor=actor[:100],
            action=action,
            target=target[:500] if target else None,
            client=client[:100],
            details=details,
        )
    )


async def recent(
    session: AsyncSession, *, before: tuple[datetime, int] | None = None, limit: int = 100
) -> Sequence[AdminAuditEntry]:
    """Return entries newest first, continuing below a (occurred_at, id) cursor."""
    query = select(AdminAuditEntry).order_by(
        AdminAuditEntry.occurred_at.desc(), AdminAuditEntry.id.desc()
    )
    if before is not None:
        query = query.where(
            tuple_(AdminAuditEntry.occurred_at, AdminAuditEntry.id) < keyset(*before)
        )
    return (await session.scalars(query.limit(limit))).all()


def as_dict(entry: AdminAuditEntry) -> dict[str, Any]:
    """Return an entry as JSON-ready data."""
    return {
        "id": entry.id,
        "occurred_at": entry.occurred_at.isoformat(),
        "actor": entry.actor,
        "action": entry.action,
        "target": entry.target,
        "client": entry.client,
        "details": entry.details,
    }
