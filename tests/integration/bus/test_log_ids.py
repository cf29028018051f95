"""JSON log lines carry the request id while a request is handled and the event id while an
event is published or handled, on the real app and on RabbitMQ; addresses never appear."""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.events import SignupRequested, SubscriberErased
from shared.logs import build_handler
from shared.outbox import record
from shared.outbox_relay import OutboxRelay
from shared.runtime import build_runtime
from shared.settings import Settings
from tests.integration.bus.conftest import MakeBus, eventually
from tests.support.databases import migrated_sqlite
from varsel.app import create_app

CATALOGUE = """
[[topics]]
slug = "t"
title = { nb = "Tema" }
"""
ADDRESS = "kari.nordmann@example.no"

probe = logging.getLogger("varsel.test.probe")


class JsonLog:
    """Every JSON line the root logger writes while the test runs."""

    def __init__(self) -> None:
        self.stream = io.StringIO()

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines()]

    def with_message(self, text: str) -> list[dict[str, Any]]:
        return [line for line in self.lines() if text in line["message"]]


@pytest.fixture
def json_log() -> Iterator[JsonLog]:
    captured = JsonLog()
    root = logging.getLogger()
    handler = build_handler("json", captured.stream)
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield captured
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


async def test_request_and_event_ids_in_the_app_logs(tmp_path: Path, json_log: JsonLog) -> None:
    url = migrated_sqlite(tmp_path / "v.db")
    config = tmp_path / "c.toml"
    config.write_text(CATALOGUE)
    runtime = build_runtime(
        Settings(database_url=url, config=config, var_dir=tmp_path, signup_limit_per_address=1)
    )
    handled: list[SignupRequested] = []

    async def log_probe(event: SignupRequested, session: AsyncSession) -> None:
        probe.info("probe saw a sign-up for %s", ADDRESS)
        handled.append(event)

    runtime.bus.subscribe("log-probe", SignupRequested, log_probe)
    app = create_app(runtime, ("subscriptions", "mailer"))
    body = {"email": ADDRESS, "topics": ["t"]}
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://test") as http,
    ):
        first = await http.post(
            "/api/v1/subscriptions", json=body, headers={"X-Request-ID": "caller-chosen-1"}
        )
        # The limit is one sign-up per address, so this one is refused and says so in the log.
        refused = await http.post("/api/v1/subscriptions", json=body)
        odd = await http.get("/healthz", headers={"X-Request-ID": f"<{ADDRESS}>"})

        async def probe_ran() -> bool:
            return bool(handled)

        await eventually(probe_ran)

    assert first.status_code == 202, first.text
    assert first.headers["X-Request-ID"] == "caller-chosen-1"
    assert refused.status_code == 429
    generated = refused.headers["X-Request-ID"]
    assert generated and generated != "caller-chosen-1"
    assert odd.headers["X-Request-ID"] not in (f"<{ADDRESS}>", generated)

    [limit_line] = json_log.with_message("rate limit reached")
    assert limit_line["request_id"] == generated
    [probe_line] = json_log.with_message("probe saw a sign-up")
    assert probe_line["event_id"] == str(handled[0].event_id)
    assert probe_line["event_type"] == SignupRequested.type_name()
    # The relay handles events in its own task: they are not attributed to the request.
    assert "request_id" not in probe_line
    assert probe_line["message"] == "probe saw a sign-up for [address]"
    assert ADDRESS not in json_log.stream.getvalue()


async def test_event_ids_while_the_relay_publishes_and_a_rabbitmq_consumer_handles(
    make_bus: MakeBus, sessions: async_sessionmaker[AsyncSession], json_log: JsonLog
) -> None:
    bus = make_bus(sessions)
    attempts: list[uuid.UUID] = []

    async def flaky(event: SubscriberErased, session: AsyncSession) -> None:
        attempts.append(event.event_id)
        probe.info("probe attempt %d for %s", len(attempts), ADDRESS)
        if len(attempts) == 1:
            raise RuntimeError(f"mail server refused {ADDRESS}")

    bus.subscribe("mailer", SubscriberErased, flaky)
    await bus.start()
    event = SubscriberErased(subscriber_id=uuid.uuid4())
    async with sessions() as session, session.begin():
        await record(session, event)

    assert await OutboxRelay(sessions, bus).publish_pending() == 1

    async def retried() -> bool:
        return len(attempts) == 2

    await eventually(retried)
    ids = {"event_id": str(event.event_id), "event_type": SubscriberErased.type_name()}
    probes = json_log.with_message("probe attempt")
    [retry_line] = json_log.with_message("will retry")
    assert len(probes) == 2
    for line in [*probes, retry_line]:
        assert {key: line.get(key) for key in ids} == ids
    assert "[address]" in retry_line["exception"]
    assert ADDRESS not in json_log.stream.getvalue()


async def test_a_publish_the_broker_did_not_take_is_logged_with_the_event_ids(
    make_bus: MakeBus,
    sessions: async_sessionmaker[AsyncSession],
    closed_port: int,
    json_log: JsonLog,
) -> None:
    bus = make_bus(sessions, url=f"amqp://guest:guest@127.0.0.1:{closed_port}/", connect_timeout=1)
    event = SubscriberErased(subscriber_id=uuid.uuid4())
    async with sessions() as session, session.begin():
        await record(session, event)

    assert await OutboxRelay(sessions, bus).publish_pending() == 0

    [line] = json_log.with_message("outbox: publishing event")
    assert line["event_id"] == str(event.event_id)
    assert line["event_type"] == SubscriberErased.type_name()


async def test_an_unhandled_error_is_logged_with_the_request_id(
    tmp_path: Path, json_log: JsonLog
) -> None:
    config = tmp_path / "c.toml"
    config.write_text(CATALOGUE)
    runtime = build_runtime(
        Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'v.db'}", config=config)
    )
    app = create_app(runtime, ("subscriptions",))

    @app.get("/broken")
    async def broken() -> None:
        raise RuntimeError(f"could not reach {ADDRESS}")

    transport = httpx.ASGITransport(app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            response = await http.get("/broken", headers={"X-Request-ID": "broken-1"})
    finally:
        await runtime.close()

    assert response.status_code == 500
    [line] = json_log.with_message("unhandled error")
    assert line["request_id"] == "broken-1"
    assert "RuntimeError" in line["exception"]
    assert ADDRESS not in json_log.stream.getvalue()
