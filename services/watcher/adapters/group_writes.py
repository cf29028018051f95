"""Group commit: the writes of polls that finish together share one transaction.

A poll round writes one outcome per source, and most rounds end many polls at nearly the same
moment. Each poll hands its write over and waits until it is committed, so a poll still ends
with its outcome stored; until the writer takes a batch, and while it writes one off the event
loop, the next gathers (no timer).

On a SQLite file (embedded mode) a transaction runs over a plain ``sqlite3`` connection:
aiosqlite hands every cursor call to its own thread and back (four hand-offs per statement,
about seventeen per changed page), which cost more CPU than the statements themselves. A light
one (a claim, a batch of quiet outcomes, a page's outcome: about a millisecond, as long as
parsing a small page) runs right on the event loop when SQLite's write lock is free at once:
run on a worker thread beside the loop, the two threads slowed each other so much that a poll
round took a seventh more CPU than with both on the loop (ADR 0030, bench/watcher). The
loop never waits for the lock: when another connection holds it, or the work is heavier (a
feed's or a document's outcome), the transaction goes to one worker thread, which waits for the
lock as every connection of varsel does. The caller may lend that thread (the watcher parses
feeds and documents on it). The worker also checkpoints the write-ahead log for the loop's
commits (SQLite's checkpoint after a commit copies the log into the file and syncs it: after a
long read that held checkpoints off, much of it). Elsewhere (PostgreSQL) a batch runs on the
async engine in one greenlet.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, NamedTuple, Protocol, TypeVar

from sqlalchemy import Connection, Engine, event
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from services.watcher.adapters.driver_statements import DriverStatement
from services.watcher.adapters.source_rows import QUIET_UPDATE, quiet_params
from services.watcher.domain.outcome import Outcome
from shared.db import SQLITE_BUSY_TIMEOUT, sqlite_pragmas

T = TypeVar("T")

log = logging.getLogger(__name__)

Work = Callable[[Connection], Any]


class Transactions(Protocol):
    """Runs a synchronous function in one database transaction."""

    async def run(self, work: Callable[[Connection], T], *, light: bool = False) -> T:
        """Run ``work`` in a transaction that commits on return and rolls back on error.

        ``light``: work as short as parsing a small page (a claim, a quiet batch, a page's
        outcome), which may hold the event loop; else (a feed's or a document's) it may not.
        """

    async def aclose(self) -> None:
        """Release what the runner holds."""


class AsyncTransactions:
    """Transactions on the async engine, the work run in one greenlet (no await per call)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def run(self, work: Callable[[Connection], T], *, light: bool = False) -> T:
        """Run ``work`` in one transaction (awaiting the database: light or not alike)."""
        async with self._engine.begin() as conn:
            return await conn.run_sync(work)

    async def aclose(self) -> None:
        """Nothing to release: the engine belongs to the caller."""


class SqliteFileTransactions:
    """Transactions on a SQLite file through ``sqlite3``: on the event loop when they are
    light and the write lock is free at once, else on one worker thread (the module docstring)."""

    def __init__(self, url: URL, worker: ThreadPoolExecutor | None = None) -> None:
        """Fall back to ``worker`` (one thread, left running at close) or to a thread of its own."""
        self._url = url.set(drivername="sqlite+pysqlite")
        # One connection for each thread, each made on and kept for its thread: taking one
        # from a pool and handing it back (with the pool's rollback) cost more than the BEGIN
        # and COMMIT of a batch. One that an error invalidates is replaced by SQLAlchemy on
        # its next use.
        self._here: tuple[Engine, Connection] | None = None  # the event loop's
        self._there: tuple[Engine, Connection] | None = None  # the worker's
        self._lent = worker
        self._executor: ThreadPoolExecutor | None = worker
        self._waiting = 0  # transactions handed to the worker and not yet done
        self._commits_here = 0  # on the loop since the worker's last checkpoint
        self._checkpoint: asyncio.Future[None] | None = None

    def _connect(self, busy_timeout: float) -> tuple[Engine, Connection]:
        # The same connection settings as shared.db gives the async engine's connections, but
        # sqlite3 begins no transaction of its own (isolation_level None): each begins in
        # _transaction, with the write lock.
        engine = create_sync_engine(
            self._url, connect_args={"timeout": busy_timeout, "isolation_level": None}
        )
        event.listen(engine, "connect", sqlite_pragmas)
        return engine, engine.connect()

    @staticmethod
    def _transaction(connection: Connection, work: Callable[[Connection], T]) -> T:
        with connection.begin():
            # sqlite3's legacy transaction control (its default until Python 3.16) begins a
            # transaction only at the first INSERT, UPDATE or DELETE: a poll's read of its row
            # before that ran outside it, unlocked, and a publisher's push could commit between
            # the read and the poll's write (outcomes.store_outcome). BEGIN IMMEDIATE takes the
            # write lock first, as PostgreSQL's FOR UPDATE holds the row: what a transaction
            # reads stays true until it commits. It costs no statement more (sqlite3 sent its
            # own BEGIN before the first write), and no lock: every transaction here (a claim,
            # the quiet batch, a stored outcome) took the write lock anyway, at its first write.
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            return work(connection)

    def _on_loop(self, work: Callable[[Connection], T]) -> T | _Busy:
        try:
            if self._here is None:
                # No wait for the lock here: the event loop must not stop while another
                # connection writes. Busy, the transaction goes to the worker, which waits.
                engine, connection = self._connect(busy_timeout=0)
                # Nor for SQLite's checkpoint after a commit, which copies into the file all
                # that every connection logged since the last one (much, after a long read held
                # it off) and syncs it: the worker checkpoints instead (_count_commit).
                connection.exec_driver_sql("PRAGMA wal_autocheckpoint=0")
                connection.commit()  # SQLAlchemy began one around the PRAGMA
                self._here = engine, connection
            return self._transaction(self._here[1], work)
        except OperationalError as exc:
            # Only at BEGIN IMMEDIATE in practice: once it holds the write lock, a transaction
            # on a WAL file waits for nothing more. Rolled back by then, so run again whole.
            if _is_busy(exc):
                return _BUSY
            raise

    def _worker_connection(self) -> Connection:
        if self._there is None:
            self._there = self._connect(busy_timeout=SQLITE_BUSY_TIMEOUT)
        return self._there[1]

    def _on_worker(self, work: Callable[[Connection], T]) -> T:
        return self._transaction(self._worker_connection(), work)

    def _checkpoint_on_worker(self) -> None:
        try:
            # PASSIVE: copies what no reader still needs, and waits for nobody.
            connection = self._worker_connection()
            connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
            connection.commit()  # SQLAlchemy began one around the PRAGMA
        except DBAPIError as exc:  # the next one copies it: the log is whole meanwhile
            log.warning("watcher: SQLite's checkpoint failed (%s); tried again later", exc.orig)

    def _count_commit(self) -> None:
        """After every CHECKPOINT_COMMITS commits on the loop, have the worker checkpoint (as
        SQLite's own would after about as many pages of log)."""
        self._commits_here += 1
        if self._commits_here < CHECKPOINT_COMMITS:
            return
        if self._checkpoint is not None and not self._checkpoint.done():
            return
        self._commits_here = 0
        self._checkpoint = asyncio.get_running_loop().run_in_executor(
            self._ensure_executor(), self._checkpoint_on_worker
        )

    def _ensure_executor(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="watcher-sqlite")
        return self._executor

    async def run(self, work: Callable[[Connection], T], *, light: bool = False) -> T:
        """Run ``work`` in one transaction: on the event loop if ``light`` and the write lock is
        free now, and none of this runner's transactions waits on the worker (so that one
        waiting there is not overtaken, unless its caller stopped waiting); else on the worker
        thread."""
        if light and not self._waiting:
            done = self._on_loop(work)
            if not isinstance(done, _Busy):
                self._count_commit()
                return done
        executor = self._ensure_executor()
        self._waiting += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(executor, self._on_worker, work)
        finally:
            self._waiting -= 1

    def _close_there(self) -> None:
        # On the worker, after what was queued there before: a transaction still to run
        # opens the connection this then closes.
        there, self._there = self._there, None
        _close(there)

    async def aclose(self) -> None:
        """Close the connections (each on its thread); stop the thread if it is this runner's."""
        here, self._here = self._here, None
        _close(here)
        if self._executor is None:
            return
        executor, self._executor = self._executor, None
        await asyncio.get_running_loop().run_in_executor(executor, self._close_there)
        if executor is not self._lent:
            executor.shutdown(wait=False)


# Commits on the event loop's connection between two checkpoints by the worker, as often as
# SQLite's own would come: it checkpoints after 1,000 pages of log by default, and a poll
# round's commit logs about 18 (bench/watcher: 1,254 pages for 71 commits).
CHECKPOINT_COMMITS = 50


def _close(held: tuple[Engine, Connection] | None) -> None:
    if held is not None:
        engine, connection = held
        connection.close()
        engine.dispose()


class _Busy:
    """Another connection held SQLite's write lock: the transaction did not run."""


_BUSY = _Busy()


def _is_busy(exc: OperationalError) -> bool:
    code = getattr(exc.orig, "sqlite_errorcode", None)  # with its extended bits
    return code is not None and code & 0xFF == sqlite3.SQLITE_BUSY


def transactions_for(engine: AsyncEngine, worker: ThreadPoolExecutor | None = None) -> Transactions:
    """Pick the transaction runner for an engine (see the module docstring)."""
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database not in (None, "", ":memory:"):
        return SqliteFileTransactions(engine.url, worker)
    # An in-memory SQLite database exists only behind the async engine's own connection.
    return AsyncTransactions(engine)


class _Quiet(NamedTuple):
    outcome: Outcome  # a quiet one (Outcome.quiet)
    lease: str | None  # the claim it must still hold to be written; None: no claim


_Item = _Quiet | Work
_QUIET = DriverStatement(QUIET_UPDATE)


def _write_batch(conn: Connection, items: list[_Item]) -> list[Any]:
    # Quiet outcomes are one executemany; each other write runs as given.
    _QUIET.executemany(conn, [quiet_params(*item) for item in items if isinstance(item, _Quiet)])
    return [None if isinstance(item, _Quiet) else item(conn) for item in items]


def _write_one(conn: Connection, item: _Item) -> Any:
    return _write_batch(conn, [item])[0]


class GroupWrites:
    """Writes of concurrent polls, committed together in batches (see the module docstring)."""

    def __init__(self, transactions: Transactions) -> None:
        self._transactions = transactions
        self._pending: list[tuple[_Item, asyncio.Future[Any]]] = []
        self._heavy = False  # whether a pending write may not hold the event loop
        self._writer: asyncio.Task[None] | None = None
        self._closing: asyncio.Future[None] | None = None

    async def quiet(self, outcome: Outcome, lease: str | None = None) -> None:
        """Store a poll that learnt nothing new; return when it is committed.

        The outcome must be ``quiet``: only its schedule and validators are written, by one
        batched UPDATE that does not read the row (see source_rows.QUIET_UPDATE), and with a
        ``lease`` only while the source is still leased to it.
        """
        if not outcome.quiet:
            raise ValueError(f"a {outcome.kind} outcome is not quiet")
        await self._submit(_Quiet(outcome, lease))

    async def write(self, work: Callable[[Connection], T], *, light: bool = False) -> T:
        """Run ``work`` in a transaction shared with other writes; return its result once committed.

        If ``work`` raises, its error is raised here and no other write is lost with it. A
        batch with a write that is not ``light`` (Transactions.run) runs as one that is not.
        """
        if not light:
            self._heavy = True
        result: T = await self._submit(work)
        return result

    async def _submit(self, item: _Item) -> Any:
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending.append((item, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain(), name="watcher-writes")
        return await done

    async def _drain(self) -> None:
        # Let polls finishing in the same loop iteration join the first batch.
        await asyncio.sleep(0)
        while self._pending:
            batch, self._pending = self._pending, []
            light, self._heavy = not self._heavy, False
            try:
                await self._write(batch, light)
            finally:
                # Cancelled mid-batch (shutdown): no waiter may hang on a write never finished.
                for _, done in batch:
                    if not done.done():
                        done.cancel()

    async def _write(self, batch: list[tuple[_Item, asyncio.Future[Any]]], light: bool) -> None:
        items = [item for item, _ in batch]
        try:
            results = await self._transactions.run(
                lambda conn: _write_batch(conn, items), light=light
            )
        except Exception as exc:
            if len(batch) == 1:
                _settle(batch[0][1], error=exc)
                return
            # One write took the whole batch down: each alone now, so only the culprit fails.
            for item, done in batch:
                try:
                    result = await self._transactions.run(
                        partial(_write_one, item=item), light=light
                    )
                except Exception as alone:
                    _settle(done, error=alone)
                else:
                    _settle(done, result=result)
            return
        for (_, done), result in zip(batch, results, strict=True):
            _settle(done, result=result)

    def running(self) -> set[asyncio.Task[None]]:
        """Return the task writing batches, if one is under way."""
        if self._writer is None or self._writer.done():
            return set()
        return {self._writer}

    async def aclose(self, within: float | None = None) -> None:
        """Wait for the writes under way (``within`` s at most; None: no bound), then release
        the transaction runner.

        A write still waiting then (on a database that stopped answering) is left to the
        caller, who drops its connection.
        """
        if running := self.running():
            await asyncio.wait(running, timeout=within)
        # On SQLite the close queues on the worker thread behind a write still running there,
        # which no cancelling stops: not waited for past the bound either.
        self._closing = asyncio.ensure_future(self._transactions.aclose())  # held till it ends
        await asyncio.wait({self._closing}, timeout=within)


def _settle(
    done: asyncio.Future[Any], *, result: Any = None, error: Exception | None = None
) -> None:
    if done.done():  # its poll was cancelled; the write stands
        return
    if error is not None:
        done.set_exception(error)
    else:
        done.set_result(result)
