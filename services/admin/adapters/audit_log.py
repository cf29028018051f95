"""The admin audit log: every admin action, reads included, appended in the action's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

from sqlalchemy import BigInteger, delete, literal, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.admin.adapters.tables import AdminAuditEntry
from shared.audit_addresses import without_addresses
from shared.carried_text import carried_line, clip
from shared.db import UTCDateTime, rowcount

TARGET_CHARS: Final = 500  # the target column


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
    """Append one entry; it commits or rolls back with the action it describes.

    The actor and target may hold what someone typed (a name tried at sign-in, an address
    asked for): each is kept as one line without control characters or direction overrides,
    which would make the audit page show another name, or the words after them backwards; an
    email address in the target is kept as «[address]», whoever typed it where.
    """
    line = carried_line(target) if target else ""
    session.add(
        AdminAuditEntry(
            occurred_at=now,
            actor=carried_line(actor, 100),
            action=action,
            target=clip(without_addresses(line), TARGET_CHARS) or None,
            client=carried_line(client, 100),
            details=details,
        )
    )


async def record_repeated(
    session: AsyncSession,
    *,
    actor: str,
    action: str,
    client: str,
    now: datetime,
    since: datetime,
    details: dict[str, Any] | None = None,
) -> None:
    """Count an event into the entry of the same action, actor and client made since
    ``since``, or append that entry if there is none.

    For refusals anyone on the network can cause (sign-ins of no account, attempts refused
    while a client waits): one entry a client and hour, however many arrive, keeps the log
    bounded and still says who tried, from where, when first and last, and how often
    (docs/decisions/0028-refused-sign-ins-counted-per-hour.md). Its ``details`` hold
    ``attempts`` and ``last_at``; nothing else of the entry changes.
    """
    actor, client = carried_line(actor, 100), carried_line(client, 100)
    entry = await session.scalar(
        select(AdminAuditEntry)
        .where(
            AdminAuditEntry.occurred_at >= since,
            AdminAuditEntry.action == action,
            AdminAuditEntry.actor == actor,
            AdminAuditEntry.client == client,
        )
        .order_by(AdminAuditEntry.id)
        .limit(1)
        .with_for_update()
    )
    if entry is None:
        record(
            session,
            actor=actor,
            action=action,
            client=client,
            now=now,
            details={**(details or {}), "attempts": 1, "last_at": now.isoformat()},
        )
        return
    counted = dict(entry.details or {})
    attempts = counted.get("attempts")
    counted["attempts"] = (attempts if isinstance(attempts, int) else 1) + 1
    counted["last_at"] = now.isoformat()
    entry.details = counted  # a new dict: the JSON column sees the change


async def recent(
    session: AsyncSession, *, before: tuple[datetime, int] | None = None, limit: int = 100
) -> Sequence[AdminAuditEntry]:
    """Return entries newest first, continuing below an (occurred_at, id) position."""
    query = select(AdminAuditEntry).order_by(
        AdminAuditEntry.occurred_at.desc(), AdminAuditEntry.id.desc()
    )
    if before is not None:
        at, row_id = before
        position = tuple_(literal(at, UTCDateTime()), literal(row_id, BigInteger()))
        query = query.where(tuple_(AdminAuditEntry.occurred_at, AdminAuditEntry.id) < position)
    return (await session.scalars(query.limit(limit))).all()


async def purge_older(session: AsyncSession, occurred_before: datetime) -> int:
    """Delete the entries made before a time (the audit log's retention); return how many."""
    result = await session.execute(
        delete(AdminAuditEntry).where(AdminAuditEntry.occurred_at < occurred_before)
    )
    return rowcount(result)


async def exists(session: AsyncSession, action: str, target: str) -> bool:
    """Tell whether an action on a target was recorded (a rare read: no index is kept for it)."""
    found = await session.scalar(
        select(AdminAuditEntry.id)
        .where(AdminAuditEntry.action == action, AdminAuditEntry.target == target)
        .limit(1)
    )
    return found is not None


async def latest_of(session: AsyncSession, action: str, limit: int) -> Sequence[AdminAuditEntry]:
    """Return the newest entries of one action, newest first."""
    query = (
        select(AdminAuditEntry)
        .where(AdminAuditEntry.action == action)
        .order_by(AdminAuditEntry.occurred_at.desc(), AdminAuditEntry.id.desc())
        .limit(limit)
    )
    return (await session.scalars(query)).all()


async def made_at(session: AsyncSession, action: str, at: datetime) -> Sequence[AdminAuditEntry]:
    """Return the entries of one action made at exactly one moment (an apply's entry has the
    moment of the rows it wrote)."""
    query = select(AdminAuditEntry).where(
        AdminAuditEntry.action == action, AdminAuditEntry.occurred_at == at
    )
    return (await session.scalars(query.order_by(AdminAuditEntry.id))).all()
