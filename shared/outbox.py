"""Transactional outbox: a service writes its state change and its events in one transaction.

The relay publishes committed events afterwards, so no event is lost if the process dies
between the two. Delivery is at least once; consumers are idempotent (see ``shared.inbox``).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from sqlalchemy import (
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
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, BigId, UTCDateTime, rowcount
from shared.events import Event, decode_event
from shared.logs import event_context
from shared.wakeup import sleep_until_woken

if TYPE_CHECKING:
    from shared.bus import EventBus

log = logging.getLogger(__name__)


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


def append_statement(*, prefix: str = "", when: FromClause | None = None) -> Insert:
    """Return the one statement that writes events to the outbox, whatever shape the caller needs.

    Executed with a list of ``outbox_row`` values it appends them all (``executemany``, on an
    async session or a plain connection alike). With ``when`` it inserts one event for each row
    that ``when`` yields, so a caller can put it in a CTE beside the state change it belongs to:
    the sign-up path writes a new subscriber and its event in one statement that way.
    """
    values = select(*(bindparam(f"{prefix}{c}", type_=OUTBOX.c[c].type) for c in _COLUMNS))
    if when is not None:
        values = values.select_from(when)
    return insert(OUTBOX).from_select(list(_COLUMNS), values)


_APPEND: Final = append_statement()


async def record(session: AsyncSession, *events: Event) -> None:
    """Add events to the outbox inside the caller's transaction."""
    if events:
        await session.execute(_APPEND, [outbox_row(event) for event in events])


# How long a woken relay waits for more commits before its pass: a mail or a consumer hears
# of an event at most this much later, and a busy process spends one pass per batch, not per
# commit.
GATHER_SECONDS = 0.05


class OutboxRelay:
    """Publish committed outbox rows to the bus, oldest first, retrying failures with backoff."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        bus: EventBus,
        *,
        batch_size: int = 100,
        poll_seconds: float = 1.0,
        gather_seconds: float = GATHER_SECONDS,
    ) -> None:
        self._sessions = sessions
        self._bus = bus
        self._batch_size = batch_size
        self._poll_seconds = poll_seconds
        self._gather_seconds = gather_seconds
        self._wake = asyncio.Event()
        self._skip_locked = not sessions.kw["bind"].url.drivername.startswith("sqlite")

    def wake(self) -> None:
        """Ask the relay to look at the outbox now rather than at its next poll."""
        self._wake.set()

    async def publish_pending(self) -> int:
        """Publish one batch of due events; return how many were published."""
        now = datetime.now(UTC)
        async with self._sessions() as session, session.begin():
            query = (
                select(OutboxRow)
                .where(OutboxRow.published_at.is_(None))
                .where((OutboxRow.next_attempt_at.is_(None)) | (OutboxRow.next_attempt_at <= now))
                .order_by(OutboxRow.id)
                .limit(self._batch_size)
            )
            if self._skip_locked:
                query = query.with_for_update(skip_locked=True)
            rows = list((await session.scalars(query)).all())
            published = 0
            for row in rows:
                with event_context(row.event_id, row.event_type):
                    published += await self._publish_row(row)
            return published

    async def _publish_row(self, row: OutboxRow) -> int:
        """Publish one row; return 1 if published, 0 if it was put off for a retry."""
        try:
            event = decode_event(row.event_type, row.payload)
            await self._bus.publish(event)
        except Exception as exc:
            row.attempts += 1
            delay = min(300.0, 2.0 ** min(row.attempts, 8))
            row.next_attempt_at = datetime.now(UTC) + timedelta(seconds=delay)
            row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            log.warning(
                "outbox: publishing event %s (%s) failed, attempt %d, retry in %.0fs: %s",
                row.event_id,
                row.event_type,
                row.attempts,
                delay,
                row.last_error,
            )
            return 0
        row.published_at = datetime.now(UTC)
        return 1

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until ``stop`` is set."""
        while not stop.is_set():
            try:
                while await self.publish_pending() == self._batch_size:
                    pass
            except Exception:
                log.exception("outbox: relay pass failed; will try again")
            await sleep_until_woken(self._wake, stop, self._poll_seconds)
            if self._gather_seconds:
                # Let the commits of a busy moment gather, so one pass publishes them together
                # instead of one pass (a transaction, a read and a write) for each.
                await sleep_until_woken(asyncio.Event(), stop, self._gather_seconds)


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
