"""Group commit on a real SQLite file: one writer thread, real rollbacks, nothing stored twice."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url

from services.watcher.adapters.group_writes import GroupWrites, ThreadTransactions


@pytest.fixture
async def transactions(database_url: str) -> AsyncIterator[ThreadTransactions]:
    runner = ThreadTransactions(make_url(database_url))
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


async def _values(transactions: ThreadTransactions) -> list[str]:
    rows = await transactions.run(
        lambda conn: conn.execute(text("SELECT value FROM probe ORDER BY value")).all()
    )
    return [row.value for row in rows]


async def test_a_failed_batch_keeps_every_good_write_exactly_once(
    transactions: ThreadTransactions,
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


async def test_all_writes_run_on_one_thread_and_survive_a_reopen(
    transactions: ThreadTransactions, database_url: str
) -> None:
    writes = GroupWrites(transactions)

    threads = await asyncio.gather(*(writes.write(_insert(f"v{n}")) for n in range(5)))
    await writes.aclose()

    assert len(set(threads)) == 1 and threads[0].startswith("watcher-sqlite")
    assert threads[0] != threading.current_thread().name
    reopened = ThreadTransactions(make_url(database_url))
    try:
        assert await _values(reopened) == [f"v{n}" for n in range(5)]
    finally:
        await reopened.aclose()


async def test_the_writer_connection_enforces_foreign_keys(
    transactions: ThreadTransactions,
) -> None:
    # shared.db turns foreign keys on for the async engine; the writer's connection must too.
    enabled = await transactions.run(
        lambda conn: conn.execute(text("PRAGMA foreign_keys")).scalar_one()
    )
    assert enabled == 1


async def test_a_lent_worker_thread_runs_the_writes_and_outlives_the_runner(
    database_url: str,
) -> None:
    worker = ThreadPoolExecutor(1, thread_name_prefix="lent")
    runner = ThreadTransactions(make_url(database_url), worker)
    try:
        await runner.run(lambda conn: conn.execute(text("CREATE TABLE probe (value TEXT)")))
        thread = await runner.run(_insert("kept"))
        await runner.aclose()

        assert thread.startswith("lent")
        # The runner closed its connection but left the thread to its owner.
        assert worker.submit(lambda: threading.current_thread().name).result() == thread
        reopened = ThreadTransactions(make_url(database_url))
        try:
            assert await _values(reopened) == ["kept"]
        finally:
            await reopened.aclose()
    finally:
        worker.shutdown()
