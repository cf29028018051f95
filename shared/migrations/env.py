"""Alembic environment: runs the migrations over the async engine for SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlalchemy.engine import Connection

from shared.db import CONNECT_TIMEOUT_SECONDS, create_engine, made_on

# Every service's tables, handed in by the composition root (varsel.schema.alembic_config) when
# models are compared with migrations; None while only applying migrations.
target_metadata = context.config.attributes.get("target_metadata")


def _run(connection: Connection) -> None:
    dialect = connection.dialect.name

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
