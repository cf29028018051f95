"""The outbox relay: publishes committed outbox rows to the bus, oldest first.

A row the bus would not take is put off and tried again later. An outage (the broker away, in
the distributed mode) is logged once when events start to wait and once when they went; the
bus's reconnect makes everything that waits due at once, so nothing waits out a backoff after
the broker answers again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from sqlalchemy import Executable, Row, Update, bindparam, select, update

from shared.events import EVENT_TYPES, decode_event
from shared.failing_passes import PassFailures
from shared.logs import event_context
from shared.outbox import OUTBOX
from shared.wakeup import sleep_until_woken

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

    from shared.bus import EventBus

log = logging.getLogger(__name__)

# How long a woken relay waits for more commits before its pass: a mail or a consumer hears
# of an event at most this much later, and a busy process spends one pass per batch, not per
# commit.
GATHER_SECONDS = 0.05


_TIME: Final = OUTBOX.c.published_at.type
_NOW: Final = bindparam("now", type_=_TIME)
# What a pass reads of each event it takes.
_TAKEN: Final = (
    OUTBOX.c.id,
    OUTBOX.c.event_id,
    OUTBOX.c.event_type,
    OUTBOX.c.payload,
    OUTBOX.c.attempts,
)


class _PassStatements(NamedTuple):
    """How a relay pass takes its batch and marks it published, on one kind of database."""

    take: Executable  # returns the batch's rows, ``_TAKEN`` of each
    mark: Update | None  # marks the published ones after the pass; None: ``take`` marked them


def _pass_statements(batch_size: int, dialect: str) -> _PassStatements:
    """Return the statements of a pass over at most ``batch_size`` due events, oldest first."""
    due = (
        select(OUTBOX.c.id)
        .where(OUTBOX.c.published_at.is_(None))
        .where(OUTBOX.c.next_attempt_at.is_(None) | (OUTBOX.c.next_attempt_at <= _NOW))
        .order_by(OUTBOX.c.id)
        .limit(batch_size)
    )
    if dialect == "sqlite":
        # The in-process bus runs consumers during the pass, each on a connection of its own,
        # and SQLite has one writer: a relay holding the write lock would keep them waiting. So
        # the batch is read first and what went out is marked after.
        mark = (
            update(OUTBOX)
            .where(OUTBOX.c.id.in_(bindparam("ids", expanding=True)))
            .values(published_at=_NOW)
        )
        return _PassStatements(due.with_only_columns(*_TAKEN), mark)
    # Marked in the statement that finds them: one round trip a pass instead of a read and a
    # write. Locked, so other relays skip them; the mark commits with the pass, after the
    # events went out (one the bus would not take is put back in the same transaction), and a
    # relay that dies mid-pass commits nothing, so its events are published again.
    take = (
        update(OUTBOX)
        .where(OUTBOX.c.id.in_(due.with_for_update(skip_locked=True).scalar_subquery()))
        .values(published_at=_NOW)
        .returning(*_TAKEN)
    )
    return _PassStatements(take, None)


# How long a pass waits for an event's consumers before it goes on with the events behind it
# (they run in this process in the embedded mode, where one slow handler held up every event
# after it). The slow one goes on being handled, and is marked published when it is done.
HANDLER_WAIT_SECONDS = 5.0
# At most this many events handled past that wait at once: on SQLite their transactions take
# turns at the one write lock, and each holds a connection.
MAX_LATE = 4
# An event still being handled stays unpublished, leased this long to the process handling
# it: if the process dies, a relay publishes it again after that (at least once).
LATE_LEASE = timedelta(minutes=5)

# An event the bus would not take: not published after all, and tried again after a delay.
_PUT_OFF: Final = (
    update(OUTBOX)
    .where(OUTBOX.c.id == bindparam("row_id"))
    .values(
        published_at=None,
        attempts=OUTBOX.c.attempts + 1,
        next_attempt_at=bindparam("retry_at", type_=OUTBOX.c.next_attempt_at.type),
        last_error=bindparam("error"),
    )
)

# An event still being handled after the pass's wait; then the same event once it is done.
_LEASED: Final = (
    update(OUTBOX)
    .where(OUTBOX.c.id == bindparam("row_id"))
    .values(published_at=None, next_attempt_at=bindparam("until", type_=_TIME))
)
_DONE: Final = (
    update(OUTBOX)
    .where(OUTBOX.c.id == bindparam("row_id"))
    .values(published_at=bindparam("now", type_=_TIME), next_attempt_at=None)
)
# An event that failed and is not published yet: while there is one, events still wait.
_STILL_WAITING: Final = (
    select(OUTBOX.c.id).where(OUTBOX.c.published_at.is_(None)).where(OUTBOX.c.attempts > 0).limit(1)
)
# Once the broker answers again, what waited is due at once: each event's own backoff (up to
# 300 s) is how long it waited for a broker that was away, no longer a reason to wait.
_DUE_NOW: Final = (
    update(OUTBOX)
    .where(OUTBOX.c.published_at.is_(None))
    .where(OUTBOX.c.attempts > 0)
    .where(OUTBOX.c.next_attempt_at > _NOW)
    .values(next_attempt_at=None)
)


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
        handler_wait: float = HANDLER_WAIT_SECONDS,
    ) -> None:
        # A pass is a statement or two on one connection: an ORM session would cost more than they.
        self._engine: AsyncEngine = sessions.kw["bind"]
        self._bus = bus
        self._batch_size = batch_size
        self._poll_seconds = poll_seconds
        self._gather_seconds = gather_seconds
        self._wake = asyncio.Event()
        self._statements = _pass_statements(batch_size, self._engine.dialect.name)
        self._handler_wait = handler_wait
        # Events handled past the wait, by row id: each task settles its row when it ends.
        self._late: dict[int, asyncio.Task[None]] = {}
        self._passing: asyncio.Event | None = None  # set when the pass under way has ended
        self._due_now = False  # the broker is back: what waits is due at the next pass
        # Events wait (a publish failed) since this monotonic time; how many of them went since.
        self._waiting_since: float | None = None
        self._went = 0
        self._failed_in_pass = False
        bus.when_reconnected(self._broker_back)

    def _broker_back(self) -> None:
        self._due_now = True
        self._wake.set()

    def wake(self) -> None:
        """Ask the relay to look at the outbox now rather than at its next poll."""
        self._wake.set()

    async def publish_pending(self) -> int:
        """Publish one batch of due events; return how many were published."""
        self._passing = passing = asyncio.Event()
        self._failed_in_pass = False
        try:
            if self._due_now:
                self._due_now = False
                async with self._engine.begin() as connection:
                    await connection.execute(_DUE_NOW, {"now": datetime.now(UTC)})
            published = await self._pass()
        finally:
            self._passing = None
            passing.set()
        # A pass that took every due event, none failing: perhaps nothing waits any more.
        clean = not self._failed_in_pass and published < self._batch_size
        if self._waiting_since is not None and clean:
            await self._end_wait()
        return published

    async def settled(self) -> None:
        """Wait until every event still being handled past a pass's wait is settled: marked
        published, or put off for a retry (a benchmark's fan-out of 100,000 outlasts the wait,
        and its mails are not all queued until then)."""
        while self._late:
            await asyncio.wait(list(self._late.values()))

    async def _end_wait(self) -> None:
        """Say once that the events that waited went, when none is left unpublished."""
        # Another process's relay may have published them: this one counts only its own.
        async with self._engine.connect() as connection:
            if (await connection.execute(_STILL_WAITING)).first() is not None:
                return
        since, went = self._waiting_since or time.monotonic(), self._went
        self._waiting_since = None
        mine = f"{went} event{'' if went == 1 else 's'} that waited {'is' if went == 1 else 'are'}"
        log.warning(
            "outbox: %s, %.0f s after the first failed",
            f"{mine} published" if went else "the events that waited are published (elsewhere)",
            time.monotonic() - since,
        )

    async def _pass(self) -> int:
        take, mark = self._statements
        async with self._engine.begin() as connection:
            taken = (await connection.execute(take, {"now": datetime.now(UTC)})).all()
            published: list[int] = []
            put_off: list[dict[str, Any]] = []
            leased: list[dict[str, Any]] = []
            # Oldest first: neither RETURNING nor IN promises an order.
            for row in sorted(taken, key=lambda row: row.id):
                if row.id in self._late:  # still being handled: its lease is renewed
                    leased.append({"row_id": row.id, "until": datetime.now(UTC) + LATE_LEASE})
                    continue
                with event_context(row.event_id, row.event_type):
                    late, failure = await self._wait_for(row)
                if late:
                    leased.append({"row_id": row.id, "until": datetime.now(UTC) + LATE_LEASE})
                elif failure is None:
                    published.append(row.id)
                    if row.attempts and self._waiting_since is not None:
                        self._went += 1
                else:
                    put_off.append(failure)
            if mark is not None and published:
                await connection.execute(mark, {"ids": published, "now": datetime.now(UTC)})
            if put_off:
                await connection.execute(_PUT_OFF, put_off)
            if leased:
                await connection.execute(_LEASED, leased)
            return len(published)

    async def _wait_for(self, row: Row[Any]) -> tuple[bool, dict[str, Any] | None]:
        """Publish a row, waiting for its handlers up to the pass's wait while few others are
        late; return whether it is still being handled, and how to put it off if it failed."""
        handling = asyncio.ensure_future(self._publish_row(row))
        if len(self._late) >= MAX_LATE:
            return False, await handling
        try:
            return False, await asyncio.wait_for(asyncio.shield(handling), self._handler_wait)
        except TimeoutError:
            pass
        except asyncio.CancelledError:  # the relay is stopped: so is what it was waiting for
            handling.cancel()
            raise
        log.warning(
            "outbox: event %s (%s) is still being handled after %gs; the events behind it go"
            " on, and it is marked published when its handlers are done",
            row.event_id,
            row.event_type,
            self._handler_wait,
        )
        self._late[row.id] = asyncio.create_task(self._settle_late(row, handling))
        return True, None

    async def _settle_late(
        self, row: Row[Any], handling: asyncio.Future[dict[str, Any] | None]
    ) -> None:
        """Mark a late event published, or put it off, once its handlers are done."""
        try:
            failure = await handling
            while self._passing is not None:  # which may lease it: its mark comes after
                await self._passing.wait()
            async with self._engine.begin() as connection:
                if failure is None:
                    await connection.execute(_DONE, {"row_id": row.id, "now": datetime.now(UTC)})
                else:
                    await connection.execute(_PUT_OFF, failure)
            log.info("outbox: late event %s (%s) is handled", row.event_id, row.event_type)
        except Exception as exc:  # its lease runs out and it is published again
            log.warning("outbox: cannot settle late event %s: %s", row.event_id, exc)
        finally:
            del self._late[row.id]

    async def _publish_row(self, row: Row[Any]) -> dict[str, Any] | None:
        """Publish one row; return how to put it off for a retry if the bus would not take it."""
        if row.event_type in EVENT_TYPES and not self._bus.takes(row.event_type):
            # Nobody would receive it (an in-process bus in a process running only some of the
            # services, say the sign-up pages, whose events are the mailer's): publishing it
            # would deliver it to no one, so it is done without decoding its payload for nothing.
            # A type this release does not know (written by a newer one) is put off as before.
            return None
        try:
            event = decode_event(row.event_type, row.payload)
            await self._bus.publish(event)
        except Exception as exc:
            attempts = row.attempts + 1
            delay = min(300.0, 2.0 ** min(attempts, 8))
            error = f"{type(exc).__name__}: {exc}"[:2000]
            self._failed_in_pass = True
            if self._waiting_since is None:
                # Said once for all the events that wait, not at each retry of each: a broker
                # away for half an hour made thousands of lines. Each retry is logged at DEBUG.
                self._waiting_since = time.monotonic()
                self._went = 0
                log.warning(
                    "outbox: publishing event %s (%s) failed: %s; it and the events that fail "
                    "after it wait in the outbox, are retried (this one in %.0f s, all at once "
                    "when the broker answers again), and one line says when they went",
                    row.event_id,
                    row.event_type,
                    error,
                    delay,
                )
            else:
                log.debug(
                    "outbox: publishing event %s (%s) failed, attempt %d, retry in %.0fs: %s",
                    row.event_id,
                    row.event_type,
                    attempts,
                    delay,
                    error,
                )
            retry_at = datetime.now(UTC) + timedelta(seconds=delay)
            return {"row_id": row.id, "retry_at": retry_at, "error": error}
        return None

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until ``stop`` is set."""
        failures = PassFailures(log, "outbox: relay pass")
        while not stop.is_set():
            try:
                while await self.publish_pending() == self._batch_size:
                    pass
            except Exception as exc:
                failures.failed(exc)
            else:
                failures.succeeded()
            await sleep_until_woken(self._wake, stop, self._poll_seconds)
            if self._gather_seconds:
                # Let the commits of a busy moment gather, so one pass publishes them together
                # instead of one pass (a transaction, a read and a write) for each.
                await sleep_until_woken(asyncio.Event(), stop, self._gather_seconds)
        # Events still being handled stay leased, and are published again after their lease.
        late = list(self._late.values())
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
