"""The next batch is claimed while the current one's last mails are in flight: a worker that
stops, or whose server goes down, hands that batch back unsent, and the next batch is sent."""

from __future__ import annotations

import asyncio

import pytest

from services.mailer.adapters.senders import ServerUnavailable
from services.mailer.delivery import DeliveryWorker
from services.mailer.domain.ledger import DeliveryStatus
from services.mailer.domain.outcomes import SERVER_RETRY
from tests.integration.mailer.faults import GatedSender
from tests.integration.mailer.harness import Harness

PEOPLE = [f"person{i}@example.org" for i in range(4)]


def _recipients(harness: Harness) -> list[str]:
    return sorted(r for m in harness.received() for r in m.recipients)


async def _sending(
    harness: Harness, *, first_gated: int, concurrency: int, batch_size: int
) -> tuple[GatedSender, DeliveryWorker, asyncio.Task[int]]:
    """Queue four alerts and start a worker's pass through a gated sender."""
    gate = GatedSender(harness.mailer.sender, first_gated=first_gated)
    for address in PEOPLE:
        await harness.subscribe(address)
    await harness.seeded()
    await harness.change("Norge i verden: ny rapport")
    worker = harness.worker(gate, concurrency=concurrency, batch_size=batch_size)
    return gate, worker, asyncio.create_task(worker.send_due())


async def _second_batch_claimed(
    harness: Harness,
) -> tuple[GatedSender, DeliveryWorker, asyncio.Task[int]]:
    """Queue four alerts and start a worker on batches of two; return once the second batch
    is claimed while the first batch's second mail waits at the gate."""
    gate, worker, batch = await _sending(harness, first_gated=2, concurrency=2, batch_size=2)
    statuses: list[str] = []
    for _ in range(500):
        statuses = [d.status for d in await harness.deliveries("alert")]
        if statuses == [DeliveryStatus.SENT] + [DeliveryStatus.SENDING] * 3:
            return gate, worker, batch
        await asyncio.sleep(0.01)
    raise AssertionError(f"the next batch was never claimed: {statuses}")


async def test_a_worker_stopped_with_the_next_batch_claimed_hands_it_back_due_at_once(
    harness: Harness,
) -> None:
    gate, worker, batch = await _second_batch_claimed(harness)

    # The stop comes while the first batch's last mail is in flight: that mail still goes.
    worker.stop.set()
    gate.gate.set()
    assert await batch == 2

    alerts = await harness.deliveries("alert")
    assert [d.status for d in alerts] == [DeliveryStatus.SENT] * 2 + [DeliveryStatus.QUEUED] * 2
    assert all(d.next_attempt_at == harness.clock.now() and d.attempts == 0 for d in alerts[2:])
    assert all(d.lease_until is None for d in alerts)
    assert len(harness.received()) == 2
    # Due at once, not held by a lease: another worker sends them now, each once.
    await harness.send_all()
    assert _recipients(harness) == sorted(PEOPLE)


async def test_a_server_down_with_the_next_batch_claimed_holds_that_batch_untried(
    harness: Harness,
) -> None:
    gate, worker, batch = await _second_batch_claimed(harness)

    gate.failure = ServerUnavailable("connection refused")
    gate.gate.set()
    assert await batch == 2
    assert gate.calls == 2, "nothing of the next batch was tried"

    alerts = await harness.deliveries("alert")
    assert [d.status for d in alerts] == [DeliveryStatus.SENT] + [DeliveryStatus.QUEUED] * 3
    retry_at = harness.clock.now() + SERVER_RETRY
    assert all(d.next_attempt_at == retry_at and d.attempts == 0 for d in alerts[1:])
    assert await worker.send_due() == 0, "held for the server's retry, not claimed again"
    harness.clock.advance(SERVER_RETRY)
    await harness.send_all()
    assert _recipients(harness) == sorted(PEOPLE)


async def test_a_prefetched_batch_is_sent_by_the_next_pass(
    harness: Harness,
) -> None:
    gate, worker, batch = await _second_batch_claimed(harness)
    gate.gate.set()
    assert await batch == 2
    assert len(harness.received()) == 2

    assert await worker.send_due() == 2
    assert await worker.send_due() == 0
    assert {d.status for d in await harness.deliveries("alert")} == {DeliveryStatus.SENT}
    assert _recipients(harness) == sorted(PEOPLE)


async def test_a_pass_cancelled_mid_batch_gives_back_the_mails_no_lane_took(
    harness: Harness,
) -> None:
    gate, _, batch = await _sending(harness, first_gated=1, concurrency=1, batch_size=4)
    await asyncio.wait_for(gate.reached.wait(), 10)

    batch.cancel()  # as a shutdown's grace period ending does
    with pytest.raises(asyncio.CancelledError):
        await batch

    alerts = await harness.deliveries("alert")
    # The first mail was in the lane's hand: it waits for its lease. The rest are due now.
    assert alerts[0].status == DeliveryStatus.SENDING
    assert [d.status for d in alerts[1:]] == [DeliveryStatus.QUEUED] * 3
    assert all(
        d.next_attempt_at == harness.clock.now() and d.lease_until is None for d in alerts[1:]
    )
    assert harness.received() == []
