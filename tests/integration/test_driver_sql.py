"""Statements on the pooled connection's own driver: bound as SQLAlchemy binds, each its own
transaction, and every way a statement can end leaves the pool with connections that can be lent
again."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import asyncpg
import pytest
from sqlalchemy import (
    JSON,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Uuid,
    bindparam,
    insert,
    literal,
    select,
)
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db import UTCDateTime, create_engine
from shared.driver_sql import DriverStatement, driver_connection
from tests.support.services import POSTGRES_ADMIN_URL, fresh_postgres_database

pytestmark = pytest.mark.postgres

ROWS = Table(
    "driver_rows",
    MetaData(),
    Column("id", Uuid, primary_key=True),
    Column("email", String(320), unique=True),
    Column("topics", JSON),
    Column("at", UTCDateTime()),
    Column("attempts", Integer),
)


def _insert() -> Any:
    """Return an insert of one row whose attempts are a literal of the statement."""
    return insert(ROWS).from_select(
        ["id", "email", "topics", "at", "attempts"],
        select(
            bindparam("id", type_=Uuid),
            bindparam("email", type_=String),
            bindparam("topics", type_=JSON),
            bindparam("at", type_=UTCDateTime()),
            literal(1),
        ),
    )


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture
async def engine(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    made = create_engine(postgres_url)
    async with made.begin() as connection:
        await connection.run_sync(ROWS.metadata.create_all)
    try:
        yield made
    finally:
        await made.dispose()


def _row(email: str = "kari@example.no") -> dict[str, Any]:
    # An aware time in another zone: stored as the same instant, read back in UTC.
    at = datetime(2026, 12, 5, 9, 30, tzinfo=timezone(timedelta(hours=1)))
    return {"id": uuid.uuid4(), "email": email, "topics": ["b", "a"], "at": at}


async def _insert_row(engine: AsyncEngine, values: dict[str, Any]) -> None:
    statement = DriverStatement(_insert(), engine.dialect)
    async with driver_connection(engine) as connection:
        await connection.execute(statement.sql, *statement.arguments(values))


async def _stored(engine: AsyncEngine) -> list[Any]:
    async with engine.connect() as connection:
        return list((await connection.execute(select(ROWS).order_by(ROWS.c.email))).all())


async def test_a_statement_stores_its_values_as_sqlalchemy_would(engine: AsyncEngine) -> None:
    values = _row()
    await _insert_row(engine, values)
    by_sqlalchemy = {**_row("ola@example.no"), "attempts": 1}
    async with engine.begin() as connection:
        await connection.execute(insert(ROWS), by_sqlalchemy)
    mine, theirs = await _stored(engine)
    assert mine._asdict() == {**values, "at": values["at"].astimezone(UTC), "attempts": 1}
    assert theirs._asdict() == {**by_sqlalchemy, "at": by_sqlalchemy["at"].astimezone(UTC)}


async def test_a_statement_refused_keeps_nothing_and_the_connection_is_lent_again(
    engine: AsyncEngine,
) -> None:
    statement = DriverStatement(_insert(), engine.dialect)
    # Each statement is a transaction of its own: one that fails midway keeps nothing.
    refused = f"WITH added AS ({statement.sql} RETURNING id) SELECT 1 / 0 FROM added"
    async with driver_connection(engine) as connection:
        pid = connection.get_server_pid()
        with pytest.raises(asyncpg.DivisionByZeroError):
            await connection.fetch(refused, *statement.arguments(_row()))
        assert not connection.is_in_transaction()
    assert await _stored(engine) == []
    async with driver_connection(engine) as connection:
        assert connection.get_server_pid() == pid
    assert engine.sync_engine.pool.checkedout() == 0


async def test_a_transaction_left_open_is_not_lent_again(engine: AsyncEngine) -> None:
    async with driver_connection(engine) as connection:
        pid = connection.get_server_pid()
        await connection.execute("BEGIN")
    async with driver_connection(engine) as connection:
        assert connection.get_server_pid() != pid
        assert not connection.is_in_transaction()


async def test_a_constraint_violated_is_an_integrity_error_without_the_values(
    engine: AsyncEngine,
) -> None:
    await _insert_row(engine, _row())
    with pytest.raises(IntegrityError) as raised:
        await _insert_row(engine, _row())
    assert "kari@example.no" not in str(raised.value)
    assert not raised.value.connection_invalidated
    await _insert_row(engine, _row("ola@example.no"))
    assert len(await _stored(engine)) == 2


async def _in_transaction_elsewhere(engine: AsyncEngine) -> int:
    database = engine.url.database
    admin = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        count: int = await admin.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1"
            " AND state IN ('active', 'idle in transaction', 'idle in transaction (aborted)')",
            database,
        )
        return count
    finally:
        await admin.close()


async def test_a_request_cancelled_mid_statement_leaves_no_connection_busy(
    engine: AsyncEngine,
) -> None:
    statement = DriverStatement(_insert(), engine.dialect)

    async def slow() -> None:
        async with driver_connection(engine) as connection:
            await connection.execute(statement.sql, *statement.arguments(_row()))
            await connection.execute("SELECT pg_sleep(10)")

    task = asyncio.create_task(slow())
    await asyncio.sleep(0.5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert engine.sync_engine.pool.checkedout() == 0
    await _insert_row(engine, _row("ola@example.no"))
    # The statement before the cancelled one was a transaction of its own, and no connection
    # of the pool is still busy or in a transaction.
    assert [row.email for row in await _stored(engine)] == ["kari@example.no", "ola@example.no"]
    for _ in range(50):
        if await _in_transaction_elsewhere(engine) == 0:
            break
        await asyncio.sleep(0.1)
    assert await _in_transaction_elsewhere(engine) == 0


async def test_after_the_server_dropped_its_connections_one_try_fails_and_the_next_works(
    engine: AsyncEngine,
) -> None:
    # Three connections in the pool, all dropped by the server (a restart, a failover).
    async def hold() -> None:
        async with driver_connection(engine) as connection:
            await connection.execute("SELECT pg_sleep(0.2)")

    await asyncio.gather(hold(), hold(), hold())
    admin = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = $1 AND pid <> pg_backend_pid()",
            engine.url.database,
        )
    finally:
        await admin.close()
    with pytest.raises(DBAPIError) as raised:
        await _insert_row(engine, _row())
    assert raised.value.connection_invalidated
    # The pool replaces every connection it had: the next one is new, whichever it lends.
    await _insert_row(engine, _row())
    assert len(await _stored(engine)) == 1
