"""What the mailer publishes for the operations view: mail counts per day and status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.mailer.adapters.tables import Delivery


@dataclass(frozen=True, slots=True)
class DayCount:
    """How many mails created on one UTC day are in one status."""

    day: date
    status: str
    count: int


def _utc_day(column: Any, dialect: str) -> Any:
    if dialect == "postgresql":
        return cast(func.timezone("UTC", column), Date)
    return func.date(column)


async def mail_counts_per_day(session: AsyncSession, since: datetime) -> list[DayCount]:
    """Count deliveries created since a time, per UTC day and status, newest day first."""
    day = _utc_day(Delivery.created_at, session.get_bind().dialect.name)
    rows = await session.execute(
        select(day, Delivery.status, func.count())
        .where(Delivery.created_at >= since)
        .group_by(day, Delivery.status)
        .order_by(day.desc(), Delivery.status)
    )
    return [
        DayCount(date.fromisoformat(str(raw)[:10]), status, count)
        for raw, status, count in rows.all()
    ]
