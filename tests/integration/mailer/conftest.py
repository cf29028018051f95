"""Fixtures: a migrated SQLite or PostgreSQL database, a loopback SMTP server, a mailer harness."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from shared.clock import FrozenClock
from shared.schema import upgrade
from tests.integration.mailer.faults import DroppingMailbox, LoopbackSmtp
from tests.integration.mailer.harness import Harness, write_catalogue
from tests.support.services import POSTGRES_ADMIN_URL, fresh_postgres_database
from tests.support.varsel_process import free_port

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday, 10:00 in Oslo


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate one SQLite file per session; each test gets a copy (faster than migrating)."""
    path = tmp_path_factory.mktemp("template") / "varsel.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """Migrate one PostgreSQL database per session to clone each test's database from."""
    with fresh_postgres_database() as url:
        upgrade(url)
        yield url.rsplit("/", 1)[1]


async def _admin(statement: str) -> None:
    connection = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path / "varsel.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    template = request.getfixturevalue("postgres_template")
    name = f"varsel_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    try:
        yield f"{base}/{name}"
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def smtp() -> Iterator[LoopbackSmtp]:
    server = LoopbackSmtp(DroppingMailbox(), free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def harness_settings() -> dict[str, Any]:
    """Settings a test module gives its harness besides the usual ones (override it there)."""
    return {}


@pytest.fixture
async def harness(
    database_url: str,
    smtp: LoopbackSmtp,
    clock: FrozenClock,
    tmp_path: Path,
    harness_settings: dict[str, Any],
) -> AsyncIterator[Harness]:
    built = Harness.build(
        database_url,
        smtp.url,
        write_catalogue(tmp_path),
        clock,
        smtp.mailbox,
        **harness_settings,
    )
    yield built
    await built.close()
