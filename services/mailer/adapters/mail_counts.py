"""The counts the operations view reads from the delivery ledger, grouped per UTC day, and
where the mails an editor asked for stand."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, case, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.mailer.adapters.tables import Delivery


def _utc_day(column: Any, dialect: str) -> Any:
    if dialect == "postgresql":
        return cast(func.timezone("UTC", column), Date)
    return func.date(column)


def _day(raw: object) -> date:
    """Read a day as either database returns it (a date, or ISO text on SQLite)."""
    return date.fromisoformat(str(raw)[:10])


async def per_day_and_status(session: AsyncSession, since: datetime) -> list[tuple[date, str, int]]:
    """Count deliveries created since a time per UTC day and status, newest day first."""
    day = _utc_day(Delivery.created_at, session.get_bind().dialect.name)
    rows = await session.execute(
        select(day, Delivery.status, func.count())
        .where(Delivery.created_at >= since)
        .group_by(day, Delivery.status)
        .order_by(day.desc(), Delivery.status)
    )
    return [(_day(raw), status, count) for raw, status, count in rows.all()]


async def per_day_with_retries(
    session: AsyncSession, start: datetime, end: datetime
) -> list[tuple[date, str, int, int]]:
    """Count deliveries created in [start, end) per UTC day and status, and those retried."""
    day = _utc_day(Delivery.created_at, session.get_bind().dialect.name)
    # A mail sent at the first try keeps attempts at 0; each failed try adds one.
    retried = case((Delivery.attempts > 0, 1), else_=0)
    rows = await session.execute(
        select(day, Delivery.status, func.count(), func.sum(retried))
        .where(Delivery.created_at >= start, Delivery.created_at < end)
        .group_by(day, Delivery.status)
    )
    return [
        (_day(raw), status, int(count), int(with_retries or 0))
        for raw, status, count, with_retries in rows.all()
    ]


async def per_kind_and_status(session: AsyncSession) -> list[tuple[str, str, int]]:
    """Count every delivery in the ledger per kind and status."""
    rows = await session.execute(
        select(Delivery.kind, Delivery.status, func.count()).group_by(
            Delivery.kind, Delivery.status
        )
    )
    return [(kind, status, int(count)) for kind, status, count in rows.all()]


async def per_batch_and_status(
    session: AsyncSession, batch_keys: list[str], created_since: datetime
) -> list[tuple[str, str, int]]:
    """Count the deliveries of some batches per batch and status.

    ``created_since`` bounds the scan by the indexed creation time: no index leads with the
    batch key, and a batch's mails are never created before the event that asked for them.
    """
    if not batch_keys:
        return []
    rows = await session.execute(
        select(Delivery.batch_key, Delivery.status, func.count())
        .where(Delivery.created_at >= created_since, Delivery.batch_key.in_(batch_keys))
        .group_by(Delivery.batch_key, Delivery.status)
    )
    return [(key, status, int(count)) for key, status, count in rows.all()]


async def staff_mail_states(
    session: AsyncSession, batch_keys: list[str]
) -> dict[str, tuple[str, str | None]]:
    """Return where each of some staff mails stands, by batch key: its status and last error
    (a key the ledger does not hold yet is left out)."""
    if not batch_keys:
        return {}
    rows = await session.execute(
        select(Delivery.batch_key, Delivery.status, Delivery.last_error).where(
            Delivery.subscriber_id.is_(None), Delivery.batch_key.in_(batch_keys)
        )
    )
    return {key: (status, error) for key, status, error in rows.all()}
