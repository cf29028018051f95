"""Transactional outbox: a service writes its state change and its events in one transaction.

The relay (``shared.outbox_relay``) publishes committed events afterwards, so no event is lost
if the process dies between the two. Delivery is at least once; consumers are idempotent (see
``shared.inbox``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final, NamedTuple
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Insert,
    Integer,
    String,
    Table,
    Text,
    bindparam,
    delete,
    func,
    insert,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, BigId, UTCDateTime, rowcount
from shared.events import Event


class OutboxRow(Base):
    """One event waiting to be (or already) published."""

    __tablename__ = "outbox_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    event_type: Mapped[str] = mapped_column(String(100))
    payload: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)


OUTBOX: Final[Table] = OutboxRow.__table__  # type: ignore[assignment]
_COLUMNS: Final = ("event_id", "event_type", "payload", "occurred_at", "attempts")


def outbox_row(event: Event, *, prefix: str = "") -> dict[str, Any]:
    """Return the parameters that ``append_statement`` binds for one event."""
    return {
        f"{prefix}event_id": str(event.event_id),
        f"{prefix}event_type": event.type_name(),
        f"{prefix}payload": event.model_dump_json(),
        f"{prefix}occurred_at": event.occurred_at,
        f"{prefix}attempts": 0,
    }


def append_statement(
    *,
    prefix: str = "",
    when: FromClause | None = None,
    payload: ColumnElement[str] | None = None,
    only_if: ColumnElement[bool] | None = None,
) -> Insert:
    """Return the one statement that writes events to the outbox, whatever shape the caller needs.

    Executed with a list of ``outbox_row`` values it appends them all (``executemany``, on an
    async session or a plain connection alike). With ``when`` it inserts one event for each row
    that ``when`` yields, so a caller can put it in a CTE beside the state change it belongs to:
    the sign-up path writes a new subscriber and its event in one statement that way, its
    ``payload`` an expression on that row. With ``only_if`` (a bound boolean) it inserts the
    event only when that is true: a caller whose answer must take as long either way runs the
    same statement whether or not there is an event to keep.
    """
    values = select(
        *(
            payload
            if c == "payload" and payload is not None
            else bindparam(f"{prefix}{c}", type_=OUTBOX.c[c].type)
            for c in _COLUMNS
        )
    )
    if when is not None:
        values = values.select_from(when)
    if only_if is not None:
        values = values.where(only_if)
    return insert(OUTBOX).from_select(list(_COLUMNS), values)


_APPEND: Final = append_statement()


async def record(session: AsyncSession, *events: Event) -> None:
    """Add events to the outbox inside the caller's transaction."""
    if events:
        await session.execute(_APPEND, [outbox_row(event) for event in events])


async def holds(session: AsyncSession, event_id: UUID) -> bool:
    """Tell whether the outbox holds an event of this id (published or not, until purged)."""
    found = await session.scalar(select(OutboxRow.id).where(OutboxRow.event_id == str(event_id)))
    return found is not None


async def purge_published(session: AsyncSession, older_than: datetime) -> int:
    """Delete published outbox rows older than a cut-off; return how many."""
    result = await session.execute(
        delete(OutboxRow)
        .where(OutboxRow.published_at.is_not(None))
        .where(OutboxRow.published_at < older_than)
    )
    return rowcount(result)


class Backlog(NamedTuple):
    """Events written but not yet published: how many, and when the oldest occurred."""

    pending: int
    oldest: datetime | None


async def backlog(session: AsyncSession) -> Backlog:
    """Return the unpublished events' count and the oldest one's time (None when there is none)."""
    pending, oldest = (
        await session.execute(
            select(func.count(), func.min(OutboxRow.occurred_at)).where(
                OutboxRow.published_at.is_(None)
            )
        )
    ).one()
    return Backlog(pending, oldest)
