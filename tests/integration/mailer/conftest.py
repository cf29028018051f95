"""Fixtures: a migrated SQLite or PostgreSQL database, a loopback SMTP server, a mailer harness."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from shared.clock import FrozenClock
from tests.integration.mailer.faults import DroppingMailbox, LoopbackSmtp
from tests.integration.mailer.harness import Harness, write_catalogue
from tests.support.databases import migrated_database
from tests.support.varsel_process import free_port

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday, 10:00 in Oslo


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database of each kind (each test's own copy of a migrated template)."""
    with migrated_database(request.param, tmp_path) as url:
        yield url


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
    await built.store_catalogue()
    yield built
    await built.close()
