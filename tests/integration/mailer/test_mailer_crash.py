"""A worker stopped mid-batch: what it sent is recorded, the rest goes once, later."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import text

from services.mailer.adapters.senders import HandOver, MailSender
from services.mailer.delivery import LEASE
from tests.integration.mailer.harness import Harness, on


class StallingSender:
    """Passes the first ``limit`` mails to a real sender, then hangs like a stuck process."""

    def __init__(self, inner: MailSender, limit: int) -> None:
        self.inner = inner
        self.limit = limit
        self.sent = 0
        self.stalled = 0  # mails taken by a lane and hanging here

    async def send(
        self,
        sender: str,
        recipient: str,
        message: bytes,
        *,
        hand_over: HandOver | None = None,
        owner: uuid.UUID | None = None,
        transparent: bytes | None = None,
        then: tuple[str, str] | None = None,
    ) -> None:
        if self.sent >= self.limit:
            self.stalled += 1
            await asyncio.Event().wait()
        self.sent += 1
        await self.inner.send(
            sender,
            recipient,
            message,
            hand_over=hand_over,
            owner=owner,
            transparent=transparent,
            then=then,
        )

    def abandon(self) -> None:
        self.inner.abandon()

    def connections(self) -> int:
        return self.inner.connections()

    async def forget(self, owner: uuid.UUID) -> int:
        return await self.inner.forget(owner)

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
    # Stopped once three mails went and the lanes hold the other three: a mail no lane has
    # taken yet goes back to the queue at once when the batch stops, not after the lease.
    for _ in range(500):
        if len(harness.received()) == 3 and stalling.stalled == 3:
            break
        await asyncio.sleep(0.01)
    batch.cancel()  # the last hand-over's COMMIT may still be on its way
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


async def _sending_with_slow_marks(harness: Harness, timing: str) -> asyncio.Task[int]:
    """Queue one alert, make PostgreSQL slow at each mark's UPDATE or COMMIT, start a batch."""
    await harness.subscribe("kari@example.org")
    await harness.seeded()
    deferred = "DEFERRABLE INITIALLY DEFERRED" if timing == "commit" else ""
    statements = (
        "CREATE FUNCTION slow_mark() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN PERFORM pg_sleep(0.3); RETURN NULL; END $$",
        f"CREATE CONSTRAINT TRIGGER slow_mark AFTER UPDATE ON mail_deliveries {deferred} "
        "FOR EACH ROW WHEN (NEW.status = 'sent') EXECUTE FUNCTION slow_mark()",
    )
    async with harness.runtime.sessions() as session, session.begin():
        for statement in statements:
            await session.execute(text(statement))
    await harness.change("Norge i verden: ny rapport")
    return asyncio.create_task(harness.mailer.worker.send_due())


async def _marking(harness: Harness) -> bool:
    """Tell whether a mark is running in PostgreSQL right now."""
    async with harness.runtime.sessions() as session:
        running = await session.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND state = 'active' "
                "AND query LIKE 'UPDATE mail_deliveries SET status = ''sent''%'"
            )
        )
    return bool(running)


@on("postgresql")
async def test_a_batch_stopped_while_its_hand_over_commits_ends_with_the_mail_recorded(
    harness: Harness,
) -> None:
    batch = await _sending_with_slow_marks(harness, "commit")
    for _ in range(500):
        if harness.received():
            break
        await asyncio.sleep(0.01)
    assert len(harness.received()) == 1
    batch.cancel()  # its final dot went out; the COMMIT takes another 0.3 s
    with pytest.raises(asyncio.CancelledError):
        await batch

    assert [d.status for d in await harness.deliveries("alert")] == ["sent"]


@on("postgresql")
async def test_a_batch_stopped_while_its_mark_runs_queues_the_withdrawn_mail_again(
    harness: Harness,
) -> None:
    batch = await _sending_with_slow_marks(harness, "update")
    for _ in range(500):
        if await _marking(harness):
            break
        await asyncio.sleep(0.01)
    batch.cancel()  # before the final dot: the mark commits, the mail does not go
    with pytest.raises(asyncio.CancelledError):
        await batch

    assert [d.status for d in await harness.deliveries("alert")] == ["queued"]
    await asyncio.sleep(0.2)  # a mail wrongly handed over would arrive now
    assert harness.received() == []
    await harness.send_all()
    assert len(harness.received_by("kari@example.org")) == 1
