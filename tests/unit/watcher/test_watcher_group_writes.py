"""Group commit of poll outcomes: shared transactions, and one bad write never sinks the others."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

import pytest
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from services.watcher.adapters.group_writes import (
    AsyncTransactions,
    GroupWrites,
    SqliteFileTransactions,
    transactions_for,
)
from services.watcher.adapters.source_rows import QUIET_UPDATE, quiet_params
from services.watcher.domain.outcome import Health, Outcome, OutcomeKind

T = TypeVar("T")
NOW = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)


class _Log:
    """Stands in for a connection: statements are kept only if their transaction commits."""

    def __init__(self) -> None:
        self.pending: list[Any] = []

    def execute(self, statement: object, params: object) -> None:
        self.pending.append((statement, params))


class FakeTransactions:
    """Runs work against a log that commits or rolls back like a transaction."""

    def __init__(self) -> None:
        self.committed: list[Any] = []
        self.transactions = 0
        self.closed = False
        self.gate: asyncio.Event | None = None
        self.light: list[bool] = []  # each transaction's

    async def run(self, work: Callable[[Connection], T], *, light: bool = False) -> T:
        self.transactions += 1
        self.light.append(light)
        if self.gate is not None:
            await self.gate.wait()
        log = _Log()
        result = work(cast(Connection, log))  # an error here rolls back: the log is dropped
        self.committed.extend(log.pending)
        return result

    async def aclose(self) -> None:
        self.closed = True


def _adds(value: str) -> Callable[[Connection], str]:
    def work(conn: Connection) -> str:
        conn.execute(cast(Any, "add"), value)
        return value

    return work


def _fails(conn: Connection) -> str:
    conn.execute(cast(Any, "add"), "never committed")
    raise ValueError("bad write")


def _quiet(source_id: int) -> Outcome:
    return Outcome(
        kind=OutcomeKind.NOT_MODIFIED,
        source_id=source_id,
        checked_at=NOW,
        next_check_at=NOW,
        status=Health.OK,
        consecutive_failures=0,
        last_error=None,
        etag=None,
        last_modified=None,
        body_hash=None,
    )


async def test_writes_that_arrive_together_share_one_transaction() -> None:
    transactions = FakeTransactions()
    writes = GroupWrites(transactions)

    results = await asyncio.gather(
        writes.write(_adds("a")), writes.quiet(_quiet(1)), writes.write(_adds("b"))
    )

    assert results == ["a", None, "b"]
    assert transactions.transactions == 1
    # The quiet outcomes are one executemany; the other writes run as given.
    assert transactions.committed == [
        (QUIET_UPDATE, [quiet_params(_quiet(1))]),
        ("add", "a"),
        ("add", "b"),
    ]


async def test_a_failing_write_fails_alone_and_the_others_commit_once() -> None:
    transactions = FakeTransactions()
    writes = GroupWrites(transactions)

    results = await asyncio.gather(
        writes.write(_adds("a")),
        writes.write(_fails),
        writes.quiet(_quiet(7)),
        writes.write(_adds("b")),
        return_exceptions=True,
    )

    assert results[0] == "a" and results[2] is None and results[3] == "b"
    assert isinstance(results[1], ValueError)
    # The shared transaction rolled back; each write was then retried in its own.
    assert transactions.transactions == 1 + 4
    assert transactions.committed == [
        ("add", "a"),
        (QUIET_UPDATE, [quiet_params(_quiet(7))]),
        ("add", "b"),
    ]


async def test_a_lone_failing_write_raises_its_error_without_a_retry() -> None:
    transactions = FakeTransactions()
    writes = GroupWrites(transactions)

    with pytest.raises(ValueError, match="bad write"):
        await writes.write(_fails)

    assert transactions.transactions == 1
    assert transactions.committed == []


async def test_an_outcome_that_is_not_quiet_is_refused_by_the_batched_update() -> None:
    transactions = FakeTransactions()
    writes = GroupWrites(transactions)
    recovered = _quiet(3)
    recovered.status = Health.FAILING  # the row's status must change: the batch cannot write it

    with pytest.raises(ValueError, match="not quiet"):
        await writes.quiet(recovered)

    assert transactions.transactions == 0


async def test_writes_arriving_during_a_batch_form_the_next_batch_heavy_if_one_is() -> None:
    transactions = FakeTransactions()
    transactions.gate = asyncio.Event()
    writes = GroupWrites(transactions)

    first = asyncio.ensure_future(writes.write(_adds("a"), light=True))
    await asyncio.sleep(0.01)  # the first batch is under way, held at the gate
    later = [asyncio.ensure_future(writes.write(_adds("b")))]  # not light, as a feed's
    later += [asyncio.ensure_future(writes.write(_adds("c"), light=True))]
    await asyncio.sleep(0)
    transactions.gate.set()

    assert await asyncio.gather(first, *later) == ["a", "b", "c"]
    assert await writes.write(_adds("d"), light=True) == "d"
    # The batch holding a write that may not hold the event loop runs as such; the next is
    # light again.
    assert transactions.light == [True, False, True]


async def test_a_cancelled_waiter_leaves_the_other_writes_intact() -> None:
    transactions = FakeTransactions()
    transactions.gate = asyncio.Event()
    writes = GroupWrites(transactions)

    gone = asyncio.ensure_future(writes.write(_adds("a")))
    kept = asyncio.ensure_future(writes.write(_adds("b")))
    await asyncio.sleep(0.01)
    gone.cancel()
    transactions.gate.set()

    assert await kept == "b"
    assert gone.cancelled()
    assert ("add", "b") in transactions.committed


async def test_waiters_are_released_when_the_writer_itself_is_cancelled() -> None:
    transactions = FakeTransactions()
    transactions.gate = asyncio.Event()  # never opened
    writes = GroupWrites(transactions)

    waiter = asyncio.ensure_future(writes.write(_adds("a")))
    await asyncio.sleep(0.01)
    assert writes._writer is not None
    writes._writer.cancel()

    with pytest.raises(asyncio.CancelledError):
        await waiter


async def test_aclose_waits_for_the_batch_under_way_and_closes_the_runner() -> None:
    transactions = FakeTransactions()
    transactions.gate = asyncio.Event()
    writes = GroupWrites(transactions)

    pending = asyncio.ensure_future(writes.write(_adds("a")))
    await asyncio.sleep(0.01)
    closing = asyncio.ensure_future(writes.aclose())
    await asyncio.sleep(0.01)
    assert not closing.done()
    transactions.gate.set()
    await closing

    assert await pending == "a"
    assert transactions.closed


async def test_a_sqlite_file_gets_its_own_runner_and_memory_the_async_engine() -> None:
    on_file = create_async_engine("sqlite+aiosqlite:////tmp/varsel-never-opened.db")
    in_memory = create_async_engine("sqlite+aiosqlite:///:memory:")
    elsewhere = create_async_engine("postgresql+asyncpg://varsel@127.0.0.1/never-connected")
    try:
        assert isinstance(transactions_for(on_file), SqliteFileTransactions)
        assert isinstance(transactions_for(in_memory), AsyncTransactions)
        assert isinstance(transactions_for(elsewhere), AsyncTransactions)
    finally:
        for engine in (on_file, in_memory, elsewhere):
            await engine.dispose()
