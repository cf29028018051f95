"""The EventBus contract, run against every implementation: in-process and RabbitMQ."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.bus import EventBus, InProcessBus, after_commit
from shared.events import SignupRequested, SubscriberErased
from shared.inbox import ProcessedEvent
from shared.outbox import OutboxRow, backlog, record
from shared.outbox_relay import OutboxRelay
from tests.integration.bus.conftest import MakeBus, eventually, handled_count


@pytest.fixture(params=["in-process", "rabbitmq"])
def bus(request: pytest.FixtureRequest, sessions: async_sessionmaker[AsyncSession]) -> EventBus:
    """Each EventBus implementation on the same migrated database."""
    if request.param == "in-process":
        return InProcessBus(sessions)
    make_bus: MakeBus = request.getfixturevalue("make_bus")
    return make_bus(sessions)


async def test_each_consumer_handles_each_outbox_event_once(
    bus: EventBus, sessions: async_sessionmaker[AsyncSession]
) -> None:
    seen: dict[str, Counter[uuid.UUID]] = {"mailer": Counter(), "audit": Counter()}

    def handler_for(consumer: str) -> Any:
        async def handle(event: SubscriberErased, session: AsyncSession) -> None:
            seen[consumer][event.event_id] += 1

        return handle

    for consumer in seen:
        bus.subscribe(consumer, SubscriberErased, handler_for(consumer))
    await bus.start()
    events = [SubscriberErased(subscriber_id=uuid.uuid4()) for _ in range(3)]
    async with sessions() as session, session.begin():
        await record(session, *events)

    assert await OutboxRelay(sessions, bus).publish_pending() == 3
    await bus.publish(events[0])  # at least once: a second delivery changes nothing

    async def all_handled() -> bool:
        counts = [await handled_count(sessions, consumer) for consumer in seen]
        return counts == [3, 3]

    await eventually(all_handled)
    expected = Counter({event.event_id: 1 for event in events})
    assert seen == {"mailer": expected, "audit": expected}
    await bus.stop()


async def test_the_relay_publishes_a_burst_of_commits_in_one_pass(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    bus = InProcessBus(sessions)
    handled: list[uuid.UUID] = []

    async def handle(event: SubscriberErased, session: AsyncSession) -> None:
        handled.append(event.event_id)

    bus.subscribe("mailer", SubscriberErased, handle)
    await bus.start()
    relay = OutboxRelay(sessions, bus, poll_seconds=60, gather_seconds=0.3)
    passes: list[int] = []
    publish = relay.publish_pending

    async def counted() -> int:
        passes.append(published := await publish())
        return published

    relay.publish_pending = counted  # type: ignore[method-assign]
    stop = asyncio.Event()
    running = asyncio.create_task(relay.run(stop))

    async def first_pass_done() -> bool:
        return len(passes) >= 1

    await eventually(first_pass_done)
    for _ in range(5):  # five commits in quick succession, each waking the relay
        async with sessions() as session, session.begin():
            await record(session, SubscriberErased(subscriber_id=uuid.uuid4()))
        relay.wake()
        await asyncio.sleep(0.01)

    async def all_handled() -> bool:
        return len(handled) == 5

    await eventually(all_handled)
    stop.set()
    await running
    await bus.stop()
    assert passes[0] == 0 and [p for p in passes if p] == [5]


async def test_a_bus_takes_what_its_consumers_subscribed_to(bus: EventBus) -> None:
    async def handle(event: SubscriberErased, session: AsyncSession) -> None:
        """Receive nothing: only the subscription matters here."""

    bus.subscribe("mailer", SubscriberErased, handle)
    assert bus.takes(SubscriberErased.type_name())


async def test_the_relay_passes_an_event_no_consumer_in_process_takes_without_delivering_it(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    erased = SubscriberErased(subscriber_id=uuid.uuid4())
    signup = SignupRequested(subscriber_id=uuid.uuid4(), request_id=uuid.uuid4())
    async with sessions() as session, session.begin():
        await record(session, signup, erased)
    bus = InProcessBus(sessions)
    seen = Counter[str]()

    async def count(event: SubscriberErased, session: AsyncSession) -> None:
        seen[event.type_name()] += 1

    bus.subscribe("subscriptions", SubscriberErased, count)

    assert not bus.takes(SignupRequested.type_name())
    assert await OutboxRelay(sessions, bus).publish_pending() == 2
    assert seen == {SubscriberErased.type_name(): 1}
    async with sessions() as session:
        assert (await backlog(session)).pending == 0, "neither is left to publish again"


async def test_an_event_of_a_type_this_release_does_not_know_is_put_off_not_passed(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    # Written by a newer release (a rollback, say): kept for a relay that knows it.
    async with sessions() as session, session.begin():
        session.add(
            OutboxRow(
                event_id=str(uuid.uuid4()),
                event_type="future.event.v9",
                payload="{}",
                occurred_at=datetime.now(UTC),
            )
        )
    bus = InProcessBus(sessions)
    assert await OutboxRelay(sessions, bus).publish_pending() == 0
    async with sessions() as session:
        row = (await session.scalars(select(OutboxRow))).one()
    assert row.published_at is None
    assert row.attempts == 1 and "unknown event type" in (row.last_error or "")


async def test_a_step_left_for_after_the_commit_sees_the_work_committed_and_runs_once(
    bus: EventBus, sessions: async_sessionmaker[AsyncSession]
) -> None:
    # Each step's event, and whether that event's inbox row was committed when the step ran,
    # read from a connection of its own.
    seen: list[tuple[uuid.UUID, bool]] = []

    async def committed(event_id: uuid.UUID) -> bool:
        async with sessions() as session:
            query = select(ProcessedEvent.event_id).where(
                ProcessedEvent.consumer == "mailer", ProcessedEvent.event_id == str(event_id)
            )
            return await session.scalar(query) is not None

    async def handle(event: SubscriberErased, session: AsyncSession) -> None:
        async def step() -> None:
            seen.append((event.event_id, await committed(event.event_id)))

        after_commit(session, step)

    bus.subscribe("mailer", SubscriberErased, handle)
    await bus.start()
    first, second = (SubscriberErased(subscriber_id=uuid.uuid4()) for _ in range(2))
    await bus.publish(first)
    await bus.publish(first)  # delivered again: skipped, and so is its step
    await bus.publish(second)

    async def both_handled() -> bool:
        return await handled_count(sessions, "mailer") == 2 and len(seen) >= 2

    await eventually(both_handled)
    await bus.stop()
    # RabbitMQ hands a consumer several messages at once: the steps may run in either order,
    # and one may see the other event committed too. Each ran once, after its own commit.
    assert Counter(event_id for event_id, _ in seen) == {first.event_id: 1, second.event_id: 1}
    assert all(done for _, done in seen)


async def test_a_step_after_the_commit_runs_not_when_the_handler_fails_and_fails_nothing(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    bus = InProcessBus(sessions)
    ran: list[str] = []

    async def fails(event: SubscriberErased, session: AsyncSession) -> None:
        async def step() -> None:
            ran.append("after a rollback")

        after_commit(session, step)
        raise RuntimeError("the handler fails after leaving its step")

    async def step_fails(event: SubscriberErased, session: AsyncSession) -> None:
        async def step() -> None:
            ran.append("failing step")
            raise RuntimeError("the step fails")

        after_commit(session, step)

    bus.subscribe("mailer", SubscriberErased, fails)
    bus.subscribe("audit", SubscriberErased, step_fails)
    with pytest.raises(RuntimeError, match="1 handler"):
        await bus.publish(SubscriberErased(subscriber_id=uuid.uuid4()))
    assert ran == ["failing step"]
    # The failing step's event stands as handled; the failed handler's is not.
    assert await handled_count(sessions, "audit") == 1
    assert await handled_count(sessions, "mailer") == 0
