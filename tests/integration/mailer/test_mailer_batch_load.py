"""A batch claimed but not yet loaded is given back when the load is stopped or fails, rather
than left leased until its lease runs out.

PostgreSQL only: a lock on the people's table holds the load at a known point, which SQLite's
reads do not wait for.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.mailer.delivery import DeliveryWorker
from services.mailer.domain.ledger import DeliveryStatus
from services.mailer.domain.outcomes import SERVER_RETRY
from services.subscriptions.adapters.tables import Subscriber
from tests.integration.mailer.harness import Harness
from tests.support.databases import migrated_postgres_database

PEOPLE = ["person0@example.org", "person1@example.org"]


@pytest.fixture
def database_url() -> Iterator[str]:
    with migrated_postgres_database() as url:
        yield url


@pytest.fixture
async def people_locked(harness: Harness) -> AsyncIterator[AsyncConnection]:
    """Two alerts queued, and the people's table locked so a batch's load waits."""
    for address in PEOPLE:
        await harness.subscribe(address)
    await harness.seeded()
    await harness.change("Norge i verden: ny rapport")
    async with harness.runtime.engine.connect() as connection:
        await connection.begin()
        await connection.execute(
            text(f"LOCK TABLE {Subscriber.__tablename__} IN ACCESS EXCLUSIVE MODE")
        )
        yield connection
        await connection.rollback()


async def _loading(harness: Harness, worker: DeliveryWorker) -> asyncio.Task[int]:
    """Start the worker's pass; return once its batch is claimed and its load waits."""
    task = asyncio.create_task(worker.send_due())
    for _ in range(500):
        statuses = [d.status for d in await harness.deliveries("alert")]
        if statuses == [DeliveryStatus.SENDING] * len(PEOPLE) and await _waiting_on_lock(harness):
            return task
        await asyncio.sleep(0.01)
    raise AssertionError("the batch was never claimed with its load waiting")


async def _waiting_on_lock(harness: Harness) -> bool:
    async with harness.runtime.engine.connect() as connection:
        waiting = await connection.scalar(
            text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
        )
    return bool(waiting)


async def test_a_pass_stopped_while_loading_its_batch_hands_the_batch_back_due_at_once(
    harness: Harness, people_locked: AsyncConnection
) -> None:
    worker = harness.worker(harness.mailer.sender, concurrency=2, batch_size=2)
    task = await _loading(harness, worker)

    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await people_locked.rollback()

    alerts = await harness.deliveries("alert")
    assert [d.status for d in alerts] == [DeliveryStatus.QUEUED] * len(PEOPLE)
    assert all(d.lease_until is None and d.attempts == 0 for d in alerts)
    assert all(d.next_attempt_at == harness.clock.now() for d in alerts)
    assert harness.received() == []
    await harness.send_all()
    assert sorted(r for m in harness.received() for r in m.recipients) == PEOPLE


async def test_a_batch_whose_load_fails_waits_the_servers_pause_not_its_lease(
    harness: Harness, people_locked: AsyncConnection
) -> None:
    worker = harness.worker(harness.mailer.sender, concurrency=2, batch_size=2)
    task = await _loading(harness, worker)

    # The database drops the loading connection, as a restart or fail-over does.
    await people_locked.execute(
        text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        )
    )
    with pytest.raises(Exception) as failure:
        await task
    assert not isinstance(failure.value, AssertionError)
    await people_locked.rollback()

    alerts = await harness.deliveries("alert")
    assert [d.status for d in alerts] == [DeliveryStatus.QUEUED] * len(PEOPLE)
    assert all(d.lease_until is None and d.attempts == 0 for d in alerts)
    assert all(d.next_attempt_at == harness.clock.now() + SERVER_RETRY for d in alerts)
    assert harness.received() == []
    harness.clock.advance(SERVER_RETRY)
    await harness.send_all()
    assert sorted(r for m in harness.received() for r in m.recipients) == PEOPLE
