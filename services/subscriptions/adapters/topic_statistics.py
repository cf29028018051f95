"""Per-topic numbers: current subscribers by frequency and language, and ledger steps per day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from sqlalchemy import Date, String, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.subscriptions.adapters.tables import ConsentRecord, Subscriber, Subscription
from services.subscriptions.domain.vocabulary import ConsentAction, SubscriberStatus

# Ledger steps counted per day, in the order a chart draws its series.
DAILY_SERIES: Final[tuple[ConsentAction, ...]] = (
    ConsentAction.REQUESTED,
    ConsentAction.CONFIRMED,
    ConsentAction.UNSUBSCRIBED,
)


@dataclass(frozen=True, slots=True)
class TopicStatistics:
    """A topic's active subscribers now, and its steps per UTC day over a span of days."""

    topic: str
    by_frequency: dict[str, int]
    by_language: dict[str, int]
    days: list[date]
    per_day: dict[str, list[int]]


def _utc_day(column: Any, dialect: str) -> Any:
    # Days are UTC days on both databases; PostgreSQL would otherwise use the session's zone.
    if dialect == "postgresql":
        return cast(func.timezone("UTC", column), Date)
    return func.date(column)


async def topic_statistics(
    session: AsyncSession, topic: str, *, first_day: date, last_day: date
) -> TopicStatistics:
    """Count a topic's active subscribers and its ledger steps per UTC day in a window."""
    counts = await session.execute(
        select(Subscriber.frequency, Subscriber.language, func.count())
        .join(Subscription, Subscription.subscriber_id == Subscriber.id)
        .where(
            Subscription.topic == topic,
            Subscription.ended_at.is_(None),
            Subscriber.status == SubscriberStatus.ACTIVE,
        )
        .group_by(Subscriber.frequency, Subscriber.language)
    )
    by_frequency: dict[str, int] = {}
    by_language: dict[str, int] = {}
    for frequency, language, count in counts.all():
        by_frequency[frequency] = by_frequency.get(frequency, 0) + count
        by_language[language] = by_language.get(language, 0) + count

    dialect = session.get_bind().dialect.name
    day = _utc_day(ConsentRecord.occurred_at, dialect)
    start = datetime.combine(first_day, datetime.min.time()).replace(tzinfo=UTC)
    end = datetime.combine(last_day + timedelta(days=1), datetime.min.time()).replace(tzinfo=UTC)
    rows = await session.execute(
        select(day, ConsentRecord.action, func.count())
        .where(
            ConsentRecord.occurred_at >= start,
            ConsentRecord.occurred_at < end,
            ConsentRecord.action.in_(DAILY_SERIES),
            cast(ConsentRecord.topics, String).like(f'%"{topic}"%'),
        )
        .group_by(day, ConsentRecord.action)
    )
    days = [first_day + timedelta(days=i) for i in range((last_day - first_day).days + 1)]
    index = {d: i for i, d in enumerate(days)}
    per_day: dict[str, list[int]] = {str(series): [0] * len(days) for series in DAILY_SERIES}
    for raw_day, action, count in rows.all():
        position = index.get(date.fromisoformat(str(raw_day)[:10]))
        if position is not None:
            per_day[action][position] += count
    return TopicStatistics(topic, by_frequency, by_language, days, per_day)
