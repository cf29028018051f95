"""Reading the consent ledger: a person's timeline, filtered pages, CSV slices and exports.

The ledger knows people only by the keyed hash of their address, so typing the address again
finds the whole history, also after the subscriber row (and the address) has been erased.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final, TypeVarTuple

from sqlalchemy import Select, String, and_, cast, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.subscriptions.adapters.tables import (
    ConsentRecord,
    PrivacyNotice,
    SignupRequest,
    Subscriber,
    Subscription,
)
from services.subscriptions.admin.keyset import keyset
from services.subscriptions.domain.addresses import normalise_address
from shared.tokens import address_hash

ACTIONS: Final = ("requested", "confirmed", "preferences_changed", "unsubscribed", "erased")
CSV_COLUMNS: Final = (
    "id",
    "occurred_at",
    "subject_hash",
    "action",
    "topics",
    "frequency",
    "language",
    "privacy_version",
    "privacy_hash",
    "page",
    "channel",
    "token_id",
)
_SLUG: Final = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_BATCH: Final = 1000
Columns = TypeVarTuple("Columns")


def subject_of(secret_key: str, raw_address: str) -> tuple[str, str]:
    """Return the normalised address and its ledger hash (raises InvalidAddress)."""
    address = normalise_address(raw_address)
    return address, address_hash(secret_key, address)


@dataclass(frozen=True, slots=True)
class LedgerFilter:
    """Which ledger rows to show: by topic, action and a half-open time window."""

    topic: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def apply(self, query: Select[*Columns]) -> Select[*Columns]:
        """Narrow a query on the ledger to this filter."""
        if self.topic is not None and _SLUG.match(self.topic):
            # Topics are a JSON list of slugs; slugs cannot contain quotes or LIKE wildcards.
            query = query.where(cast(ConsentRecord.topics, String).like(f'%"{self.topic}"%'))
        if self.action is not None:
            query = query.where(ConsentRecord.action == self.action)
        if self.since is not None:
            query = query.where(ConsentRecord.occurred_at >= self.since)
        if self.until is not None:
            query = query.where(ConsentRecord.occurred_at < self.until)
        return query

    def as_dict(self) -> dict[str, str | None]:
        """Return the filter for the audit log."""
        return {
            "topic": self.topic,
            "action": self.action,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
        }


def record_dict(record: ConsentRecord) -> dict[str, Any]:
    """Return a ledger row as JSON-ready data."""
    return {
        "id": record.id,
        "occurred_at": record.occurred_at.isoformat(),
        "subject_hash": record.subject_hash,
        "action": record.action,
        "topics": list(record.topics),
        "frequency": record.frequency,
        "language": record.language,
        "privacy_version": record.privacy_version,
        "privacy_hash": record.privacy_hash,
        "page": record.page,
        "channel": record.channel,
        "token_id": record.token_id,
    }


async def timeline(session: AsyncSession, subject_hash: str) -> list[dict[str, Any]]:
    """Return a person's consent history, oldest first, with the privacy text each step used."""
    notice_language = func.coalesce(ConsentRecord.language, "nb")
    rows = await session.execute(
        select(ConsentRecord, PrivacyNotice)
        .outerjoin(
            PrivacyNotice,
            and_(
                PrivacyNotice.version == ConsentRecord.privacy_version,
                PrivacyNotice.language == notice_language,
            ),
        )
        .where(ConsentRecord.subject_hash == subject_hash)
        .order_by(ConsentRecord.occurred_at, ConsentRecord.id)
    )
    steps = []
    for record, notice in rows.all():
        step = record_dict(record)
        step["privacy_notice"] = (
            {
                "version": notice.version,
                "language": notice.language,
                "sha256": notice.sha256,
                "matches_hash": notice.sha256 == record.privacy_hash,
            }
            if notice is not None
            else None
        )
        steps.append(step)
    return steps


async def ledger_page(
    session: AsyncSession,
    where: LedgerFilter,
    *,
    after: tuple[datetime, int] | None,
    limit: int,
    newest_first: bool = True,
) -> tuple[Sequence[ConsentRecord], tuple[datetime, int] | None]:
    """Return one page of the filtered ledger and the cursor of the next page, if any."""
    position = tuple_(ConsentRecord.occurred_at, ConsentRecord.id)
    # Find the page's ids first: on PostgreSQL the (action,) occurred_at, id indexes carry the
    # topics too, so the topic filter runs inside the index and only the page's rows are read.
    found = where.apply(select(ConsentRecord.id, ConsentRecord.occurred_at))
    if newest_first:
        found = found.order_by(ConsentRecord.occurred_at.desc(), ConsentRecord.id.desc())
        if after is not None:
            found = found.where(position < keyset(*after))
    else:
        found = found.order_by(ConsentRecord.occurred_at, ConsentRecord.id)
        if after is not None:
            found = found.where(position > keyset(*after))
    ids = found.limit(limit + 1).subquery()
    order = (ids.c.occurred_at, ids.c.id)
    query = (
        select(ConsentRecord)
        .join(ids, ids.c.id == ConsentRecord.id)
        .order_by(*(column.desc() if newest_first else column for column in order))
    )
    rows = (await session.scalars(query)).all()
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], (last.occurred_at, last.id)


async def count_ledger(session: AsyncSession, where: LedgerFilter) -> int:
    """Count the ledger rows a filter selects."""
    total = await session.scalar(where.apply(select(func.count()).select_from(ConsentRecord)))
    return int(total or 0)


def _csv_line(values: Sequence[object]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(values)
    return buffer.getvalue()


async def ledger_csv(
    sessions: async_sessionmaker[AsyncSession], where: LedgerFilter
) -> AsyncIterator[str]:
    """Stream the filtered ledger as CSV, oldest first, one short transaction per batch."""
    yield _csv_line(CSV_COLUMNS)
    after: tuple[datetime, int] | None = None
    while True:
        async with sessions() as session:
            rows, after = await ledger_page(
                session, where, after=after, limit=_BATCH, newest_first=False
            )
        for record in rows:
            data = record_dict(record)
            data["topics"] = " ".join(data["topics"])
            yield _csv_line([data[column] for column in CSV_COLUMNS])
        if after is None:
            return


async def subject_export(
    session: AsyncSession, address: str, subject_hash: str, now: datetime
) -> dict[str, Any]:
    """Return what varsel holds about a person: their current data, if any, and consent history."""
    subscriber = await session.scalar(select(Subscriber).where(Subscriber.email == address))
    current: dict[str, Any] | None = None
    if subscriber is not None:
        subscriptions = await session.scalars(
            select(Subscription)
            .where(Subscription.subscriber_id == subscriber.id)
            .order_by(Subscription.started_at, Subscription.id)
        )
        requests = await session.scalars(
            select(SignupRequest)
            .where(SignupRequest.subscriber_id == subscriber.id)
            .order_by(SignupRequest.created_at)
        )
        current = {
            "id": str(subscriber.id),
            "email": subscriber.email,
            "language": subscriber.language,
            "frequency": subscriber.frequency,
            "status": subscriber.status,
            "created_at": subscriber.created_at.isoformat(),
            "confirmed_at": _iso(subscriber.confirmed_at),
            "subscriptions": [
                {
                    "topic": s.topic,
                    "started_at": s.started_at.isoformat(),
                    "ended_at": _iso(s.ended_at),
                    "ended_reason": s.ended_reason,
                }
                for s in subscriptions
            ],
            "signup_requests": [
                {
                    "topics": list(r.topics),
                    "frequency": r.frequency,
                    "language": r.language,
                    "page": r.page,
                    "privacy_version": r.privacy_version,
                    "created_at": r.created_at.isoformat(),
                    "confirmed_at": _iso(r.confirmed_at),
                }
                for r in requests
            ],
        }
    return {
        "exported_at": now.isoformat(),
        "subject_hash": subject_hash,
        "subscriber": current,
        "consent_history": await timeline(session, subject_hash),
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


async def privacy_text(session: AsyncSession, version: str, language: str) -> PrivacyNotice | None:
    """Return a stored privacy notice by version and language."""
    return await session.get(PrivacyNotice, (version, language))


def parse_filter(params: Mapping[str, str]) -> LedgerFilter:
    """Read a ledger filter from query parameters (dates are whole UTC days); raise ValueError."""
    topic = params.get("topic") or None
    if topic is not None and not _SLUG.match(topic):
        raise ValueError("topic must be a slug")
    action = params.get("action") or None
    if action is not None and action not in ACTIONS:
        raise ValueError(f"action must be one of {', '.join(ACTIONS)}")
    since = _day(params.get("from"))
    until = _day(params.get("to"))
    return LedgerFilter(
        topic=topic,
        action=action,
        since=since,
        until=until + timedelta(days=1) if until else None,
    )


def _day(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.combine(date.fromisoformat(value), datetime.min.time(), tzinfo=UTC)
