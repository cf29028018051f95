"""Recording that a mail is being handed over, right before the server can take it.

A delivery is marked sent between its content and the final "." of DATA, and that mark is
committed right after the final dot is written (docs/decisions/0008-record-before-the-final-dot.md).
Every open SMTP connection waits here once per mail, so the marks are grouped: whatever arrives
while one group is being marked and committed goes in the next (group commit).

The mark is also a fence: it only lands while this process's lease on the delivery is the
current one, so a process that stalled past its lease can never send what another now owns.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from sqlalchemy import Update, any_, bindparam, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncEngine

from services.mailer.adapters.senders import HandOverRefused
from services.mailer.adapters.smtp_connection import DotNotTaken
from services.mailer.adapters.tables import Delivery
from services.mailer.domain.ledger import DeliveryStatus
from services.mailer.domain.outcomes import RECORD_RETRY_PAUSES
from shared.clock import Clock

log = logging.getLogger(__name__)

# How many groups of marks may wait for their COMMIT at once on PostgreSQL, whose concurrent
# commits share a flush of the log (docs/benchmarks.md, «Mail fan-out»).
GROUPS_IN_FLIGHT = 2


@dataclass(slots=True, eq=False)  # compared by identity: one per waiting sender
class _Waiting:
    delivery_id: int
    lease_until: datetime
    release: Callable[[], None]  # writes the final dot; never awaits
    marked: asyncio.Future[bool]


class HandOverLedger:
    """Marks deliveries sent, many per transaction, for senders about to hand them over."""

    def __init__(self, engine: AsyncEngine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock
        self._postgres = engine.dialect.name == "postgresql"
        self._mark = _mark_statement(engine.dialect.name)
        self._waiting: list[_Waiting] = []
        # Groups being marked and committed. On PostgreSQL two at once: a mark that arrives
        # while one group waits for its COMMIT's flush starts the next group rather than waiting
        # behind it. SQLite takes one writer at a time, so a second group would only queue.
        self._committers: set[asyncio.Task[None]] = set()
        self._in_flight = GROUPS_IN_FLIGHT if self._postgres else 1

    async def mark_sent(
        self, delivery_id: int, lease_until: datetime, release: Callable[[], None]
    ) -> None:
        """Record the delivery as sent, then call ``release`` at once; else HandOverRefused.

        ``release`` hands the mail over (writes the final dot). It is called for the whole group
        once the marks are made and before COMMIT is written, with no await in between; see
        ``_mark_and_release``.
        """
        marked = asyncio.get_running_loop().create_future()
        self._waiting.append(_Waiting(delivery_id, lease_until, release, marked))
        # Counted, not sized: a committer that just finished is still in the set until its
        # done-callback runs, and a mark must never wait on one that will not take it.
        if sum(not c.done() for c in self._committers) < self._in_flight:
            committer = asyncio.create_task(self._commit_all())
            self._committers.add(committer)
            committer.add_done_callback(self._committers.discard)
        try:
            owned = await marked
        except DotNotTaken:
            raise  # the sender's own connection withdrew the mail: tried again, as a lost one
        except Exception as exc:
            raise HandOverRefused(
                f"the ledger could not record the hand-over: {type(exc).__name__}",
                lease_lost=False,
            ) from exc
        if not owned:
            raise HandOverRefused("another process holds this delivery now", lease_lost=True)

    async def settled(self) -> None:
        """Wait until every hand-over asked for so far is committed or refused.

        Withdrawn mails are queued again by then too. A batch that is stopped waits here, so
        the ledger it leaves says what went out and no mail stays marked sent that never went:
        a first cancellation waits for the commit, a second stops the wait (not the commit).
        """
        committers = list(self._committers)
        if not committers:
            return
        try:
            await asyncio.wait(committers)
        except asyncio.CancelledError:
            await asyncio.wait(committers)
            raise

    async def _commit_all(self) -> None:
        # Let the other connections whose replies are in reach their mark too: one transaction
        # then serves them all, at no cost in latency (nothing sleeps).
        await asyncio.sleep(0)
        while self._waiting:
            group, self._waiting = self._waiting, []
            try:
                withdrawn = await self._mark_and_release(group)
            except Exception as exc:
                log.warning(
                    "mailer: cannot record %d hand-overs (%s); those mails wait",
                    len(group),
                    type(exc).__name__,
                )
                for waiting in group:
                    if not waiting.marked.done():
                        waiting.marked.set_exception(exc)
                continue
            if withdrawn:
                # By this group's committer, after its COMMIT returned: another group's, run
                # while this COMMIT was still being flushed, would find the rows not yet sent.
                await self._requeue(withdrawn)

    async def _mark_and_release(self, group: list[_Waiting]) -> list[int]:
        """Mark the group sent, hand the mails over, and commit, in that order; return the
        deliveries marked but not handed over (their sender was cancelled before its dot, or
        its connection was gone), for the caller to queue again.

        The final dots are written while the marks are still uncommitted, and COMMIT is written
        straight after them in the same step of the event loop. Killed before that step, the
        process leaves a transaction the database rolls back and mails the SMTP servers discard:
        all are sent again, once. Killed after it, the dots and COMMIT are already in the
        kernel's socket buffers, which it still delivers: the mails are sent and recorded. Only
        a kill between the first dot and COMMIT can repeat a mail; nothing can lose one. That
        window is kept to the dots' writes and the COMMIT's: the senders learn the outcome in
        the next step.
        """
        by_lease: dict[datetime, list[int]] = defaultdict(list)
        for waiting in group:
            by_lease[waiting.lease_until].append(waiting.delivery_id)
        now = self._clock.now()
        owned: set[int] = set()
        loop = asyncio.get_running_loop()
        commit_statement: Callable[[], Awaitable[object]]
        async with self._engine.connect() as connection:
            if self._postgres:
                driver = (await connection.get_raw_connection()).driver_connection
                assert driver is not None, "a checked-out connection has its driver connection"
                # BEGIN and COMMIT as plain statements: asyncpg's Transaction object costs a
                # few microseconds more before COMMIT reaches the socket, inside the window.
                await driver.execute("BEGIN")
                try:
                    for lease_until, ids in by_lease.items():
                        rows = await driver.fetch(_POSTGRES_MARK, ids, lease_until, now)
                        owned.update(row[0] for row in rows)
                except BaseException:
                    await connection.invalidate()  # never back to the pool mid-transaction
                    raise
                commit_statement = partial(driver.execute, "COMMIT")
            else:
                await connection.begin()
                for lease_until, ids in by_lease.items():
                    values = {"ids": ids, "held_until": lease_until, "now": now}
                    owned.update((await connection.execute(self._mark, values)).scalars())
                commit_statement = connection.commit
            withdrawn: list[int] = []
            handing = self._sort_out(group, owned, withdrawn)
            # The window: from the first dot to COMMIT, nothing else is done.
            failed = _write_dots(handing)
            commit = commit_statement()
            # Runs once COMMIT is written: asyncpg writes it before its first await.
            loop.call_soon(self._settle, handing, failed)
            try:
                await commit
            except BaseException as exc:
                await connection.invalidate()  # never back to the pool mid-transaction
                if not isinstance(exc, Exception):
                    raise
                await self._record_again([w.delivery_id for w in handing if w not in failed], now)
        withdrawn.extend(w.delivery_id for w in failed)
        return withdrawn

    def _sort_out(
        self, group: list[_Waiting], owned: set[int], withdrawn: list[int]
    ) -> list[_Waiting]:
        """Refuse the mails this process no longer owns; return those to hand over, and add
        those whose sender was cancelled to ``withdrawn``."""
        handing = []
        for waiting in group:
            if waiting.delivery_id not in owned:
                if not waiting.marked.done():
                    waiting.marked.set_result(False)
            elif waiting.marked.done():
                withdrawn.append(waiting.delivery_id)  # its sender was cancelled
            else:
                handing.append(waiting)
        return handing

    def _settle(self, handing: list[_Waiting], failed: dict[_Waiting, Exception]) -> None:
        """Tell each sender whether its mail went (the group's committer queues again the ones
        whose connection broke, after this group's COMMIT)."""
        for waiting in handing:
            exc = failed.get(waiting)
            if waiting.marked.done():
                continue  # cancelled after its dot: the mail went, the close sends it
            if exc is not None:
                waiting.marked.set_exception(exc)
            else:
                waiting.marked.set_result(True)

    async def _record_again(self, ids: list[int], now: datetime) -> None:
        """The commit failed after the mails went: record them in a fresh transaction.

        The rolled-back rows are still this process's, leased and sending. Unrecorded, they
        would be sent again once the lease runs out.
        """
        for pause in (*RECORD_RETRY_PAUSES, None):
            try:
                async with self._engine.begin() as connection:
                    await connection.execute(
                        update(Delivery)
                        .where(Delivery.id.in_(ids), Delivery.status == DeliveryStatus.SENDING)
                        .values(
                            status=DeliveryStatus.SENT,
                            sent_at=now,
                            lease_until=None,
                            last_error=None,
                        )
                    )
                return
            except Exception as exc:
                if pause is None:
                    log.error(
                        "mailer: %d mails went out but cannot be recorded (%s); they will be "
                        "sent again when their lease runs out",
                        len(ids),
                        type(exc).__name__,
                    )
                    return
                await asyncio.sleep(pause)

    async def _requeue(self, ids: list[int]) -> None:
        try:
            async with self._engine.begin() as connection:
                await connection.execute(
                    update(Delivery)
                    .where(Delivery.id.in_(ids), Delivery.status == DeliveryStatus.SENT)
                    .values(
                        status=DeliveryStatus.QUEUED,
                        next_attempt_at=self._clock.now(),
                        sent_at=None,
                    )
                )
        except Exception:
            # Rare (cancelled and the database gone at once); the operator must know which.
            log.exception("mailer: deliveries %s were withdrawn but are recorded as sent", ids)


def _write_dots(handing: list[_Waiting]) -> dict[_Waiting, Exception]:
    """Write every final dot; return the ones whose connection was already gone.

    From the first dot to COMMIT a kill repeats mails, so this loop does nothing else.
    """
    failed: dict[_Waiting, Exception] = {}
    for waiting in handing:
        try:
            waiting.release()
        except Exception as exc:  # the connection is gone: the mail was not handed
            failed[waiting] = exc
    return failed


# The mark on PostgreSQL, straight to asyncpg: it runs for every mail, and SQLAlchemy's
# per-execution work was a large part of the mailer's CPU in bench/mailer/fanout.py. asyncpg
# also writes COMMIT before its first await, which the hand-over order above relies on.
# The table and statuses are constants spelled once elsewhere; every value is a parameter.
_POSTGRES_MARK = (
    f"UPDATE {Delivery.__tablename__} SET status = '{DeliveryStatus.SENT}', sent_at = $3, "  # noqa: S608
    f"lease_until = NULL, last_error = NULL WHERE id = ANY($1::bigint[]) "
    f"AND status = '{DeliveryStatus.SENDING}' AND lease_until = $2 RETURNING id"
)


def _mark_statement(dialect: str) -> Update:
    """Build the mark once: it runs for every mail, and building it cost more than running it."""
    if dialect == "postgresql":
        # One array parameter: the same SQL text whatever the group's size.
        ids = Delivery.id == any_(bindparam("ids", type_=ARRAY(Delivery.id.type)))
    else:
        ids = Delivery.id.in_(bindparam("ids", expanding=True))
    return (
        update(Delivery)
        .where(
            ids,
            Delivery.status == DeliveryStatus.SENDING,
            Delivery.lease_until == bindparam("held_until"),
        )
        .values(
            status=DeliveryStatus.SENT, sent_at=bindparam("now"), lease_until=None, last_error=None
        )
        .returning(Delivery.id)
    )
