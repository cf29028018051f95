"""RabbitMqBus on the real broker: outbox to consumer, retries, dead letters, replicas, outages."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import aio_pika
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.events import ContentChanged, Event, SubscriberErased
from shared.outbox import OutboxRow, record
from shared.outbox_relay import OutboxRelay
from shared.rabbitmq import BrokerUnavailable, RabbitMqBus
from tests.integration.bus.conftest import (
    BrokerProxy,
    MakeBus,
    eventually,
    handled_count,
    migrated_sessions,
)
from tests.support.databases import migrated_postgres_database

# Each test takes seconds; a broker that stops answering must fail the test, not hang the run.
pytestmark = pytest.mark.timeout(180)


class Recorder:
    """A handler that remembers which events it was called with."""

    def __init__(self, fail_times: int = 0, always_fail: set[uuid.UUID] | None = None) -> None:
        self.calls: Counter[uuid.UUID] = Counter()
        self.fail_times = fail_times
        self.always_fail = always_fail or set()

    async def __call__(self, event: Any, session: AsyncSession) -> None:
        self.calls[event.event_id] += 1
        if getattr(event, "subscriber_id", None) in self.always_fail:
            raise RuntimeError("this event can never be handled")
        if self.calls[event.event_id] <= self.fail_times:
            raise RuntimeError(f"transient failure {self.calls[event.event_id]}")


def change(n: int) -> ContentChanged:
    return ContentChanged(
        source_id=n,
        source_url="https://www.fhi.no/a",
        kind="page",
        topics=("t",),
        title=f"Change {n}",
        url="https://www.fhi.no/a",
        summary="Something changed.",
    )


async def record_events(sessions: async_sessionmaker[AsyncSession], *events: Event) -> None:
    async with sessions() as session, session.begin():
        await record(session, *events)


async def outbox_rows(sessions: async_sessionmaker[AsyncSession]) -> list[OutboxRow]:
    async with sessions() as session:
        return list((await session.scalars(select(OutboxRow).order_by(OutboxRow.id))).all())


async def test_outbox_events_reach_each_consumer_once(
    make_bus: MakeBus, sessions: async_sessionmaker[AsyncSession]
) -> None:
    bus = make_bus(sessions)
    erased, changed = Recorder(), Recorder()
    bus.subscribe("mailer", SubscriberErased, erased)
    bus.subscribe("mailer", ContentChanged, changed)
    await bus.start()
    events = [SubscriberErased(subscriber_id=uuid.uuid4()) for _ in range(3)] + [change(1)]
    await record_events(sessions, *events)

    assert await OutboxRelay(sessions, bus).publish_pending() == 4

    async def all_handled() -> bool:
        return await handled_count(sessions, "mailer") == 4

    await eventually(all_handled)
    assert erased.calls == Counter({e.event_id: 1 for e in events[:3]})
    assert changed.calls == Counter({events[3].event_id: 1})
    assert all(row.published_at is not None for row in await outbox_rows(sessions))


async def test_a_duplicate_delivery_has_its_effect_once(
    make_bus: MakeBus, sessions: async_sessionmaker[AsyncSession]
) -> None:
    bus = make_bus(sessions)
    handler = Recorder()
    bus.subscribe("mailer", SubscriberErased, handler)
    await bus.start()
    event, marker = (
        SubscriberErased(subscriber_id=uuid.uuid4()),
        SubscriberErased(subscriber_id=uuid.uuid4()),
    )

    await bus.publish(event)
    await bus.publish(event)
    await bus.publish(marker)  # queues are FIFO: once this is handled, both copies were seen

    async def marker_handled() -> bool:
        return handler.calls[marker.event_id] == 1

    await eventually(marker_handled)
    assert handler.calls[event.event_id] == 1
    assert await handled_count(sessions, "mailer") == 2


async def test_transient_failures_are_retried_and_poison_is_dead_lettered(
    make_bus: MakeBus, sessions: async_sessionmaker[AsyncSession]
) -> None:
    poison = SubscriberErased(subscriber_id=uuid.uuid4())
    bus = make_bus(sessions, max_redeliveries=3)
    flaky = Recorder(fail_times=2, always_fail={poison.subscriber_id})
    bus.subscribe("mailer", SubscriberErased, flaky)
    await bus.start()
    good = [SubscriberErased(subscriber_id=uuid.uuid4()) for _ in range(5)]

    await bus.publish(poison)
    for event in good:
        await bus.publish(event)

    async def dead_lettered() -> bool:
        return await bus.dead_letters("mailer") == 1

    async def good_handled() -> bool:
        return await handled_count(sessions, "mailer") == len(good)

    await eventually(dead_lettered)
    await eventually(good_handled)
    assert flaky.calls[poison.event_id] == 4  # the first delivery and three redeliveries
    assert all(flaky.calls[e.event_id] == 3 for e in good)  # failed twice, then committed


async def test_an_undecodable_message_goes_straight_to_the_dead_letter_queue(
    make_bus: MakeBus, sessions: async_sessionmaker[AsyncSession], broker: str
) -> None:
    bus = make_bus(sessions)
    handler = Recorder()
    bus.subscribe("mailer", SubscriberErased, handler)
    await bus.start()
    connection = await aio_pika.connect(broker)
    try:
        channel = await connection.channel()
        exchange = await channel.get_exchange(bus.exchange_name)
        await exchange.publish(
            aio_pika.Message(b'{"not": "an event"}', type=SubscriberErased.type_name()),
            routing_key=SubscriberErased.type_name(),
        )
    finally:
        await connection.close()
    after = SubscriberErased(subscriber_id=uuid.uuid4())
    await bus.publish(after)

    async def dead_lettered() -> bool:
        return await bus.dead_letters("mailer") == 1

    async def after_handled() -> bool:
        return await handled_count(sessions, "mailer") == 1

    await eventually(dead_lettered)
    await eventually(after_handled)
    assert handler.calls == Counter({after.event_id: 1})


async def test_an_event_no_consumer_is_bound_for_is_kept_as_unrouted(
    make_bus: MakeBus, sessions: async_sessionmaker[AsyncSession]
) -> None:
    bus = make_bus(sessions)
    bus.subscribe("mailer", SubscriberErased, Recorder())
    await bus.start()
    await record_events(sessions, change(1))  # nobody in this namespace consumes content changes

    assert await OutboxRelay(sessions, bus).publish_pending() == 1

    async def kept() -> bool:
        return await bus.unrouted() == 1

    await eventually(kept)
    assert await bus.dead_letters("mailer") == 0


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with migrated_postgres_database() as url:
        yield url


async def test_replicas_of_a_consumer_share_the_work_on_postgres(
    make_bus: MakeBus, postgres_url: str
) -> None:
    async with migrated_sessions(postgres_url) as sessions:
        handlers = [Recorder(), Recorder()]
        replicas = [make_bus(sessions), make_bus(sessions)]
        for bus, handler in zip(replicas, handlers, strict=True):
            bus.subscribe("mailer", SubscriberErased, handler)
            await bus.start()
        events = [SubscriberErased(subscriber_id=uuid.uuid4()) for _ in range(200)]
        await record_events(sessions, *events)

        assert await OutboxRelay(sessions, replicas[0], batch_size=200).publish_pending() == 200

        async def all_handled() -> bool:
            return await handled_count(sessions, "mailer") == 200

        await eventually(all_handled)
        calls = handlers[0].calls + handlers[1].calls
        assert calls == Counter({e.event_id: 1 for e in events})
        assert handlers[0].calls and handlers[1].calls  # both replicas took a share
        for bus in replicas:
            await bus.stop()


async def test_start_fails_clearly_when_the_broker_is_unreachable(
    make_bus: MakeBus, sessions: async_sessionmaker[AsyncSession], closed_port: int
) -> None:
    bus = make_bus(sessions, url=f"amqp://guest:secret@127.0.0.1:{closed_port}/")
    bus.subscribe("mailer", SubscriberErased, Recorder())

    with pytest.raises(
        BrokerUnavailable, match=f"cannot reach RabbitMQ at .*:{closed_port}"
    ) as err:
        await bus.start()
    assert "secret" not in str(err.value)
    assert not await bus.ping()


async def test_a_connect_cut_short_leaves_no_reconnecting_task_behind(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    # Accepts TCP and never answers, so the AMQP handshake waits until it is cut short.
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    bus = RabbitMqBus(
        f"amqp://guest:guest@127.0.0.1:{port}/",
        sessions,
        connect_timeout=30,
        reconnect_interval=0.05,
    )
    try:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(bus.start(), timeout=0.5)
        await asyncio.sleep(0.2)
        # aio-pika's reconnect loop would retry for ever, and it ignores the cancellation
        # that ends an event loop (a process shutting down would hang).
        reconnecting = [
            task
            for task in asyncio.all_tasks()
            if "connection_factory" in task.get_coro().__qualname__  # type: ignore[union-attr]
        ]
        assert reconnecting == []
    finally:
        await bus.stop()
        server.close()
        await server.wait_closed()


async def test_the_relay_keeps_events_while_the_broker_is_unreachable_and_catches_up(
    make_bus: MakeBus, sessions: async_sessionmaker[AsyncSession], closed_port: int
) -> None:
    events = [SubscriberErased(subscriber_id=uuid.uuid4()) for _ in range(3)]
    await record_events(sessions, *events)
    down = make_bus(sessions, url=f"amqp://guest:guest@127.0.0.1:{closed_port}/")

    assert await OutboxRelay(sessions, down).publish_pending() == 0

    rows = await outbox_rows(sessions)
    assert [(r.published_at, r.attempts) for r in rows] == [(None, 1)] * 3
    assert all("BrokerUnavailable" in (r.last_error or "") for r in rows)
    async with sessions() as session, session.begin():  # the retry falls due
        await session.execute(update(OutboxRow).values(next_attempt_at=datetime.now(UTC)))
    bus = make_bus(sessions)
    handler = Recorder()
    bus.subscribe("mailer", SubscriberErased, handler)
    await bus.start()

    assert await OutboxRelay(sessions, bus).publish_pending() == 3

    async def all_handled() -> bool:
        return await handled_count(sessions, "mailer") == 3

    await eventually(all_handled)
    assert handler.calls == Counter({e.event_id: 1 for e in events})
    assert all(row.published_at is not None for row in await outbox_rows(sessions))


async def test_stop_lets_an_in_flight_handler_finish_and_ack(
    make_bus: MakeBus, sessions: async_sessionmaker[AsyncSession]
) -> None:
    entered, release = asyncio.Event(), asyncio.Event()
    calls: list[uuid.UUID] = []

    async def slow(event: Any, session: AsyncSession) -> None:
        calls.append(event.event_id)
        entered.set()
        await release.wait()

    bus = make_bus(sessions)
    bus.subscribe("mailer", SubscriberErased, slow)
    await bus.start()
    event = SubscriberErased(subscriber_id=uuid.uuid4())
    await bus.publish(event)
    await asyncio.wait_for(entered.wait(), timeout=15)

    stopping = asyncio.create_task(bus.stop())
    await asyncio.sleep(0.1)
    assert not stopping.done()
    release.set()
    await stopping

    assert await handled_count(sessions, "mailer") == 1
    again = make_bus(sessions)  # a restarted process sees nothing left in the queue
    again.subscribe("mailer", SubscriberErased, slow)
    await again.start()
    marker = SubscriberErased(subscriber_id=uuid.uuid4())
    await again.publish(marker)

    async def marker_handled() -> bool:
        return marker.event_id in calls

    await eventually(marker_handled)
    assert calls == [event.event_id, marker.event_id]


async def test_stop_with_no_time_left_still_closes_a_broker_that_answers_without_a_word(
    make_bus: MakeBus,
    sessions: async_sessionmaker[AsyncSession],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Shutdown's grace may be spent before the bus stops (on a database that went silent): a
    # broker that answers is still closed, not said to be dropped.
    bus = make_bus(sessions)
    bus.subscribe("mailer", SubscriberErased, Recorder())
    await bus.start()
    caplog.set_level(logging.WARNING)
    await asyncio.wait_for(bus.stop(within=0.0), timeout=20)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_after_a_broker_outage_publishing_and_consuming_resume(
    make_bus: MakeBus, sessions: async_sessionmaker[AsyncSession], proxy: BrokerProxy
) -> None:
    bus = make_bus(sessions, url=proxy.url, publish_timeout=2.0, reconnect_interval=0.2)
    handler = Recorder()
    bus.subscribe("mailer", SubscriberErased, handler)
    await bus.start()
    relay = OutboxRelay(sessions, bus)
    before, during = (SubscriberErased(subscriber_id=uuid.uuid4()) for _ in range(2))
    await record_events(sessions, before)
    assert await relay.publish_pending() == 1

    async def first_handled() -> bool:
        return await handled_count(sessions, "mailer") == 1

    await eventually(first_handled)
    await proxy.cut()
    await record_events(sessions, during)

    assert await relay.publish_pending() == 0
    assert not await bus.ping()
    await proxy.start()
    await eventually(bus.ping)  # the robust connection comes back by itself
    async with sessions() as session, session.begin():  # the retry falls due
        await session.execute(update(OutboxRow).values(next_attempt_at=datetime.now(UTC)))

    assert await relay.publish_pending() == 1

    async def second_handled() -> bool:
        return await handled_count(sessions, "mailer") == 2

    await eventually(second_handled)
    assert handler.calls == Counter({before.event_id: 1, during.event_id: 1})
    await proxy.cut()
    await asyncio.wait_for(bus.stop(), timeout=20)  # stopping must not hang on a dead broker
