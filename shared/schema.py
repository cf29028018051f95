"""Apply the migrations and tell which one a database is at.

Which tables exist is not known here: ``shared`` imports no service. The composition root
gathers the tables each service's bootstrap registers (``varsel.schema``) and hands their
metadata in when the migrations are compared with the models.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.db import CONNECT_TIMEOUT_SECONDS, create_engine

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# The key of the PostgreSQL advisory lock every migration run holds (migrations/env.py):
# «vars» in ASCII.
MIGRATION_LOCK_KEY = 0x76617273
# How long a migration run on SQLite waits for the file's write lock (the run before it).
MIGRATION_WAIT_SECONDS = 900


def alembic_config(url: str, target_metadata: MetaData | None = None) -> Config:
    """Build the Alembic configuration for a database URL, without an ini file.

    ``target_metadata`` (every table's) is needed only to compare models with migrations
    (``alembic check``, autogenerate); applying migrations runs their own statements.
    """
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["target_metadata"] = target_metadata
    return config


def upgrade(url: str, *, connect_timeout: float = CONNECT_TIMEOUT_SECONDS) -> None:
    """Apply every migration up to the newest (blocking; call outside the event loop).

    Connecting gives up after ``connect_timeout`` seconds (VARSEL_DATABASE_CONNECT_TIMEOUT_SECONDS
    for `varsel migrate`), as the services do.
    """
    config = alembic_config(url)
    config.attributes["connect_timeout"] = connect_timeout
    command.upgrade(config, "head")


async def upgrade_async(url: str) -> None:
    """Apply migrations from async code without blocking the loop."""
    await asyncio.to_thread(upgrade, url)


def head_revision() -> str | None:
    """Return the newest migration's revision id."""
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def is_newer_than_head(revision: str | None) -> bool:
    """Tell whether a database's revision is one this release does not know: a later one's."""
    # Each release knows every revision up to its own head, so an unknown one was written by a
    # release after it, whose migrations keep this release working (expand, then contract).
    if revision is None:
        return False
    try:
        ScriptDirectory.from_config(alembic_config("sqlite://")).get_revision(revision)
    except CommandError:
        return True
    return False


def migrated_revision(url: str, *, connect_timeout: float = CONNECT_TIMEOUT_SECONDS) -> str | None:
    """Return the revision a database is at, None if never migrated (blocking)."""

    async def read() -> str | None:
        engine = create_engine(url, connect_timeout=connect_timeout)
        try:
            return await current_revision(engine)
        finally:
            await engine.dispose()

    return asyncio.run(read())


async def current_revision(engine: AsyncEngine) -> str | None:
    """Return the revision the database is at (None if never migrated)."""
    async with engine.connect() as connection:
        return await revision_on(connection)


async def revision_on(connection: AsyncConnection) -> str | None:
    """Return the revision the database of ``connection`` is at (None if never migrated)."""
    return await connection.run_sync(
        lambda sync: MigrationContext.configure(sync).get_current_revision()
    )
