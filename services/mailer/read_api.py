"""What the mailer publishes for the operations view: mail counts per day and status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy import Date, case, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.mailer.adapters.tables import Delivery, DigestRun
from services.mailer.domain.periods import next_run_after
from shared.vocabulary import DIGEST_FREQUENCIES


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


# The mail chart's series: what became of the mails created on a day.
MAIL_SERIES: Final = ("sent", "queued", "retried", "failed")


@dataclass(frozen=True, slots=True)
class MailActivity:
    """Mails created per UTC day: sent, still queued, needing retries, failed for good."""

    days: list[date]
    per_day: dict[str, list[int]]


async def mail_activity_per_day(
    session: AsyncSession, first_day: date, last_day: date
) -> MailActivity:
    """Count mails created on each UTC day of a window by outcome (retried overlaps the rest)."""
    day = _utc_day(Delivery.created_at, session.get_bind().dialect.name)
    start = datetime.combine(first_day, time.min, tzinfo=UTC)
    end = datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=UTC)
    # A mail sent at the first try keeps attempts at 0; each failed try adds one.
    retried = case((Delivery.attempts > 0, 1), else_=0)
    rows = await session.execute(
        select(day, Delivery.status, func.count(), func.sum(retried))
        .where(Delivery.created_at >= start, Delivery.created_at < end)
        .group_by(day, Delivery.status)
    )
    days = [first_day + timedelta(days=i) for i in range((last_day - first_day).days + 1)]
    index = {d: i for i, d in enumerate(days)}
    per_day = {series: [0] * len(days) for series in MAIL_SERIES}
    for raw, status, count, with_retries in rows.all():
        position = index.get(date.fromisoformat(str(raw)[:10]))
        if position is None:
            continue
        series = "queued" if status == "sending" else status
        if series in per_day:
            per_day[series][position] += int(count)
        per_day["retried"][position] += int(with_retries or 0)
    return MailActivity(days, per_day)


@dataclass(frozen=True, slots=True)
class DigestSchedule:
    """When a digest rhythm runs next, and how its last run went."""

    frequency: str
    next_run_at: datetime
    last_key: str | None
    last_status: str | None
    last_started_at: datetime | None
    last_finished_at: datetime | None
    last_deliveries: int | None


async def digest_schedule(
    session: AsyncSession, now: datetime, *, timezone: str, hour: int, weekday: int
) -> list[DigestSchedule]:
    """Return the next run (UTC) of the daily and weekly digests and their latest recorded run."""
    tz = ZoneInfo(timezone)
    schedules = []
    for frequency in DIGEST_FREQUENCIES:
        last = await session.scalar(
            select(DigestRun)
            .where(DigestRun.frequency == frequency)
            .order_by(DigestRun.period_end.desc())
            .limit(1)
        )
        schedules.append(
            DigestSchedule(
                frequency=frequency,
                next_run_at=next_run_after(frequency, now, tz=tz, hour=hour, weekday=weekday),
                last_key=last.key if last else None,
                last_status=last.status if last else None,
                last_started_at=last.started_at if last else None,
                last_finished_at=last.finished_at if last else None,
                last_deliveries=last.deliveries if last else None,
            )
        )
    return schedules
