"""Reading the consent ledger for the staff side: a person's steps, filtered pages, counts.

The ledger knows people only by the keyed hash of their address, so the hash of an address
typed again finds the whole history, also after the subscriber row (and the address) is gone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, TypeVarTuple

from sqlalchemy import BigInteger, Select, String, Tuple, and_, cast, func, literal, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.subscriptions.adapters.tables import ConsentRecord, PrivacyNotice
from services.subscriptions.domain.vocabulary import Channel, ConsentAction
from shared.catalogue_entries import is_slug
from shared.db import UTCDateTime
from shared.vocabulary import DEFAULT_LANGUAGE

# Every step the ledger records, in the order a person's story runs.
LEDGER_ACTIONS: Final[tuple[ConsentAction, ...]] = tuple(ConsentAction)
# Every channel a step is recorded as coming from.
LEDGER_CHANNELS: Final[tuple[Channel, ...]] = tuple(Channel)
Columns = TypeVarTuple("Columns")
Position = tuple[datetime, int]


@dataclass(frozen=True, slots=True)
class LedgerRecord:
    """One step of a person's consent history, under the keyed hash of their address."""

    id: int
    occurred_at: datetime
    subject_hash: str
    action: str
    topics: tuple[str, ...]
    frequency: str | None
    language: str | None
    privacy_version: str | None
    privacy_hash: str | None
    page: str | None
    channel: str
    token_id: str | None
    # What else the step says: the route it stands for, and for the organisation's steps who
    # acted and why.
    details: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class NoticeShown:
    """The stored privacy text a step refers to, and whether its hash is the one recorded."""

    version: str
    language: str
    sha256: str
    matches_hash: bool


@dataclass(frozen=True, slots=True)
class ConsentStep:
    """A ledger step with the privacy text it was given under (None if that text is unknown)."""

    record: LedgerRecord
    notice: NoticeShown | None


@dataclass(frozen=True, slots=True)
class PrivacyText:
    """A privacy notice exactly as it was published."""

    version: str
    language: str
    text: str
    sha256: str
    published_at: datetime


@dataclass(frozen=True, slots=True)
class LedgerFilter:
    """Which ledger rows to read: by topic, action and a half-open UTC time window."""

    topic: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def apply(self, query: Select[*Columns]) -> Select[*Columns]:
        """Narrow a query on the ledger to this filter."""
        if self.topic is not None and is_slug(self.topic):
            # Topics are a JSON list of slugs; slugs cannot contain quotes or LIKE wildcards.
            query = query.where(cast(ConsentRecord.topics, String).like(f'%"{self.topic}"%'))
        if self.action is not None:
            query = query.where(ConsentRecord.action == self.action)
        if self.since is not None:
            query = query.where(ConsentRecord.occurred_at >= self.since)
        if self.until is not None:
            query = query.where(ConsentRecord.occurred_at < self.until)
        return query


def _record(row: ConsentRecord) -> LedgerRecord:
    return LedgerRecord(
        id=row.id,
        occurred_at=row.occurred_at,
        subject_hash=row.subject_hash,
        action=row.action,
        topics=tuple(row.topics),
        frequency=row.frequency,
        language=row.language,
        privacy_version=row.privacy_version,
        privacy_hash=row.privacy_hash,
        page=row.page,
        channel=row.channel,
        token_id=row.token_id,
        details=row.details,
    )


def _position(at: datetime, row_id: int) -> Tuple:
    """Return a typed row value to compare (occurred_at, id) columns against."""
    return tuple_(literal(at, UTCDateTime()), literal(row_id, BigInteger()))


async def timeline(session: AsyncSession, subject_hash: str) -> list[ConsentStep]:
    """Return a person's consent history, oldest first, with the privacy text each step used."""
    notice_language = func.coalesce(ConsentRecord.language, DEFAULT_LANGUAGE.value)
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
    return [
        ConsentStep(
            _record(record),
            NoticeShown(
                notice.version, notice.language, notice.sha256, notice.sha256 == record.privacy_hash
            )
            if notice is not None
            else None,
        )
        for record, notice in rows.all()
    ]


async def ledger_page(
    session: AsyncSession,
    where: LedgerFilter,
    *,
    after: Position | None,
    limit: int,
    newest_first: bool = True,
) -> tuple[Sequence[LedgerRecord], Position | None]:
    """Return one page of the filtered ledger and the position of the next page, if any."""
    position = tuple_(ConsentRecord.occurred_at, ConsentRecord.id)
    # Find the page's ids first: on PostgreSQL the (action,) occurred_at, id indexes carry the
    # topics too, so the topic filter runs inside the index and only the page's rows are read.
    found = where.apply(select(ConsentRecord.id, ConsentRecord.occurred_at))
    if newest_first:
        found = found.order_by(ConsentRecord.occurred_at.desc(), ConsentRecord.id.desc())
        if after is not None:
            found = found.where(position < _position(*after))
    else:
        found = found.order_by(ConsentRecord.occurred_at, ConsentRecord.id)
        if after is not None:
            found = found.where(position > _position(*after))
    ids = found.limit(limit + 1).subquery()
    order = (ids.c.occurred_at, ids.c.id)
    query = (
        select(ConsentRecord)
        .join(ids, ids.c.id == ConsentRecord.id)
        .order_by(*(column.desc() if newest_first else column for column in order))
    )
    rows = [_record(row) for row in (await session.scalars(query)).all()]
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], (last.occurred_at, last.id)


async def count_ledger(session: AsyncSession, where: LedgerFilter) -> int:
    """Count the ledger rows a filter selects."""
    total = await session.scalar(where.apply(select(func.count()).select_from(ConsentRecord)))
    return int(total or 0)


async def privacy_text(session: AsyncSession, version: str, language: str) -> PrivacyText | None:
    """Return a stored privacy notice by version and language."""
    row = await session.get(PrivacyNotice, (version, language))
    if row is None:
        return None
    return PrivacyText(row.version, row.language, row.text, row.sha256, row.published_at)
