"""The hand-over record before the final dot: a fence against stale workers, and never a loss.

Each mail is marked sent between its content and the final "." of DATA, and only while the
worker's lease is current (docs/decisions/0008-record-before-the-final-dot.md).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from services.mailer.adapters.handover import HandOverLedger
from services.mailer.adapters.senders import HandOverRefused
from services.mailer.delivery import LEASE
from tests.integration.mailer.faults import GatedSender
from tests.integration.mailer.harness import Harness

ADDRESS = "kari@example.org"


async def _one_alert(harness: Harness) -> None:
    await harness.subscribe(ADDRESS)
    await harness.seeded()
    await harness.change("Norge i verden: ny rapport")


async def test_a_worker_stalled_past_its_lease_cannot_send_what_another_took_over(
    harness: Harness,
) -> None:
    await _one_alert(harness)
    gated = GatedSender(harness.mailer.sender)
    stalled = harness.worker(gated, concurrency=2)
    batch = asyncio.create_task(stalled.send_due())
    await asyncio.wait_for(gated.reached.wait(), 10)

    harness.clock.advance(LEASE + timedelta(seconds=1))
    await harness.send_all()  # another worker takes the expired lease and sends
    assert len(harness.received_by(ADDRESS)) == 1

    gated.gate.set()  # the stalled worker wakes up with its old lease
    assert await asyncio.wait_for(batch, 10) == 1
    await asyncio.sleep(0.2)  # a mail wrongly sent would arrive now
    assert len(harness.received_by(ADDRESS)) == 1
    (delivery,) = await harness.deliveries("alert")
    assert (delivery.status, delivery.attempts) == ("sent", 0)


async def test_a_ledger_that_cannot_record_the_hand_over_holds_the_mail(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _one_alert(harness)

    async def unreachable(self: HandOverLedger, group: object) -> None:
        raise ConnectionRefusedError("the database is restarting")

    with monkeypatch.context() as patched:
        patched.setattr(HandOverLedger, "_mark_and_release", unreachable)
        await harness.send_all()
    await asyncio.sleep(0.2)
    assert harness.received() == [], "the mail was withdrawn before its final dot"
    (delivery,) = await harness.deliveries("alert")
    assert delivery.status == "queued" and delivery.attempts == 0
    assert delivery.last_error is not None and "ConnectionRefusedError" in delivery.last_error

    harness.clock.advance(timedelta(seconds=30))
    await harness.send_all()
    assert len(harness.received_by(ADDRESS)) == 1
    (delivery,) = await harness.deliveries("alert")
    assert delivery.status == "sent"


class Releases:
    """Counts the hand-overs the ledger completed."""

    def __init__(self) -> None:
        self.count = 0

    def release(self) -> None:
        self.count += 1


async def test_a_mark_whose_sender_was_cancelled_is_undone(harness: Harness) -> None:
    await _one_alert(harness)
    (claimed,) = await harness.mailer.worker.claim()
    ledger = HandOverLedger(harness.runtime.engine, harness.clock)
    releases = Releases()

    marking = asyncio.create_task(
        ledger.mark_sent(claimed.id, claimed.lease_until, releases.release)
    )
    await asyncio.sleep(0)  # the mark is queued and its transaction started
    marking.cancel()
    with pytest.raises(asyncio.CancelledError):
        await marking
    await ledger.settled()

    assert releases.count == 0, "a cancelled sender's mail is not handed over"
    (delivery,) = await harness.deliveries("alert")
    assert (delivery.status, delivery.sent_at) == ("queued", None)
    await harness.send_all()
    assert len(harness.received_by(ADDRESS)) == 1


async def test_a_mark_with_a_lease_that_is_not_current_is_refused(harness: Harness) -> None:
    await _one_alert(harness)
    (claimed,) = await harness.mailer.worker.claim()
    ledger = HandOverLedger(harness.runtime.engine, harness.clock)
    releases = Releases()
    stale = claimed.lease_until - timedelta(microseconds=1)

    with pytest.raises(HandOverRefused) as refused:
        await ledger.mark_sent(claimed.id, stale, releases.release)
    assert refused.value.lease_lost and releases.count == 0
    await ledger.mark_sent(claimed.id, claimed.lease_until, releases.release)
    assert releases.count == 1
    with pytest.raises(HandOverRefused):  # marked once, never twice
        await ledger.mark_sent(claimed.id, claimed.lease_until, releases.release)
    assert releases.count == 1
    (delivery,) = await harness.deliveries("alert")
    assert delivery.status == "sent"


async def test_a_release_that_fails_puts_the_mail_back(harness: Harness) -> None:
    await _one_alert(harness)
    (claimed,) = await harness.mailer.worker.claim()
    ledger = HandOverLedger(harness.runtime.engine, harness.clock)

    def connection_gone() -> None:
        raise ConnectionResetError("the SMTP connection closed before the final dot")

    with pytest.raises(HandOverRefused):
        await ledger.mark_sent(claimed.id, claimed.lease_until, connection_gone)
    await ledger.settled()
    (delivery,) = await harness.deliveries("alert")
    assert delivery.status == "queued"
    await harness.send_all()
    assert len(harness.received_by(ADDRESS)) == 1
