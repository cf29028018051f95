"""Statements on the editor's desk: the changes held for review and the decisions taken on them."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.mailer.adapters.tables import ChangeRecord
from services.mailer.domain.review import OPEN, ChangeStatus
from shared.db import rowcount


async def on_desk(session: AsyncSession, limit: int) -> list[ChangeRecord]:
    """Return the changes waiting or held for review, oldest first (the longest wait on top)."""
    rows = await session.scalars(
        select(ChangeRecord)
        .where(ChangeRecord.status.in_([s.value for s in OPEN]))
        .order_by(ChangeRecord.occurred_at, ChangeRecord.id)
        .limit(limit)
    )
    return list(rows.all())


async def recently_decided(session: AsyncSession, limit: int) -> list[ChangeRecord]:
    """Return the changes editors decided last, newest decision first."""
    rows = await session.scalars(
        select(ChangeRecord)
        .where(ChangeRecord.decided_at.is_not(None))
        .order_by(ChangeRecord.decided_at.desc(), ChangeRecord.id)
        .limit(limit)
    )
    return list(rows.all())


async def decide(
    session: AsyncSession,
    change_id: uuid.UUID,
    *,
    version: int,
    status: ChangeStatus,
    note: str | None,
    actor: str,
    now: datetime,
) -> bool:
    """Record a decision if the change is still open at ``version``; tell whether it was.

    One conditional UPDATE: of two editors deciding at once, the database lets exactly one
    move the version on (PostgreSQL re-checks the condition after the first commits; SQLite
    runs one writer at a time), and the other's statement matches no row.
    """
    result = await session.execute(
        update(ChangeRecord)
        .where(
            ChangeRecord.id == change_id,
            ChangeRecord.version == version,
            ChangeRecord.status.in_([s.value for s in OPEN]),
        )
        .values(
            status=status.value,
            note=note,
            version=ChangeRecord.version + 1,
            decided_at=now,
            decided_by=actor,
        )
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


async def withdraw_of_sources(
    session: AsyncSession, source_urls: Collection[str], *, actor: str, now: datetime
) -> list[tuple[uuid.UUID, str]]:
    """Withdraw the open changes of sources (by address); return each as (id, source address).

    One conditional UPDATE, like ``decide``: a change an editor decided a moment before is
    left as they decided it, and one decided after finds its version moved on.
    """
    if not source_urls:
        return []
    result = await session.execute(
        update(ChangeRecord)
        .where(
            ChangeRecord.source_url.in_(list(source_urls)),
            ChangeRecord.status.in_([s.value for s in OPEN]),
        )
        .values(
            status=ChangeStatus.WITHDRAWN.value,
            version=ChangeRecord.version + 1,
            decided_at=now,
            decided_by=actor,
        )
        .returning(ChangeRecord.id, ChangeRecord.source_url)
        .execution_options(synchronize_session=False)
    )
    return sorted((row.id, row.source_url) for row in result.all())


async def open_of_sources(
    session: AsyncSession, source_urls: Collection[str]
) -> list[ChangeRecord]:
    """Return the changes of sources (by address) waiting or held on the desk, oldest first."""
    if not source_urls:
        return []
    rows = await session.scalars(
        select(ChangeRecord)
        .where(
            ChangeRecord.source_url.in_(list(source_urls)),
            ChangeRecord.status.in_([s.value for s in OPEN]),
        )
        .order_by(ChangeRecord.occurred_at, ChangeRecord.id)
    )
    return list(rows.all())


async def open_of_source(session: AsyncSession, source_url: str) -> int:
    """Count the changes of a source (by address) waiting or held on the desk."""
    return int(
        await session.scalar(
            select(func.count())
            .select_from(ChangeRecord)
            .where(
                ChangeRecord.source_url == source_url,
                ChangeRecord.status.in_([s.value for s in OPEN]),
            )
        )
        or 0
    )


async def stored(session: AsyncSession, change_id: uuid.UUID) -> ChangeRecord | None:
    """Return a stored change, or None if there is none (never stored, or purged)."""
    return await session.get(ChangeRecord, change_id)


async def mark_fanned_out(session: AsyncSession, change_id: uuid.UUID, now: datetime) -> None:
    """Note when an approved change was told to its followers (the first time only)."""
    await session.execute(
        update(ChangeRecord)
        .where(ChangeRecord.id == change_id, ChangeRecord.fanned_out_at.is_(None))
        .values(fanned_out_at=now)
        .execution_options(synchronize_session=False)
    )


async def unreminded_waiting(
    session: AsyncSession, arrived_before: datetime, limit: int
) -> list[ChangeRecord]:
    """Return waiting changes that arrived at or before a time, their editors not reminded."""
    rows = await session.scalars(
        select(ChangeRecord)
        .where(
            ChangeRecord.status == ChangeStatus.WAITING.value,
            ChangeRecord.reminded_at.is_(None),
            ChangeRecord.occurred_at <= arrived_before,
        )
        .order_by(ChangeRecord.occurred_at, ChangeRecord.id)
        .limit(limit)
    )
    return list(rows.all())


async def mark_reminded(
    session: AsyncSession, change_ids: Collection[uuid.UUID], now: datetime
) -> list[uuid.UUID]:
    """Mark changes reminded, unless another process did first; return those marked here."""
    marked = []
    for change_id in change_ids:
        result = await session.execute(
            update(ChangeRecord)
            .where(ChangeRecord.id == change_id, ChangeRecord.reminded_at.is_(None))
            .values(reminded_at=now)
            .execution_options(synchronize_session=False)
        )
        if rowcount(result) == 1:
            marked.append(change_id)
    return marked
