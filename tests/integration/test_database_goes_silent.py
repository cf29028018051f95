"""Closing the database connections when PostgreSQL has stopped answering: bounded, said once.

A polite close sends Terminate and waits for the server to hang up, which a server that took
the connection and then went silent (a partition, a paused server) never does; asyncpg waits
without a timeout, and so did every shutdown with an idle connection in the pool.
"""

from __future__ import annotations

import asyncio
import getpass
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import make_url, text

from shared.runtime import CLOSE_SECONDS, build_runtime
from shared.settings import Settings
from tests.support.databases import migrated_postgres_database
from tests.support.falls_silent import FallsSilent


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database."""
    with migrated_postgres_database() as url:
        yield url


async def test_closing_connections_a_silent_database_holds_ends_in_time_saying_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, postgres_url: str
) -> None:
    url = make_url(postgres_url)
    proxy = FallsSilent(url.host or "127.0.0.1", url.port or 5432)
    secret = url.password or "not-to-be-logged"  # a trusting server takes any password
    through = url.set(
        host="127.0.0.1",
        port=proxy.port,
        username=url.username or getpass.getuser(),
        password=secret,
    )
    settings = Settings(
        database_url=through.render_as_string(hide_password=False),
        var_dir=tmp_path,
        database_connect_timeout_seconds=2,
    )
    runtime = build_runtime(settings)
    try:
        async with runtime.engine.connect() as connection:  # kept in the pool, idle
            assert await connection.scalar(text("SELECT 1")) == 1
        proxy.silence()
        caplog.set_level(logging.WARNING)
        started = time.monotonic()
        await asyncio.wait_for(runtime.close(), timeout=30)  # before: for ever
        took = time.monotonic() - started
    finally:
        proxy.close()

    assert took < CLOSE_SECONDS + 5, took
    said = [r.getMessage() for r in caplog.records if r.name == "shared.runtime"]
    assert len(said) == 1, said
    assert "did not answer the closing of its connections" in said[0]
    assert f"127.0.0.1:{proxy.port}" in said[0] and "***" in said[0]
    assert secret not in said[0]


async def test_closing_connections_of_a_database_that_answers_says_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, postgres_url: str
) -> None:
    runtime = build_runtime(Settings(database_url=postgres_url, var_dir=tmp_path))
    async with runtime.engine.connect() as connection:
        assert await connection.scalar(text("SELECT 1")) == 1
    caplog.set_level(logging.WARNING)
    await asyncio.wait_for(runtime.close(), timeout=30)
    assert [r for r in caplog.records if r.name == "shared.runtime"] == []
