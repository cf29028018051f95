"""With the database down (refusing, or taking connections and never answering), the background
loops log the outage, not a traceback a pass, and requests are asked to come back."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import httpx
import pytest

from services.watcher.bootstrap import Watcher
from shared.bus import InProcessBus
from shared.db import ConnectTimedOut, create_engine, session_factory
from shared.failing_passes import PassFailures
from shared.outbox_relay import OutboxRelay
from shared.runtime import build_runtime
from shared.settings import Settings
from tests.integration.subscriptions.harness import csrf
from varsel.app import create_app

# Port 9 (discard) on loopback: nothing listens there on a test machine.
DOWN = "postgresql+asyncpg://varsel@127.0.0.1:9/varsel"


def _errors(caplog: pytest.LogCaptureFixture, logger: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == logger and r.levelno >= logging.ERROR]


async def test_the_relay_logs_a_database_it_cannot_reach_once_not_every_pass(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Before, each pass (one a second in a running process) logged a traceback of a hundred
    # lines, and so did the mailer, the watcher and the catalogue follower beside it.
    engine = create_engine(DOWN)
    sessions = session_factory(engine)
    relay = OutboxRelay(sessions, InProcessBus(sessions), poll_seconds=0.01, gather_seconds=0)
    stop = asyncio.Event()
    caplog.set_level(logging.INFO)
    task = asyncio.create_task(relay.run(stop))
    await asyncio.sleep(1.0)  # dozens of passes
    stop.set()
    await task
    await engine.dispose()
    errors = _errors(caplog, "shared.outbox_relay")
    assert 3 <= len(errors) <= 8, len(errors)  # the 1st, 4th, 8th, 16th...
    # A traceback here would only show the driver connecting: one line says where to look.
    assert not any(r.exc_info for r in errors)
    assert errors[0].getMessage() == (
        "outbox: relay pass failed: the database cannot be reached (ConnectionRefusedError: "
        "[Errno 111] Connect call failed ('127.0.0.1', 9)); will try again"
    )
    assert "ConnectionRefusedError" in errors[-1].getMessage()


async def test_a_watcher_tick_on_a_database_it_cannot_reach_is_logged_not_raised(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # The scheduler logged each raised tick (every second) with its traceback.
    runtime = build_runtime(Settings(database_url=DOWN, var_dir=tmp_path))
    watcher = Watcher(runtime)
    caplog.set_level(logging.INFO)
    try:
        for _ in range(3):
            await watcher.tick()
    finally:
        await runtime.close()
    assert len(_errors(caplog, "services.watcher.bootstrap")) == 1


def test_failures_are_logged_at_the_first_then_at_powers_of_two_and_the_end_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    failures = PassFailures(logging.getLogger("test.passes"), "test: pass")
    caplog.set_level(logging.INFO)
    for _ in range(20):
        failures.failed(ConnectionRefusedError(111, "Connection refused"))
    failures.succeeded()
    failures.succeeded()
    said = [r.getMessage() for r in caplog.records if r.name == "test.passes"]
    assert said == [
        "test: pass failed: the database cannot be reached (ConnectionRefusedError: "
        "[Errno 111] Connection refused); will try again",
        "test: pass failed 4 times in a row; will try again: ConnectionRefusedError: "
        "[Errno 111] Connection refused",
        "test: pass failed 8 times in a row; will try again: ConnectionRefusedError: "
        "[Errno 111] Connection refused",
        "test: pass failed 16 times in a row; will try again: ConnectionRefusedError: "
        "[Errno 111] Connection refused",
        "test: pass works again after 20 failed passes in a row",
    ]


def test_a_fault_other_than_an_unreachable_database_keeps_its_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    failures = PassFailures(logging.getLogger("test.passes"), "test: pass")
    caplog.set_level(logging.INFO)
    failures.failed(KeyError("topic"))
    [record] = [r for r in caplog.records if r.name == "test.passes"]
    assert record.getMessage() == "test: pass failed; will try again"
    assert record.exc_info is not None and record.exc_info[0] is KeyError


@asynccontextmanager
async def silent_database() -> AsyncIterator[str]:
    """The URL of a loopback server that accepts connections and never says a word."""
    held: list[asyncio.StreamWriter] = []

    async def hold(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)  # kept open, unanswered, until the test ends

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    try:
        yield f"postgresql+asyncpg://varsel:pw@127.0.0.1:{server.sockets[0].getsockname()[1]}/v"
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()


@pytest.fixture(params=["refused", "silent"])
async def down(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The public pages and the admin of a process whose database refuses every connection, or
    takes it and never answers (asyncpg waited 60 s, then the request got a 500)."""
    async with AsyncExitStack() as stack:
        url = (
            DOWN
            if request.param == "refused"
            else await stack.enter_async_context(silent_database())
        )
        settings = Settings(
            database_url=url, var_dir=tmp_path, database_connect_timeout_seconds=0.3
        )
        runtime = build_runtime(settings)
        stack.push_async_callback(runtime.close)
        app = create_app(runtime, ("subscriptions", "admin"))
        transport = httpx.ASGITransport(app, raise_app_exceptions=False)
        yield await stack.enter_async_context(
            httpx.AsyncClient(transport=transport, base_url="http://test")
        )


async def test_connecting_to_a_silent_database_gives_up_as_unreachable_saying_why() -> None:
    async with silent_database() as url:
        engine = create_engine(url, connect_timeout=0.2)
        try:
            with pytest.raises(ConnectTimedOut, match=r"did not answer within 0\.2 s"):
                async with engine.connect():
                    pass
        finally:
            await engine.dispose()


async def test_readiness_says_the_database_cannot_be_reached(down: httpx.AsyncClient) -> None:
    ready = await down.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["reason"].startswith("database unreachable: ")


def test_the_connect_timeout_is_a_setting_inside_a_probes_time_with_its_range_checked() -> None:
    # tests/conftest.py widens it for the suite; the default is what a deployment gets.
    default = Settings.model_fields["database_connect_timeout_seconds"].default
    assert default < 3  # deploy/kubernetes probes wait 3 s
    for wrong in (0, -1, 61, "inf"):
        with pytest.raises(ValueError, match="database_connect_timeout_seconds"):
            Settings(database_connect_timeout_seconds=wrong)


async def test_a_request_while_the_database_is_down_is_asked_to_come_back(
    down: httpx.AsyncClient,
) -> None:
    # Before, a person read "Internal Server Error" in English and an API client got a 500,
    # which says the request is at fault and is not to be repeated.
    signed_up = await down.post(
        "/api/v1/subscriptions",
        json={"email": "kari@example.no", "topics": ["norge-i-verden"], "frequency": "daily"},
    )
    assert signed_up.status_code == 503, signed_up.text
    assert signed_up.headers["retry-after"] == "30"
    assert "try again" in signed_up.json()["detail"]

    form = csrf((await down.get("/manage-link?lang=nn")).text)
    page = await down.post(
        "/manage-link?lang=nn",
        data={"email": "kari@example.no", "csrf_token": form},
        headers={"accept": "text/html"},
    )
    assert page.status_code == 503, page.text
    assert "Vi kan ikkje svare akkurat no" in page.text and "Prøv igjen" in page.text

    staff = await down.get(
        "/admin?lang=en", headers={"accept": "text/html", "cookie": "varsel_admin=x"}
    )
    assert staff.status_code == 503
    # The staff side's own page under /admin, beside the public pages too (shared/web/errors.py).
    assert "The database cannot be reached just now" in staff.text


async def test_the_admin_alone_says_its_database_cannot_be_reached(tmp_path: Path) -> None:
    runtime = build_runtime(Settings(database_url=DOWN, var_dir=tmp_path))
    transport = httpx.ASGITransport(create_app(runtime, ("admin",)), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        staff = await client.get(
            "/admin?lang=nb", headers={"accept": "text/html", "cookie": "varsel_admin=x"}
        )
    await runtime.close()
    assert staff.status_code == 503
    assert "Databasen kan ikke nås akkurat nå" in staff.text


async def test_metrics_that_need_no_database_are_served_while_it_is_down(tmp_path: Path) -> None:
    # Before, /metrics answered 503 as a whole: the mailer's and the broker's gauges went
    # missing just when an outage made them matter.
    runtime = build_runtime(Settings(database_url=DOWN, var_dir=tmp_path))
    app = create_app(runtime, ("subscriptions", "mailer"))
    transport = httpx.ASGITransport(app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        scraped = await client.get("/metrics")
    await runtime.close()
    assert scraped.status_code == 200, scraped.text
    assert "\nvarsel_database_reachable 0.0\n" in scraped.text
    assert "\nvarsel_smtp_unreachable_seconds 0.0\n" in scraped.text
    assert "varsel_outbox_pending" not in scraped.text  # read from the database: left out
