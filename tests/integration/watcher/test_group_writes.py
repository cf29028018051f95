"""Group commit on a real SQLite file: on the loop or the worker, real rollbacks, nothing twice."""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from services.watcher.adapters import group_writes
from services.watcher.adapters.group_writes import GroupWrites, SqliteFileTransactions


@pytest.fixture
async def transactions(database_url: str) -> AsyncIterator[SqliteFileTransactions]:
    runner = SqliteFileTransactions(make_url(database_url))
    await runner.run(lambda conn: conn.execute(text("CREATE TABLE probe (value TEXT NOT NULL)")))
    yield runner
    await runner.aclose()


def _insert(value: str) -> Callable[[Connection], str]:
    def work(conn: Connection) -> str:
        conn.execute(text("INSERT INTO probe (value) VALUES (:v)"), {"v": value})
        return threading.current_thread().name

    return work


def _insert_then_fail(conn: Connection) -> str:
    conn.execute(text("INSERT INTO probe (value) VALUES ('rolled back')"))
    raise RuntimeError("constraint broken")


async def _values(transactions: SqliteFileTransactions) -> list[str]:
    rows = await transactions.run(
        lambda conn: conn.execute(text("SELECT value FROM probe ORDER BY value")).all()
    )
    return [row.value for row in rows]


async def test_a_failed_batch_keeps_every_good_write_exactly_once(
    transactions: SqliteFileTransactions,
) -> None:
    writes = GroupWrites(transactions)

    results = await asyncio.gather(
        writes.write(_insert("a")),
        writes.write(_insert_then_fail),
        writes.write(_insert("b")),
        return_exceptions=True,
    )

    assert isinstance(results[1], RuntimeError)
    assert await _values(transactions) == ["a", "b"]


async def test_light_writes_run_on_the_event_loop_and_survive_a_reopen(
    transactions: SqliteFileTransactions, database_url: str
) -> None:
    writes = GroupWrites(transactions)

    threads = await asyncio.gather(*(writes.write(_insert(f"v{n}"), light=True) for n in range(5)))
    await writes.aclose()

    assert set(threads) == {threading.current_thread().name}
    reopened = SqliteFileTransactions(make_url(database_url))
    try:
        assert await _values(reopened) == [f"v{n}" for n in range(5)]
    finally:
        await reopened.aclose()


async def test_a_write_not_marked_light_runs_on_the_worker_thread(
    transactions: SqliteFileTransactions,
) -> None:
    writes = GroupWrites(transactions)

    thread = await writes.write(_insert("feed"))

    assert thread.startswith("watcher-sqlite")
    assert await _values(transactions) == ["feed"]


async def test_a_write_lock_held_elsewhere_sends_the_writes_to_the_worker_not_the_loop_waiting(
    transactions: SqliteFileTransactions, database_url: str
) -> None:
    # Another process's connection (the front's, a mailer's) holds SQLite's write lock.
    other = sqlite3.connect(make_url(database_url).database or "", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO probe (value) VALUES ('other')")
    writes = GroupWrites(transactions)
    loop = asyncio.get_running_loop()
    ticks: list[float] = []

    async def tick() -> None:
        while True:
            ticks.append(loop.time())
            await asyncio.sleep(0.01)

    ticking = asyncio.create_task(tick())
    try:
        first = asyncio.ensure_future(writes.write(_insert("a"), light=True))
        await asyncio.sleep(0.5)
        # The loop ran on while the write waited for the lock, on the worker thread: no
        # pause near SQLite's busy wait (the worker's is 30 s).
        assert not first.done() and len(ticks) >= 10
        assert max(b - a for a, b in itertools.pairwise(ticks)) < 0.25
        # A claim meanwhile queues behind it rather than trying the lock on the loop.
        claim = asyncio.ensure_future(transactions.run(_insert("b"), light=True))
        await asyncio.sleep(0.05)
        assert not claim.done()
        other.execute("COMMIT")

        assert (await first).startswith("watcher-sqlite")
        assert (await claim).startswith("watcher-sqlite")
    finally:
        ticking.cancel()
        other.close()
    # Each exactly once; and with the lock free again, the next write runs on the loop.
    assert await _values(transactions) == ["a", "b", "other"]
    assert await writes.write(_insert("c"), light=True) == threading.current_thread().name


async def test_both_connections_enforce_foreign_keys(
    transactions: SqliteFileTransactions,
) -> None:
    # shared.db turns foreign keys on for the async engine; the writer's connections must too.
    def enabled(conn: Connection) -> int:
        return int(conn.execute(text("PRAGMA foreign_keys")).scalar_one())

    assert await transactions.run(enabled, light=True) == 1
    assert await transactions.run(enabled) == 1


async def test_a_lent_worker_thread_runs_the_heavy_writes_and_outlives_the_runner(
    database_url: str,
) -> None:
    worker = ThreadPoolExecutor(1, thread_name_prefix="lent")
    runner = SqliteFileTransactions(make_url(database_url), worker)
    try:
        await runner.run(lambda conn: conn.execute(text("CREATE TABLE probe (value TEXT)")))
        thread = await runner.run(_insert("kept"))
        await runner.aclose()

        assert thread.startswith("lent")
        # The runner closed its connections but left the thread to its owner.
        assert worker.submit(lambda: threading.current_thread().name).result() == thread
        reopened = SqliteFileTransactions(make_url(database_url))
        try:
            assert await _values(reopened) == ["kept"]
        finally:
            await reopened.aclose()
    finally:
        worker.shutdown()


async def test_the_worker_checkpoints_the_log_of_the_loops_commits(
    transactions: SqliteFileTransactions, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(group_writes, "CHECKPOINT_COMMITS", 3)
    database = Path(make_url(database_url).database or "")

    def autocheckpoint(conn: Connection) -> int:
        return int(conn.execute(text("PRAGMA wal_autocheckpoint")).scalar_one())

    # The loop's connection leaves checkpoints to the worker: SQLite's would run on the loop.
    assert await transactions.run(autocheckpoint, light=True) == 0  # commit 1 on the loop
    await transactions.run(_insert("in the log only"), light=True)  # 2
    assert b"in the log only" not in database.read_bytes()

    await transactions.run(_insert("copied into the file"), light=True)  # 3: the worker's turn
    assert transactions._checkpoint is not None
    await transactions._checkpoint

    assert b"copied into the file" in database.read_bytes()


async def test_a_failed_checkpoint_is_told_and_the_writes_go_on(
    transactions: SqliteFileTransactions,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(group_writes, "CHECKPOINT_COMMITS", 1)
    worker = await transactions.run(lambda conn: conn)  # the worker's connection, made

    def failing(statement: str, *args: object) -> None:
        raise OperationalError(statement, {}, sqlite3.OperationalError("disk I/O error"))

    monkeypatch.setattr(worker, "exec_driver_sql", failing)
    await transactions.run(_insert("a"), light=True)
    assert transactions._checkpoint is not None
    await transactions._checkpoint

    assert "SQLite's checkpoint failed (disk I/O error); tried again later" in caplog.text
    monkeypatch.undo()
    assert await transactions.run(_insert("b"), light=True) == threading.current_thread().name
    assert await _values(transactions) == ["a", "b"]
