"""The dead-letter count: what consumers gave up on, from the bus and on /metrics."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.bus import InProcessBus
from shared.events import SubscriberErased
from shared.rabbitmq import RabbitMqBus
from shared.runtime import build_runtime
from shared.settings import Settings
from tests.integration.bus.conftest import MakeBus, eventually
from varsel.app import create_app
from varsel.metrics import render_metrics

CATALOGUE = """
[[topics]]
slug = "t"
title = { nb = "Tema" }
"""


async def never_works(event: SubscriberErased, session: AsyncSession) -> None:
    raise RuntimeError("this event can never be handled")


async def test_a_message_that_always_fails_is_counted_once_dead_lettered(
    make_bus: MakeBus,
    sessions: async_sessionmaker[AsyncSession],
    broker: str,
    namespace: str,
    tmp_path: Path,
) -> None:
    consumer = make_bus(sessions, max_redeliveries=2)
    consumer.subscribe("mailer", SubscriberErased, never_works)
    await consumer.start()
    assert await consumer.dead_letter_count() == 0

    await consumer.publish(SubscriberErased(subscriber_id=uuid.uuid4()))

    async def dead_lettered() -> bool:
        return await consumer.dead_letter_count() == 1

    await eventually(dead_lettered)

    # A replica that consumes nothing (the admin side) sees every consumer's dead letters.
    onlooker = RabbitMqBus(broker, sessions, namespace=namespace)
    try:
        assert await onlooker.dead_letter_count() == 1
    finally:
        await onlooker.stop()

    config = tmp_path / "c.toml"
    config.write_text(CATALOGUE)
    runtime = build_runtime(
        Settings(
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}",
            broker_url=broker,
            broker_namespace=namespace,
            config=config,
            var_dir=tmp_path,
        )
    )
    app = create_app(runtime, ("subscriptions",))
    try:
        transport = httpx.ASGITransport(app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            metrics = await http.get("/metrics")
    finally:
        await runtime.close()
    assert metrics.status_code == 200
    assert "varsel_dead_letters 1.0" in metrics.text.splitlines()


async def test_the_in_process_bus_keeps_no_dead_letters(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    bus = InProcessBus(sessions)
    bus.subscribe("mailer", SubscriberErased, never_works)
    assert await bus.dead_letter_count() is None


async def test_the_gauge_is_left_out_when_the_count_is_unknown(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    now = datetime.now(UTC)
    async with sessions() as session:
        unknown = (await render_metrics(session, now)).decode()
        known = (await render_metrics(session, now, dead_letters=0)).decode()
    assert "varsel_dead_letters" not in unknown
    assert "varsel_dead_letters 0.0" in known.splitlines()


async def test_metrics_are_served_without_the_gauge_when_the_broker_is_down(
    tmp_path: Path, closed_port: int, sessions: async_sessionmaker[AsyncSession]
) -> None:
    config = tmp_path / "c.toml"
    config.write_text(CATALOGUE)
    runtime = build_runtime(
        Settings(
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}",
            broker_url=f"amqp://guest:guest@127.0.0.1:{closed_port}/",
            config=config,
            var_dir=tmp_path,
        )
    )
    app = create_app(runtime, ("subscriptions",))
    try:
        transport = httpx.ASGITransport(app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            metrics = await http.get("/metrics")
    finally:
        await runtime.close()
    assert metrics.status_code == 200
    assert "varsel_outbox_pending" in metrics.text
    assert "varsel_dead_letters" not in metrics.text
