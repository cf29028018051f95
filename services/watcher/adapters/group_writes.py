"""Group commit: the writes of polls that finish together share one transaction.

A poll round writes one outcome per source, and most rounds end many polls at nearly the same
moment. Each poll hands its write over and waits until it is committed, so a poll still ends
with its outcome stored; while one batch is being written, the next gathers (no timer).

On a SQLite file (embedded mode) a batch runs on one worker thread over a plain ``sqlite3``
connection: aiosqlite hands every cursor call to its own thread and back (four hand-offs per
statement, about seventeen per changed page), which cost more CPU than the statements
themselves. One thread also keeps the watcher's writes from queueing on SQLite's file lock
against each other; the caller may lend it a thread it uses for other work too (the watcher
parses on it). Elsewhere (PostgreSQL) a batch runs on the async engine in one greenlet.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, NamedTuple, Protocol, TypeVar

from sqlalchemy import Connection, Engine, event
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine

from services.watcher.adapters.driver_statements import DriverStatement
from services.watcher.adapters.source_rows import QUIET_UPDATE, quiet_params
from services.watcher.domain.outcome import Outcome
from shared.db import SQLITE_BUSY_TIMEOUT, sqlite_pragmas

T = TypeVar("T")

Work = Callable[[Connection], Any]


class Transactions(Protocol):
    """Runs a synchronous function in one database transaction."""

    async def run(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in a transaction that commits on return and rolls back on error."""

    async def aclose(self) -> None:
        """Release what the runner holds."""


class AsyncTransactions:
    """Transactions on the async engine, the work run in one greenlet (no await per call)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def run(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in one transaction."""
        async with self._engine.begin() as conn:
            return await conn.run_sync(work)

    async def aclose(self) -> None:
        """Nothing to release: the engine belongs to the caller."""


class ThreadTransactions:
    """Transactions on a SQLite file through ``sqlite3``, all run on one worker thread."""

    def __init__(self, url: URL, worker: ThreadPoolExecutor | None = None) -> None:
        """Run on ``worker`` (one thread, left running at close) or on a thread of its own."""
        self._url = url.set(drivername="sqlite+pysqlite")
        self._engine: Engine | None = None
        self._connection: Connection | None = None
        self._lent = worker
        self._executor: ThreadPoolExecutor | None = worker

    def _in_transaction(self, work: Callable[[Connection], T]) -> T:
        if self._connection is None:  # made on the worker thread, where it lives
            # The same connection settings as shared.db gives the async engine's connections,
            # but sqlite3 begins no transaction of its own (isolation_level None): each begins
            # below, with the write lock.
            self._engine = create_sync_engine(
                self._url,
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT, "isolation_level": None},
            )
            event.listen(self._engine, "connect", sqlite_pragmas)
            # Kept between transactions: taking it from the pool and handing it back (with
            # the pool's rollback) cost more than the BEGIN and COMMIT of a batch. One that
            # an error invalidates is replaced by SQLAlchemy on its next use.
            self._connection = self._engine.connect()
        with self._connection.begin():
            # sqlite3's legacy transaction control (its default until Python 3.16) begins a
            # transaction only at the first INSERT, UPDATE or DELETE: a poll's read of its row
            # before that ran outside it, unlocked, and a publisher's push could commit between
            # the read and the poll's write (outcomes.store_outcome). BEGIN IMMEDIATE takes the
            # write lock first, as PostgreSQL's FOR UPDATE holds the row: what a transaction
            # reads stays true until it commits. It costs no statement more (sqlite3 sent its
            # own BEGIN before the first write), and no lock: every transaction here (a claim,
            # the quiet batch, a stored outcome) took the write lock anyway, at its first write.
            self._connection.exec_driver_sql("BEGIN IMMEDIATE")
            return work(self._connection)

    def _close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    async def run(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in one transaction on the worker thread."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="watcher-sqlite")
        return await asyncio.get_running_loop().run_in_executor(
            self._executor, self._in_transaction, work
        )

    async def aclose(self) -> None:
        """Close the connection (on its thread) and stop the thread if it is this runner's."""
        if self._executor is None:
            return
        executor, self._executor = self._executor, None
        await asyncio.get_running_loop().run_in_executor(executor, self._close)
        if executor is not self._lent:
            executor.shutdown(wait=False)


def transactions_for(engine: AsyncEngine, worker: ThreadPoolExecutor | None = None) -> Transactions:
    """Pick the transaction runner for an engine (see the module docstring)."""
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database not in (None, "", ":memory:"):
        return ThreadTransactions(engine.url, worker)
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

    async def write(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in a transaction shared with other writes; return its result once committed.

        If ``work`` raises, its error is raised here and no other write is lost with it.
        """
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
            try:
                await self._write(batch)
            finally:
                # Cancelled mid-batch (shutdown): no waiter may hang on a write never finished.
                for _, done in batch:
                    if not done.done():
                        done.cancel()

    async def _write(self, batch: list[tuple[_Item, asyncio.Future[Any]]]) -> None:
        items = [item for item, _ in batch]
        try:
            results = await self._transactions.run(lambda conn: _write_batch(conn, items))
        except Exception as exc:
            if len(batch) == 1:
                _settle(batch[0][1], error=exc)
                return
            # One write took the whole batch down: each alone now, so only the culprit fails.
            for item, done in batch:
                try:
                    result = await self._transactions.run(partial(_write_one, item=item))
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
