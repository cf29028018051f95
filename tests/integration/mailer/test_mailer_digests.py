"""Digests on a frozen clock: period edges, daylight saving, crashes, missed runs, changes."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from services.mailer.adapters.tables import DigestCursor, DigestRun
from services.mailer.digests import DigestRunner
from services.mailer.domain.periods import Period
from tests.integration.mailer.digests_support import ADDRESS, change_at, digest_now, runner, titles
from tests.integration.mailer.harness import Harness, at, on

PERIODS = {
    # name: (frequency, previous run, changes inside the period, its run, the run after)
    "daily-november": (
        "daily",
        "2026-11-22T06:00:00+00:00",
        ["2026-11-22T06:00:00+00:00", "2026-11-23T05:59:59+00:00"],
        "2026-11-23T06:00:00+00:00",
        "2026-11-24T06:00:00+00:00",
    ),
    "daily-spring-forward": (
        "daily",
        "2026-03-28T06:00:00+00:00",
        ["2026-03-29T00:59:59+00:00", "2026-03-29T04:59:59+00:00"],
        "2026-03-29T05:00:00+00:00",
        "2026-03-30T05:00:00+00:00",
    ),
    "daily-fall-back": (
        "daily",
        "2026-10-24T05:00:00+00:00",
        ["2026-10-25T00:30:00+00:00", "2026-10-25T01:30:00+00:00", "2026-10-25T05:59:59+00:00"],
        "2026-10-25T06:00:00+00:00",
        "2026-10-26T06:00:00+00:00",
    ),
    "weekly-spring-forward": (
        "weekly",
        "2026-03-23T06:00:00+00:00",
        ["2026-03-29T04:59:59+00:00", "2026-03-30T04:59:59+00:00"],
        "2026-03-30T05:00:00+00:00",
        "2026-04-06T05:00:00+00:00",
    ),
    "weekly-fall-back": (
        "weekly",
        "2026-10-19T05:00:00+00:00",
        ["2026-10-25T01:30:00+00:00", "2026-10-26T05:59:59+00:00"],
        "2026-10-26T06:00:00+00:00",
        "2026-11-02T06:00:00+00:00",
    ),
}


@pytest.mark.parametrize(
    ("database_url", "name"),
    [("sqlite", name) for name in sorted(PERIODS)]
    + [("postgresql", "daily-spring-forward"), ("postgresql", "weekly-fall-back")],
    indirect=["database_url"],
)
async def test_a_change_belongs_to_exactly_one_period_at_07_oslo_time(
    harness: Harness, name: str
) -> None:
    frequency, previous, inside, run, following = PERIODS[name]
    harness.clock.set(at(previous) - timedelta(days=2))
    await harness.subscribe(ADDRESS, frequency=frequency)  # type: ignore[arg-type]
    await harness.seeded()
    await change_at(harness, (at(previous) - timedelta(seconds=1)).isoformat(), "Endring 0")
    harness.clock.set(at(previous))
    await digest_now(harness)
    assert titles(harness) == [["Endring 0"]]

    for n, moment in enumerate(inside, start=1):
        await change_at(harness, moment, f"Endring {n}")
    harness.clock.set(at(run) - timedelta(seconds=1))
    await digest_now(harness)
    assert len(titles(harness)) == 1, "the period is not over one second before 07:00 in Oslo"

    await change_at(harness, run, "Endring at-run-time")  # exactly 07:00: the next period
    await digest_now(harness)
    expected = sorted(f"Endring {n}" for n in range(1, len(inside) + 1))
    assert titles(harness)[1:] == [expected]

    harness.clock.set(at(following))
    await digest_now(harness)
    assert titles(harness)[2:] == [["Endring at-run-time"]]
    await digest_now(harness)
    assert len(titles(harness)) == 3, "a period runs once"


class DyingRunner(DigestRunner):
    """A digest run that dies after its first page of subscribers."""

    pages = 0

    async def _queue_page(self, *args: object, **kwargs: object) -> int:
        if self.pages == 1:
            raise RuntimeError("killed half-way")
        self.pages += 1
        return await super()._queue_page(*args, **kwargs)  # type: ignore[arg-type]


async def daily_people_owed_one_change(harness: Harness, count: int) -> list[str]:
    """Subscribe ``count`` daily people, record one change, and move to their digest's time."""
    harness.clock.set(at("2026-11-22T10:00:00+00:00"))
    people = [f"person{i}@example.org" for i in range(count)]
    for address in people:
        await harness.subscribe(address, frequency="daily")
    await harness.seeded()
    await harness.change("Endring 1")
    harness.clock.set(at("2026-11-23T06:00:00+00:00"))
    return people


async def test_a_run_killed_half_way_is_resumed_without_duplicates(harness: Harness) -> None:
    people = await daily_people_owed_one_change(harness, 5)
    with pytest.raises(RuntimeError, match="killed half-way"):
        await runner(harness, DyingRunner, page_size=2).run_due()
    await harness.send_all()
    assert len(harness.received()) == 2, "the first page was queued and is sent"

    harness.clock.advance(timedelta(minutes=1))
    await digest_now(harness)
    await digest_now(harness)
    assert sorted(r for m in harness.received() for r in m.recipients) == sorted(people)
    async with harness.runtime.sessions() as session:
        run = await session.scalar(select(DigestRun).where(DigestRun.frequency == "daily"))
    assert run is not None and run.status == "done"


@on("postgresql")
async def test_two_replicas_resuming_one_run_at_once_queue_each_digest_once(
    harness: Harness,
) -> None:
    people = await daily_people_owed_one_change(harness, 8)
    with pytest.raises(RuntimeError, match="killed half-way"):
        await runner(harness, DyingRunner, page_size=1).run_due()  # leaves the period "running"
    # Two mailers start together and both resume it, page by page, interleaved.
    first, second = (runner(harness, DigestRunner, page_size=1) for _ in range(2))
    queued = await asyncio.gather(first.run_due(), second.run_due())
    await harness.send_all()

    assert sum(queued) == len(people) - 1, "each digest counted by the replica that queued it"
    assert sorted(r for m in harness.received() for r in m.recipients) == sorted(people)


async def test_after_three_days_down_one_digest_carries_everything(harness: Harness) -> None:
    harness.clock.set(at("2026-11-20T10:00:00+00:00"))
    await harness.subscribe(ADDRESS, frequency="daily")
    await harness.seeded()
    for day in (20, 21, 22):
        await change_at(harness, f"2026-11-{day}T10:00:00+00:00", f"Endring {day}")
    harness.clock.set(at("2026-11-23T08:00:00+00:00"))  # back up after three missed runs
    await digest_now(harness)
    assert titles(harness) == [["Endring 20", "Endring 21", "Endring 22"]]
    harness.clock.set(at("2026-11-24T08:00:00+00:00"))
    await digest_now(harness)
    assert len(titles(harness)) == 1, "nothing owed: no empty digest"


def stated_periods(harness: Harness, address: str = ADDRESS) -> list[str]:
    """Return, per mail the address got, the window its text says it covers."""
    found = []
    for mail in harness.received_by(address):
        plain = mail.message.get_body(preferencelist=("plain",))
        assert plain is not None
        lines = plain.get_content().splitlines()
        found.extend(line.strip() for line in lines if line.startswith("Endringer fra "))
    return found


async def test_a_made_up_digest_states_a_window_that_holds_its_changes(harness: Harness) -> None:
    harness.clock.set(at("2026-12-04T09:00:00+00:00"))
    await harness.subscribe(ADDRESS, frequency="daily")
    await harness.seeded()
    await change_at(harness, "2026-12-04T10:00:00+00:00", "Endring 4")
    await change_at(harness, "2026-12-06T12:30:00+00:00", "Endring 6")
    # The runs of 5 and 6 December were missed; the one of the 7th carries both changes.
    harness.clock.set(at("2026-12-07T08:00:00+00:00"))
    await digest_now(harness)
    await change_at(harness, "2026-12-07T09:00:00+00:00", "Endring 7")
    harness.clock.set(at("2026-12-08T06:00:00+00:00"))
    await digest_now(harness)

    assert titles(harness) == [["Endring 4", "Endring 6"], ["Endring 7"]]
    assert stated_periods(harness) == [
        "Endringer fra 4. desember 2026, 11:00 til 7. desember 2026, 07:00.",
        # A digest on time states its own period.
        "Endringer fra 7. desember 2026, 07:00 til 8. desember 2026, 07:00.",
    ]


@on("sqlite")
async def test_daily_to_weekly_moves_pending_items_to_the_weekly_digest(harness: Harness) -> None:
    harness.clock.set(at("2026-11-18T10:00:00+00:00"))  # a Wednesday
    subscriber_id = await harness.subscribe(ADDRESS, frequency="daily")
    await harness.seeded()
    await harness.change("Endring 1")
    await harness.change_frequency(subscriber_id, "weekly")
    harness.clock.set(at("2026-11-19T06:00:00+00:00"))
    await digest_now(harness)
    assert titles(harness) == [], "no daily digest any more"
    harness.clock.set(at("2026-11-23T06:00:00+00:00"))  # Monday 07:00 in Oslo
    await digest_now(harness)
    assert titles(harness) == [["Endring 1"]]


async def test_immediate_to_daily_turns_a_queued_alert_into_a_digest_item(
    harness: Harness,
) -> None:
    harness.clock.set(at("2026-11-22T10:00:00+00:00"))
    subscriber_id = await harness.subscribe(ADDRESS)
    await harness.seeded()
    await harness.change("Endring 1")  # an alert is queued, not yet sent
    await harness.change_frequency(subscriber_id, "daily")
    await harness.send_all()
    assert harness.received() == [], "the alert is not sent to someone who now wants digests"
    harness.clock.set(at("2026-11-23T06:00:00+00:00"))
    await digest_now(harness)
    assert titles(harness) == [["Endring 1"]]
    outcome = {d.kind: d.status for d in await harness.deliveries() if d.kind != "confirm"}
    assert outcome == {"alert": "dropped", "digest": "sent"}


@on("sqlite")
@pytest.mark.parametrize("attempted", [False, True], ids=["alert-still-queued", "alert-tried"])
async def test_immediate_to_daily_and_back_sends_the_change_once(
    harness: Harness, attempted: bool
) -> None:
    harness.clock.set(at("2026-11-22T10:00:00+00:00"))
    subscriber_id = await harness.subscribe(ADDRESS)
    await harness.seeded()
    await harness.change("Endring 1")  # an alert is queued
    await harness.change_frequency(subscriber_id, "daily")
    if attempted:
        await harness.send_all()  # the alert meets the new rhythm and becomes a digest item
        assert harness.received() == []
    await harness.change_frequency(subscriber_id, "immediate")
    await harness.send_all()
    harness.clock.set(at("2026-11-23T06:00:00+00:00"))
    await digest_now(harness)
    assert titles(harness) == [["Endring 1"]], "one alert, no digest"


@on("sqlite")
async def test_daily_to_immediate_and_back_twice_sends_the_change_once(harness: Harness) -> None:
    harness.clock.set(at("2026-11-22T10:00:00+00:00"))
    subscriber_id = await harness.subscribe(ADDRESS, frequency="daily")
    await harness.seeded()
    await harness.change("Endring 1")  # a pending digest item
    await harness.change_frequency(subscriber_id, "immediate")  # the item becomes an alert
    await harness.change_frequency(subscriber_id, "daily")
    await harness.send_all()  # the alert meets the daily rhythm and becomes an item again
    assert harness.received() == []
    await harness.change_frequency(subscriber_id, "immediate")
    await harness.send_all()
    assert titles(harness) == [["Endring 1"]]
    await harness.change_frequency(subscriber_id, "daily")
    harness.clock.set(at("2026-11-23T06:00:00+00:00"))
    await digest_now(harness)
    assert titles(harness) == [["Endring 1"]], "sent as an alert: not again in the digest"


@pytest.mark.parametrize(
    ("database_url", "relayed"),
    [("sqlite", False), ("sqlite", True), ("postgresql", False)],
    indirect=["database_url"],
)
async def test_unsubscribe_or_erasure_during_a_run_sends_them_nothing(
    harness: Harness, relayed: bool
) -> None:
    harness.clock.set(at("2026-11-22T10:00:00+00:00"))
    leaving = await harness.subscribe("leaving@example.org", frequency="daily")
    erased = await harness.subscribe("erased@example.org", frequency="daily")
    await harness.subscribe(ADDRESS, frequency="daily")
    await harness.seeded()
    await harness.change("Endring 1")
    harness.clock.set(at("2026-11-23T06:00:00+00:00"))
    assert await harness.mailer.digests.run_due() == 3
    await harness.end_all(leaving)
    await harness.erase(erased)
    if relayed:
        await harness.relay()
    for _ in range(50):  # send without relaying events, so only the send-time check can stop it
        if not await harness.mailer.worker.send_due():
            break
    await harness.relay()
    await harness.send_all()
    assert [m.recipients for m in harness.received()] == [[ADDRESS]]
    statuses = sorted(d.status for d in await harness.deliveries("digest"))
    assert statuses == ["dropped", "dropped", "sent"]
    async with harness.runtime.sessions() as session:
        kept = await session.scalar(
            select(func.count())
            .select_from(DigestCursor)
            .where(DigestCursor.subscriber_id.in_([leaving, erased]))
        )
    assert kept == 0, "no place in the release log kept for either"


@on("sqlite")
async def test_nobody_gets_an_empty_digest(harness: Harness) -> None:
    harness.clock.set(at("2026-11-22T10:00:00+00:00"))
    await harness.subscribe(ADDRESS, frequency="daily")
    await harness.seeded()
    harness.clock.set(at("2026-11-23T06:00:00+00:00"))
    assert await harness.mailer.digests.run_due() == 0
    await harness.send_all()
    assert harness.received() == []


def test_period_of_the_spring_forward_day_is_23_hours() -> None:
    period = Period("daily", at("2026-03-28T06:00:00+00:00"), at("2026-03-29T05:00:00+00:00"))
    assert period.duration == timedelta(hours=23)
    assert isinstance(period.end, datetime)
