"""PostgreSQL stops answering on connections it took (a partition, a paused server): closing
the connections and answering readiness are bounded, and said once.

A polite close sends Terminate and waits for the server to hang up, which such a server never
does; asyncpg waits without a timeout, and so did every shutdown with an idle connection in the
pool. A statement on such a connection waits without a timeout too, and so did /readyz.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from shared.runtime import CLOSE_SECONDS, DATABASE_ANSWER_SECONDS, Runtime, build_runtime
from shared.settings import Settings
from tests.support.databases import migrated_postgres_database
from tests.support.falls_silent import FallsSilent, through_a_proxy
from varsel.app import create_app

# Generous: a bound on a hang, not a measure of speed.
WITHIN = 10.0


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database."""
    with migrated_postgres_database() as url:
        yield url


@pytest.fixture
def proxied(tmp_path: Path) -> Iterator[tuple[FallsSilent, str, Runtime]]:
    """A process's wiring on a fresh, migrated PostgreSQL database behind a proxy that falls
    silent when told; the proxy, the password in the URL, and the wiring."""
    with through_a_proxy() as (proxy, secret, env):
        settings = Settings(database_url=env["VARSEL_DATABASE_URL"], var_dir=tmp_path)
        yield proxy, secret, build_runtime(settings)


async def test_closing_connections_a_silent_database_holds_ends_in_time_saying_so(
    caplog: pytest.LogCaptureFixture, proxied: tuple[FallsSilent, str, Runtime]
) -> None:
    proxy, secret, runtime = proxied
    async with runtime.engine.connect() as connection:  # kept in the pool, idle
        assert await connection.scalar(text("SELECT 1")) == 1
    proxy.silence()
    caplog.set_level(logging.WARNING)
    started = time.monotonic()
    await asyncio.wait_for(runtime.close(), timeout=30)  # before: for ever
    took = time.monotonic() - started

    assert took < CLOSE_SECONDS + 5, took
    said = [r.getMessage() for r in caplog.records if r.name == "shared.runtime"]
    assert len(said) == 1, said
    assert "did not answer the closing of its connections" in said[0]
    assert f"127.0.0.1:{proxy.port}" in said[0] and "***" in said[0]
    assert secret not in said[0]


async def _probe(http: httpx.AsyncClient) -> httpx.Response:
    """Ask /readyz as a probe does, failing rather than waiting for ever."""
    return await asyncio.wait_for(http.get("/readyz"), timeout=WITHIN)


async def test_readiness_on_a_connection_gone_silent_answers_not_ready_in_time_and_drops_it(
    caplog: pytest.LogCaptureFixture, proxied: tuple[FallsSilent, str, Runtime]
) -> None:
    # Before, readiness's statement on a pooled connection the server no longer answered waited
    # for ever: a probe (3 s in deploy/kubernetes) got no answer at all, not a 503 saying why.
    proxy, secret, runtime = proxied
    transport = httpx.ASGITransport(create_app(runtime, ("subscriptions",)))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            assert (await _probe(http)).status_code == 200  # its connection kept, idle
            proxy.silence()
            caplog.set_level(logging.WARNING)
            started = time.monotonic()
            silent = await _probe(http)
            took = time.monotonic() - started
            # The dropped connection stays silent: were it handed out again, not ready.
            proxy.speak()
            again = await _probe(http)
    finally:
        await asyncio.wait_for(runtime.close(), timeout=30)

    assert silent.status_code == 503, silent.text
    assert silent.json() == {
        "status": "not ready",
        "reason": f"database did not answer within {DATABASE_ANSWER_SECONDS:g} s",
    }
    assert took < WITHIN, took
    assert again.status_code == 200, again.text
    said = [r for r in caplog.records if r.name == "shared.runtime"]
    assert len(said) == 1, [r.getMessage() for r in said]
    assert said[0].levelno == logging.WARNING and said[0].exc_info is None
    assert "did not answer within" in said[0].getMessage()
    assert f"127.0.0.1:{proxy.port}" in said[0].getMessage() and "***" in said[0].getMessage()
    assert secret not in said[0].getMessage()


async def test_closing_connections_of_a_database_that_answers_says_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, postgres_url: str
) -> None:
    runtime = build_runtime(Settings(database_url=postgres_url, var_dir=tmp_path))
    async with runtime.engine.connect() as connection:
        assert await connection.scalar(text("SELECT 1")) == 1
    caplog.set_level(logging.WARNING)
    await asyncio.wait_for(runtime.close(), timeout=30)
    assert [r for r in caplog.records if r.name == "shared.runtime"] == []
