"""On PostgreSQL a second group of hand-overs starts while the first waits for its COMMIT, so
one slow group (a flush, a row lock) does not hold every connection's next mail; and a mark
withdrawn from a group is queued again after that group's own COMMIT, whatever the other does.

PostgreSQL only: SQLite takes one writer at a time, and there a second group would only queue.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import text

from services.mailer.adapters.handover import HandOverLedger
from services.mailer.adapters.tables import Delivery
from tests.integration.mailer.harness import Harness
from tests.support.databases import migrated_postgres_database

PEOPLE = ["kari@example.org", "ola@example.org"]


@pytest.fixture
def database_url() -> Iterator[str]:
    with migrated_postgres_database() as url:
        yield url


class Releases:
    """The deliveries whose final dot the ledger wrote, in order."""

    def __init__(self) -> None:
        self.ids: list[int] = []

    def of(self, delivery_id: int) -> Callable[[], None]:
        return lambda: self.ids.append(delivery_id)


async def _update_waits_on_a_lock(harness: Harness) -> None:
    for _ in range(500):
        async with harness.runtime.engine.connect() as connection:
            waiting = await connection.scalar(
                text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
            )
        if waiting:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the first group's mark never waited on the lock")


async def test_a_group_held_up_does_not_hold_up_the_next_mails(harness: Harness) -> None:
    for address in PEOPLE:
        await harness.subscribe(address)
    await harness.seeded()
    await harness.change("Norge i verden: ny rapport")
    first, second = await harness.mailer.worker.claim()
    ledger = HandOverLedger(harness.runtime.engine, harness.clock)
    released = Releases()

    async with harness.runtime.engine.connect() as blocker:
        await blocker.begin()
        await blocker.execute(
            text(f"SELECT id FROM {Delivery.__tablename__} WHERE id = :id FOR UPDATE"),
            {"id": first.id},
        )
        held = asyncio.create_task(
            ledger.mark_sent(first.id, first.lease_until, released.of(first.id))
        )
        await _update_waits_on_a_lock(harness)

        await asyncio.wait_for(
            ledger.mark_sent(second.id, second.lease_until, released.of(second.id)),
            10,
        )
        assert released.ids == [second.id], "the second mail went while the first group waited"
        assert not held.done()
        await blocker.rollback()

    await asyncio.wait_for(held, 10)
    await ledger.settled()
    assert released.ids == [second.id, first.id]
    assert [d.status for d in await harness.deliveries("alert")] == ["sent", "sent"]


async def test_a_mark_withdrawn_while_its_group_commits_beside_another_is_queued_again(
    harness: Harness,
) -> None:
    for address in [*PEOPLE, "per@example.org"]:
        await harness.subscribe(address)
    await harness.seeded()
    await harness.change("Norge i verden: ny rapport")
    x, y, z = await harness.mailer.worker.claim()
    async with harness.runtime.engine.begin() as connection:
        # The first group's COMMIT made slow, as a flush of the log under load is: a deferred
        # trigger sleeps at commit time for y's mark.
        await connection.execute(
            text(
                "CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql "
                "AS $$ BEGIN PERFORM pg_sleep(1); RETURN NULL; END $$"
            )
        )
        await connection.execute(
            text(
                f"CREATE CONSTRAINT TRIGGER slow_commit AFTER UPDATE ON {Delivery.__tablename__} "
                "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
                f"WHEN (NEW.id = {y.id} AND NEW.status = 'sent') EXECUTE FUNCTION slow_commit()"
            )
        )
    ledger = HandOverLedger(harness.runtime.engine, harness.clock)
    released = Releases()
    stopped = asyncio.create_task(ledger.mark_sent(x.id, x.lease_until, released.of(x.id)))
    slow = asyncio.create_task(ledger.mark_sent(y.id, y.lease_until, released.of(y.id)))
    await asyncio.sleep(0)  # both joined the first group
    stopped.cancel()  # x's sender stops before its dot: x must end up queued, not sent
    await asyncio.sleep(0.3)  # the first group's COMMIT waits in the trigger
    await ledger.mark_sent(z.id, z.lease_until, released.of(z.id))  # a second group, meanwhile
    await asyncio.wait_for(slow, 10)
    await ledger.settled()

    assert sorted(released.ids) == sorted([y.id, z.id])
    statuses = {d.id: d.status for d in await harness.deliveries("alert")}
    assert statuses == {x.id: "queued", y.id: "sent", z.id: "sent"}
