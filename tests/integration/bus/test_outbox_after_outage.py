"""Events put off while RabbitMQ was away go out as soon as it answers, and the wait is said once.

Before, each event waited out its own backoff (up to 300 s) after the broker came back, as
nothing told the relay it was back; and every retry of every event logged a WARNING (a thousand
sign-ups during a 30-minute outage made some 14,000 lines).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.bus import InProcessBus
from shared.events import SubscriberErased
from shared.outbox import OutboxRow, backlog, record
from shared.outbox_relay import OutboxRelay
from tests.integration.bus.conftest import BrokerProxy, MakeBus, eventually

pytestmark = pytest.mark.timeout(120)


async def test_events_that_waited_out_an_outage_go_when_the_broker_answers_logged_once(
    make_bus: MakeBus,
    sessions: async_sessionmaker[AsyncSession],
    proxy: BrokerProxy,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus = make_bus(sessions, url=proxy.url, reconnect_interval=0.1, publish_timeout=1)
    await bus.start()
    relay = OutboxRelay(sessions, bus, poll_seconds=0.05, gather_seconds=0)
    caplog.set_level(logging.INFO)
    await proxy.cut()
    async with sessions() as session, session.begin():
        await record(session, *(SubscriberErased(subscriber_id=uuid.uuid4()) for _ in range(5)))

    async def each_tried_twice() -> bool:
        async with sessions() as session:
            return min(await session.scalars(select(OutboxRow.attempts))) >= 2

    stop = asyncio.Event()
    running = asyncio.create_task(relay.run(stop))
    try:
        await eventually(each_tried_twice, within=30)
    finally:
        stop.set()
        await running
    # As after a long outage: each event's next try is five minutes away.
    async with sessions() as session, session.begin():
        later = datetime.now(UTC) + timedelta(seconds=300)
        await session.execute(update(OutboxRow).values(next_attempt_at=later))

    async def all_published() -> bool:
        async with sessions() as session:
            return (await backlog(session)).pending == 0

    stop = asyncio.Event()
    running = asyncio.create_task(relay.run(stop))
    try:
        await proxy.start()
        await eventually(all_published, within=10)
    finally:
        stop.set()
        await running

    said = [
        (r.levelname, r.getMessage()) for r in caplog.records if r.name == "shared.outbox_relay"
    ]
    warned = [message for level, message in said if level != "DEBUG" and level != "INFO"]
    assert len(warned) == 2, said
    waiting, went = warned
    assert "wait in the outbox" in waiting, waiting
    assert "5 events" in went and "published" in went, went


async def test_a_relay_whose_waiting_events_another_relay_published_says_the_next_wait(
    sessions: async_sessionmaker[AsyncSession], caplog: pytest.LogCaptureFixture
) -> None:
    # Several processes relay one outbox: the one that logged the wait need not be the one that
    # publishes what waited. Before, it then stayed waiting for ever, and logged the next
    # outage's failures at DEBUG only.
    failing = True

    async def handle(event: SubscriberErased, session: AsyncSession) -> None:
        if failing:
            raise ConnectionError("the consumer's service is away")

    bus = InProcessBus(sessions)
    bus.subscribe("mailer", SubscriberErased, handle)
    ours, theirs = OutboxRelay(sessions, bus), OutboxRelay(sessions, bus)
    caplog.set_level(logging.DEBUG, logger="shared.outbox_relay")

    def waits() -> list[str]:
        return [
            r.getMessage()
            for r in caplog.records
            if r.name == "shared.outbox_relay" and r.levelno == logging.WARNING
            and "wait in the outbox" in r.getMessage()
        ]  # fmt: skip

    async with sessions() as session, session.begin():
        await record(session, SubscriberErased(subscriber_id=uuid.uuid4()))
    assert await ours.publish_pending() == 0
    assert len(waits()) == 1
    failing = False
    async with sessions() as session, session.begin():
        await session.execute(update(OutboxRow).values(next_attempt_at=None))
    assert await theirs.publish_pending() == 1
    assert await ours.publish_pending() == 0  # nothing left that waited

    failing = True
    async with sessions() as session, session.begin():
        await record(session, SubscriberErased(subscriber_id=uuid.uuid4()))
    assert await ours.publish_pending() == 0
    assert len(waits()) == 2, caplog.text
