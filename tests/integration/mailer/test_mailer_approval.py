"""An approval's fan-out runs in the mailer's consumer of ``change.approved.v1``, exactly once.

The decision commits with its event (docs/decisions/0014); these tests deliver that event as the
broker may: twice, and after a consumer that failed half-way and rolled back. Real database
(SQLite and PostgreSQL), a real SMTP server on loopback, and real RabbitMQ for the distributed
mode.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from functools import partial

import pytest
from sqlalchemy import func, select

from services.mailer import command_api, fanout, read_api
from services.mailer.adapters import deliveries
from services.mailer.adapters.tables import Delivery
from services.mailer.domain.ledger import Batch
from services.mailer.entrypoints import consumers
from services.mailer.entrypoints.consumers import CONSUMER
from shared.db import scrub_deleted
from shared.events import ChangeApproved, decode_event
from shared.outbox import OutboxRow
from shared.outbox_relay import OutboxRelay
from shared.rabbitmq import RabbitMqBus
from tests.integration.bus.conftest import eventually
from tests.integration.mailer.harness import Harness, on
from tests.integration.mailer.review_support import DAILY, released, review_mode
from tests.support.broker import BROKER_URL, delete_topology
from tests.support.services import reachable, require

IMMEDIATE = ("kari@example.org", "per@example.org", "liv@example.org")


@pytest.fixture
async def approved(harness: Harness) -> tuple[Harness, ChangeApproved]:
    """Three immediate and one daily follower, and a held change approved but not yet relayed."""
    await review_mode(harness)
    for address in IMMEDIATE:
        await harness.subscribe(address)
    await harness.subscribe(DAILY, frequency="daily")
    await harness.seeded()
    change = await harness.change("Ny veileder", summary="Generert sammendrag.")
    await command_api.decide_change(
        harness.runtime,
        change.event_id,
        command_api.Decision.APPROVE,
        version=0,
        note="Fristen er flyttet.",
        actor="redaktor",
    )
    return harness, await _approval_event(harness, change.event_id)


async def _approval_event(harness: Harness, change_id: uuid.UUID) -> ChangeApproved:
    async with harness.runtime.sessions() as session:
        rows = await session.scalars(
            select(OutboxRow).where(OutboxRow.event_type == ChangeApproved.type_name())
        )
        (row,) = rows.all()
    event = decode_event(row.event_type, row.payload)
    assert isinstance(event, ChangeApproved) and event.change_id == change_id
    return event


async def _alerts_per_person(harness: Harness, change_id: uuid.UUID) -> list[int]:
    async with harness.runtime.sessions() as session:
        counts = await session.scalars(
            select(func.count())
            .select_from(Delivery)
            .where(Delivery.batch_key == Batch.alert(change_id).key)
            .group_by(Delivery.subscriber_id)
        )
        return list(counts.all())


async def test_the_decision_queues_nothing_itself_and_a_redelivered_event_fans_out_once(
    approved: tuple[Harness, ChangeApproved],
) -> None:
    harness, event = approved
    assert await _alerts_per_person(harness, event.change_id) == []
    assert await released(harness, event.change_id) == 0

    await harness.relay()
    await harness.runtime.bus.publish(event)  # the broker delivers it again
    await harness.runtime.bus.publish(event)

    assert await _alerts_per_person(harness, event.change_id) == [1, 1, 1]
    assert await released(harness, event.change_id) == 1, "one place, read once by digests"
    await harness.send_all()
    assert sorted(r for m in harness.received() for r in m.recipients) == sorted(IMMEDIATE)


async def test_the_desk_says_sent_once_the_fan_out_has_run(
    approved: tuple[Harness, ChangeApproved],
) -> None:
    harness, event = approved

    async def shown() -> str:
        async with harness.runtime.sessions() as session:
            change = await read_api.change_on_desk(session, event.change_id)
        assert change is not None
        return change.shown_status

    assert await shown() == "approved", "being sent: the event is not handled yet"
    await harness.relay()
    assert await shown() == "sent"
    async with harness.runtime.sessions() as session:
        (decided,) = await read_api.recent_decisions(session)
    assert decided.fanned_out_at == harness.clock.now()


async def test_an_approval_of_a_change_not_stored_is_logged_and_acknowledged(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    await harness.subscribe(IMMEDIATE[0])
    unknown = ChangeApproved(change_id=uuid.uuid4(), topics=("norge-i-verden",))
    with caplog.at_level(logging.WARNING, logger="services.mailer.handlers"):
        await harness.runtime.bus.publish(unknown)  # no exception: acknowledged, not retried
    assert f"approved change {unknown.change_id} is not stored" in caplog.text
    assert await _alerts_per_person(harness, unknown.change_id) == []
    assert await released(harness, unknown.change_id) == 0


async def test_an_approval_event_for_a_change_still_held_sends_nothing(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    await review_mode(harness)
    await harness.subscribe(IMMEDIATE[0])
    await harness.seeded()
    held = await harness.change("Ny veileder")
    event = ChangeApproved(change_id=held.event_id, topics=held.topics)
    with caplog.at_level(logging.WARNING, logger="services.mailer.handlers"):
        await harness.runtime.bus.publish(event)
    assert f"change {held.event_id} is waiting, not approved" in caplog.text
    assert await _alerts_per_person(harness, held.event_id) == []
    async with harness.runtime.sessions() as session:
        change = await read_api.change_on_desk(session, held.event_id)
    assert change is not None and change.shown_status == "waiting" and change.is_open


async def test_a_fan_out_cut_short_rolls_back_and_completes_once_on_redelivery(
    approved: tuple[Harness, ChangeApproved], monkeypatch: pytest.MonkeyPatch
) -> None:
    harness, event = approved
    monkeypatch.setattr(fanout, "FANOUT_BATCH", 1)  # one person per batch: fail after the first
    real_queue = deliveries.queue
    calls: list[int] = []

    async def queue_then_crash(
        session: object, subscriber_ids: Sequence[uuid.UUID], batch: Batch, now: object
    ) -> None:
        calls.append(len(subscriber_ids))
        if len(calls) > 1:
            raise ConnectionError("the mailer lost its database half-way")
        await real_queue(session, subscriber_ids, batch, now)  # type: ignore[arg-type]

    monkeypatch.setattr(deliveries, "queue", queue_then_crash)
    with pytest.raises(RuntimeError):
        await harness.runtime.bus.publish(event)
    assert len(calls) == 2, "the first batch was queued before the failure"
    assert await _alerts_per_person(harness, event.change_id) == [], "rolled back whole"
    assert await released(harness, event.change_id) == 0

    monkeypatch.setattr(deliveries, "queue", real_queue)
    await harness.runtime.bus.publish(event)  # redelivered after the failure
    await harness.runtime.bus.publish(event)  # and once more
    assert await _alerts_per_person(harness, event.change_id) == [1, 1, 1]
    assert await released(harness, event.change_id) == 1
    await harness.send_all()
    assert sorted(r for m in harness.received() for r in m.recipients) == sorted(IMMEDIATE)


@on("postgresql")
async def test_over_rabbitmq_the_approval_fans_out_once_however_often_it_arrives(
    approved: tuple[Harness, ChangeApproved],
) -> None:
    require(reachable("127.0.0.1", 5672), "RabbitMQ at 127.0.0.1:5672")
    harness, event = approved
    sessions = harness.runtime.sessions
    namespace = f"varsel.test.{uuid.uuid4().hex[:12]}"
    bus = RabbitMqBus(BROKER_URL, sessions, namespace=namespace)
    consumers.subscribe(
        bus,
        harness.mailer.deps,
        asyncio.Event(),
        after_erasure=partial(scrub_deleted, harness.runtime.engine),
    )
    await bus.start()
    try:
        assert await OutboxRelay(sessions, bus).publish_pending() == 1  # the approval's event

        async def fanned_out() -> bool:
            return await _alerts_per_person(harness, event.change_id) == [1, 1, 1]

        await eventually(fanned_out, within=60)
        await bus.publish(event)  # the broker delivers it again, twice
        await bus.publish(event)
        # One queue, in order: once a later approval is handled, both copies were seen.
        later = await harness.change("Ny tabell")
        await command_api.decide_change(
            harness.runtime,
            later.event_id,
            command_api.Decision.APPROVE,
            version=0,
            note=None,
            actor="redaktor",
        )
        assert await OutboxRelay(sessions, bus).publish_pending() == 1

        async def later_fanned_out() -> bool:
            return await _alerts_per_person(harness, later.event_id) == [1, 1, 1]

        await eventually(later_fanned_out, within=60)
    finally:
        await bus.stop()
        await asyncio.wait_for(delete_topology(BROKER_URL, namespace, {CONSUMER}), timeout=30)
    assert await _alerts_per_person(harness, event.change_id) == [1, 1, 1]
    assert await released(harness, event.change_id) == 1
