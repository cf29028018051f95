"""Know every service's tables (for migrations and readiness) and apply migrations."""

from __future__ import annotations

import asyncio
import importlib
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_TABLE_MODULES = (
    "shared.outbox",
    "shared.inbox",
    "shared.web.rate_limit",
    "services.subscriptions.adapters.tables",
    "services.admin.adapters.tables",
    "services.watcher.adapters.tables",
    "services.mailer.adapters.tables",
)


def import_all_tables() -> None:
    """Import each service's table modules so the shared metadata knows them."""
    for module in _TABLE_MODULES:
        importlib.import_module(module)


def alembic_config(url: str) -> Config:
    """Build the Alembic configuration for a database URL, without an ini file."""
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str) -> None:
    """Apply every migration up to the newest (blocking; call outside the event loop)."""
    command.upgrade(alembic_config(url), "head")


async def upgrade_async(url: str) -> None:
    """Apply migrations from async code without blocking the loop."""
    await asyncio.to_thread(upgrade, url)


def head_revision() -> str | None:
    """Return the newest migration's revision id."""
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


async def current_revision(engine: AsyncEngine) -> str | None:
    """Return the revision the database is at (None if never migrated)."""
    async with engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )
