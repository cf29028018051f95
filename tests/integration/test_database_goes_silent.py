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
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text, update

from services.watcher.adapters.tables import WatchedSource
from services.watcher.bootstrap import Watcher
from shared.db import POOL_SIZE, abort_connections, connections_in_use
from shared.runtime import CLOSE_SECONDS, DATABASE_ANSWER_SECONDS, Runtime, build_runtime
from shared.settings import Settings
from tests.support.databases import migrated_postgres_database
from tests.support.falls_silent import FallsSilent, through_a_proxy
from tests.support.site import FixtureSite, Resource
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


async def test_a_watcher_write_waiting_on_a_silent_database_is_handed_back_not_waited_for(
    proxied: tuple[FallsSilent, str, Runtime],
) -> None:
    # Before, stopping the watcher waited without end for a poll's write on a connection the
    # database no longer answered: shutdown never reached the dropping of connections.
    proxy, _, runtime = proxied
    watcher = Watcher(runtime)
    async with runtime.engine.connect() as connection:  # kept in the pool, idle
        assert await connection.scalar(text("SELECT 1")) == 1
    proxy.silence()
    write = asyncio.create_task(
        watcher.deps.writes.write(lambda conn: conn.exec_driver_sql("SELECT 1").scalar())
    )
    try:
        async with asyncio.timeout(WITHIN):
            while not watcher.deps.writes.running():  # the write handed over, its batch begun
                await asyncio.sleep(0)
        waiting = await asyncio.wait_for(watcher.finish(0.5), timeout=WITHIN)
        assert [task.get_name() for task in waiting] == ["watcher-writes"]
        assert not write.done()

        abort_connections(runtime.engine)
        for task in waiting:
            task.cancel()
        await asyncio.wait_for(asyncio.wait(waiting), timeout=WITHIN)
        await asyncio.wait_for(watcher.close(0.5), timeout=WITHIN)
    finally:
        await asyncio.wait_for(runtime.close(), timeout=30)

    assert write.done()
    assert write.cancelled() or write.exception() is not None


@pytest.fixture
def slow_site() -> Iterator[FixtureSite]:
    """A site whose one page takes a second to answer."""
    site = FixtureSite()
    page = b"<main><h1>Side</h1><p>Om vaksiner og smitte.</p></main>"
    site.set("/side", Resource(page, delay=1.0))
    site.start()
    yield site
    site.stop()


@pytest.fixture
def watched(tmp_path: Path, slow_site: FixtureSite) -> Iterator[tuple[FallsSilent, Settings]]:
    """The slow site's page in the catalogue, on a database behind a proxy."""
    catalogue = tmp_path / "catalogue.toml"
    catalogue.write_text(
        f'[[topics]]\nslug = "tema"\ntitle = {{ nb = "Tema" }}\n\n'
        f'[[sources]]\nurl = "{slow_site.base_url}/side"\nkind = "page"\ntopics = ["tema"]\n',
        encoding="utf-8",
    )
    with through_a_proxy(catalogue) as (proxy, _, env):
        yield (
            proxy,
            Settings(
                database_url=env["VARSEL_DATABASE_URL"],
                config=catalogue,
                allow_private_addresses=True,
                var_dir=tmp_path / "var",
            ),
        )


async def test_a_poll_the_database_can_no_longer_take_is_said_in_one_line(
    caplog: pytest.LogCaptureFixture,
    slow_site: FixtureSite,
    watched: tuple[FallsSilent, Settings],
) -> None:
    # Before, each such poll was logged as a crash, with a traceback of the driver connecting.
    proxy, settings = watched
    runtime = build_runtime(settings)
    watcher = Watcher(runtime)
    try:
        await watcher.start()
        async with runtime.sessions() as session, session.begin():  # due now, not spread out
            await session.execute(update(WatchedSource).values(next_check_at=runtime.clock.now()))
        await watcher.tick()  # claims the source; its poll waits for the slow page
        assert slow_site.hits("/side") <= 1
        proxy.close()  # the database hangs up, and refuses what comes after
        caplog.set_level(logging.INFO)
        waiting = await asyncio.wait_for(watcher.finish(WITHIN), timeout=WITHIN)
    finally:
        await asyncio.wait_for(watcher.close(1.0), timeout=WITHIN)
        await asyncio.wait_for(runtime.close(), timeout=30)

    assert not waiting
    assert slow_site.hits("/side") == 1
    said = [r for r in caplog.records if r.name == "services.watcher.bootstrap"]
    assert len(said) == 1, [r.getMessage() for r in said]
    assert said[0].levelno == logging.ERROR and said[0].exc_info is None
    assert (
        said[0]
        .getMessage()
        .startswith("watcher: storing a poll failed: the database cannot be reached (")
    ), said[0].getMessage()


async def test_metrics_on_a_connection_gone_silent_are_served_in_time_without_the_database(
    proxied: tuple[FallsSilent, str, Runtime],
) -> None:
    # Before, each scrape waited for ever on the silent connection, holding it: scrapes piled
    # up until the pool was gone, and Prometheus saw no answer at all.
    proxy, _, runtime = proxied
    transport = httpx.ASGITransport(create_app(runtime, ("subscriptions",)))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            before = await asyncio.wait_for(http.get("/metrics"), timeout=WITHIN)
            proxy.silence()
            silent = await asyncio.wait_for(http.get("/metrics"), timeout=WITHIN)
    finally:
        await asyncio.wait_for(runtime.close(), timeout=30)

    assert before.status_code == 200 and "varsel_database_reachable 1.0" in before.text
    assert "varsel_outbox_lag_seconds " in before.text  # read from the database
    assert silent.status_code == 200, silent.text
    assert "varsel_database_reachable 0.0" in silent.text
    assert "varsel_outbox_lag_seconds " not in silent.text


async def test_readiness_with_every_connection_in_use_answers_not_ready_in_time(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, postgres_url: str
) -> None:
    # Before, readiness waited for a free connection up to the pool's 30 s: the probe (3 s in
    # deploy/kubernetes) got no answer at all.
    runtime = build_runtime(Settings(database_url=postgres_url, var_dir=tmp_path))
    transport = httpx.ASGITransport(create_app(runtime, ("subscriptions",)))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            async with AsyncExitStack() as held:
                for _ in range(POOL_SIZE):
                    await held.enter_async_context(runtime.engine.connect())
                caplog.set_level(logging.WARNING)
                busy = await _probe(http)
            # The checkout given up on takes a connection once one is free, and hands it back.
            async with asyncio.timeout(WITHIN):
                while connections_in_use(runtime.engine):
                    await asyncio.sleep(0.05)
            ready = await _probe(http)
    finally:
        await asyncio.wait_for(runtime.close(), timeout=30)

    assert busy.status_code == 503, busy.text
    assert busy.json() == {
        "status": "not ready",
        "reason": f"no connection to the database within {DATABASE_ANSWER_SECONDS:g} s",
    }
    said = [r.getMessage() for r in caplog.records if r.name == "shared.runtime"]
    assert len(said) == 1, said
    assert "each pooled one in use" in said[0]
    assert ready.status_code == 200, ready.text
