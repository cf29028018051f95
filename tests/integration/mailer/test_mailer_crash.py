"""A worker stopped mid-batch: what it sent is recorded, the rest goes once, later."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from services.mailer.adapters.senders import HandOver, MailSender
from services.mailer.delivery import LEASE
from tests.integration.mailer.harness import Harness


class StallingSender:
    """Passes the first ``limit`` mails to a real sender, then hangs like a stuck process."""

    def __init__(self, inner: MailSender, limit: int) -> None:
        self.inner = inner
        self.limit = limit
        self.sent = 0

    async def send(
        self, sender: str, recipient: str, message: bytes, *, hand_over: HandOver | None = None
    ) -> None:
        if self.sent >= self.limit:
            await asyncio.Event().wait()
        self.sent += 1
        await self.inner.send(sender, recipient, message, hand_over=hand_over)

    async def close(self) -> None:
        await self.inner.close()


async def test_a_worker_stopped_mid_batch_loses_nothing_and_duplicates_nothing(
    harness: Harness,
) -> None:
    people = [f"person{i}@example.org" for i in range(6)]
    for address in people:
        await harness.subscribe(address)
    await harness.seeded()
    await harness.change("Norge i verden: ny rapport")
    stalling = StallingSender(harness.mailer.sender, limit=3)
    worker = harness.worker(stalling, concurrency=4)

    batch = asyncio.create_task(worker.send_due())
    for _ in range(500):
        if len(harness.received()) == 3:
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)  # let the in-flight group commit land
    batch.cancel()
    with pytest.raises(asyncio.CancelledError):
        await batch

    statuses = sorted(d.status for d in await harness.deliveries("alert"))
    assert statuses == ["sending"] * 3 + ["sent"] * 3
    await harness.send_all()
    assert len(harness.received()) == 3, "the stopped worker's lease still holds the rest"

    harness.clock.advance(LEASE + timedelta(seconds=1))
    await harness.send_all()
    assert sorted(r for m in harness.received() for r in m.recipients) == sorted(people)
    assert {d.status for d in await harness.deliveries("alert")} == {"sent"}
