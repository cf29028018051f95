"""Readiness while RabbitMQ is away: the services that work without it stay in service.

Sign-ups, the staff side, polling and returned mail write their events to the outbox, which
waits for the broker; only the mailer, whose work arrives through the broker, is not ready. The
broker is a loopback port nothing listens on, or the real one behind a proxy the test cuts.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import func, select

from shared.outbox import OutboxRow
from shared.runtime import build_runtime
from shared.settings import Settings
from tests.integration.bus.conftest import BrokerProxy
from tests.support.broker import delete_topology
from tests.support.databases import migrated_sqlite
from varsel.app import create_app

pytestmark = pytest.mark.timeout(120)

CATALOGUE = """
[[topics]]
slug = "t"
title = { nb = "Tema" }
"""


def _settings(tmp_path: Path, broker_url: str, **more: object) -> Settings:
    config = tmp_path / "c.toml"
    config.write_text(CATALOGUE)
    return Settings(
        database_url=migrated_sqlite(tmp_path / "v.db"),
        broker_url=broker_url,
        config=config,
        var_dir=tmp_path,
        **more,  # type: ignore[arg-type]
    )


async def _probe(
    tmp_path: Path, broker_url: str, services: Collection[str], **more: object
) -> tuple[httpx.Response, httpx.Response]:
    """Return /readyz and /metrics of a process running ``services``."""
    runtime = build_runtime(_settings(tmp_path, broker_url, **more))
    app = create_app(runtime, services)
    try:
        transport = httpx.ASGITransport(app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            return await http.get("/readyz"), await http.get("/metrics")
    finally:
        await runtime.close()


BOUNCES = {"bounce_address": "retur@varsel.example.no", "bounce_webhook_secret": "s" * 32}


@pytest.mark.parametrize(
    ("services", "more"),
    [
        (("subscriptions",), {}),
        (("admin",), {}),
        (("watcher",), {}),
        (("bounces",), BOUNCES),
        # The sign-up pages are not taken out of service because a mailer shares their process.
        (("subscriptions", "mailer"), {}),
    ],
)
async def test_services_that_work_without_the_broker_stay_ready_and_say_it_is_away(
    tmp_path: Path,
    closed_port: int,
    services: tuple[str, ...],
    more: dict[str, object],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="varsel.readiness")
    away = f"amqp://guest:guest@127.0.0.1:{closed_port}/"
    ready, metrics = await _probe(tmp_path, away, services, **more)

    assert ready.status_code == 200, ready.text
    body = ready.json()
    assert (body["status"], body["broker"]) == ("degraded", "unreachable"), body
    assert "outbox" in body["reason"], body
    assert "varsel_broker_reachable 0.0" in metrics.text.splitlines()
    assert "varsel_dead_letters" not in metrics.text
    [line] = [r for r in caplog.records if r.name == "varsel.readiness"]
    assert line.levelno == logging.WARNING
    assert "unreachable" in line.getMessage() and "still ready" in line.getMessage()


async def test_a_mailer_alone_is_not_ready_without_the_broker(
    tmp_path: Path, closed_port: int
) -> None:
    away = f"amqp://guest:guest@127.0.0.1:{closed_port}/"
    ready, metrics = await _probe(tmp_path, away, ("mailer",))

    assert ready.status_code == 503, ready.text
    body = ready.json()
    assert (body["status"], body["broker"]) == ("not ready", "unreachable"), body
    assert "mailer" in body["reason"], body
    assert "varsel_broker_reachable 0.0" in metrics.text.splitlines()


async def test_the_embedded_mode_says_nothing_of_a_broker(tmp_path: Path) -> None:
    ready, metrics = await _probe(tmp_path, "", ("subscriptions", "mailer"))
    assert ready.status_code == 200, ready.text
    assert ready.json() == {"status": "ready", "reason": "ok"}
    assert "varsel_broker_reachable" not in metrics.text


async def test_sign_ups_go_on_while_the_broker_is_cut_and_readiness_follows_it(
    tmp_path: Path, proxy: BrokerProxy, namespace: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="varsel.readiness")
    settings = _settings(tmp_path, proxy.url, broker_namespace=namespace)
    runtime = build_runtime(settings)
    app = create_app(runtime, ("subscriptions",))
    try:
        async with (
            LifespanManager(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as http,
        ):
            up = await http.get("/readyz")
            assert up.status_code == 200, up.text
            assert (up.json()["status"], up.json()["broker"]) == ("ready", "ok")
            assert "varsel_broker_reachable 1.0" in (await http.get("/metrics")).text

            await proxy.cut()
            down = await http.get("/readyz")
            again = await http.get("/readyz")  # a probe every few seconds: logged once
            signed_up = await http.post(
                "/api/v1/subscriptions", json={"email": "kari@example.no", "topics": ["t"]}
            )
            assert (down.status_code, again.status_code) == (200, 200), down.text
            assert (down.json()["status"], down.json()["broker"]) == ("degraded", "unreachable")
            assert signed_up.status_code == 202, signed_up.text
            async with runtime.sessions() as session:
                waiting = await session.scalar(
                    select(func.count()).where(OutboxRow.published_at.is_(None))
                )
            assert waiting, "the sign-up's event waits in the outbox"

            await proxy.start()
            back = await http.get("/readyz")
            for _ in range(100):  # the connection comes back by itself, within 5 s
                if back.json().get("broker") == "ok":
                    break
                await asyncio.sleep(0.2)
                back = await http.get("/readyz")
            assert back.status_code == 200 and back.json()["broker"] == "ok", back.text
    finally:
        await runtime.close()
        await delete_topology(proxy.url, namespace)
    said = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "varsel.readiness"]
    assert [level for level, _ in said] == ["WARNING", "INFO"], said
