"""Alembic environment: runs the migrations over the async engine for SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlalchemy.engine import Connection

from shared.db import CONNECT_TIMEOUT_SECONDS, create_engine, made_on
from shared.schema import MIGRATION_LOCK_KEY, MIGRATION_WAIT_SECONDS

# Every service's tables, handed in by the composition root (varsel.schema.alembic_config) when
# models are compared with migrations; None while only applying migrations.
target_metadata = context.config.attributes.get("target_metadata")


def _hold_the_migration_lock(connection: Connection) -> None:
    """Take the database's migration lock, for as long as the connection lives.

    Replicas started together with `varsel run --migrate` (and a `varsel migrate` beside them)
    each migrated at once: on a new database all but one failed on a table another had just
    made, and on SQLite, whose DDL committed statement by statement, one could stop halfway
    through a migration. Holding the lock, the next waits for the first to finish and then
    finds nothing to do.

    On PostgreSQL it is a session's advisory lock, not a transaction's: a migration may commit
    midway (an index made or dropped CONCURRENTLY), and the lock must outlive that. It ends
    with the connection, so also with a process killed mid-run. On SQLite it is the write lock,
    taken at BEGIN IMMEDIATE, which also makes the run one transaction that the caller
    commits: sqlite3 began none before DDL. So no migration may use Alembic's
    ``autocommit_block()`` on SQLite (0023 uses it on PostgreSQL only): it would fail there.
    """
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})")
        connection.commit()  # the lock stays; Alembic begins its own transaction, as before
    elif connection.dialect.name == "sqlite":
        # Waited for as long as a migration may take (0027 rewrites the delivery ledger), not
        # the 30 s a service's write waits: the next run would fail on «database is locked».
        connection.exec_driver_sql(f"PRAGMA busy_timeout = {MIGRATION_WAIT_SECONDS * 1000}")
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _run(connection: Connection) -> None:
    dialect = connection.dialect.name
    _hold_the_migration_lock(connection)

    def include(item: Any, name: str | None, kind: str, reflected: bool, other: Any) -> bool:
        # An index made on one kind of database alone is looked for there alone.
        return reflected or made_on(item, dialect)

    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=dialect == "sqlite",
        compare_type=True,
        include_object=include,
    )
    with context.begin_transaction():
        context.run_migrations()
    if dialect == "postgresql":  # ended with the connection too, which may go back to a pool
        connection.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})")


async def _run_async(url: str, connect_timeout: float) -> None:
    engine = create_engine(url, connect_timeout=connect_timeout)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    """Apply migrations to the database named in the Alembic config."""
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL given to the migrations")
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
    else:
        timeout = context.config.attributes.get("connect_timeout", CONNECT_TIMEOUT_SECONDS)
        asyncio.run(_run_async(url, timeout))


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported; run `varsel migrate`")
run_migrations_online()
