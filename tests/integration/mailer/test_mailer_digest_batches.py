"""Many digests built in one batch: people who share a window share the work, never the mail."""

from __future__ import annotations

import pytest

from tests.integration.mailer.digests_support import change_at, digest_now, titles
from tests.integration.mailer.harness import Harness, at


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
async def test_people_in_one_batch_each_get_the_changes_of_their_own_topics(
    harness: Harness,
) -> None:
    # One batch builds every digest; people with the same window and topics share the work of
    # choosing their changes, which must never hand one person's choice to another.
    harness.clock.set(at("2026-11-22T10:00:00+00:00"))
    await harness.subscribe("a@example.org", frequency="daily")
    await harness.subscribe("b@example.org", frequency="daily")
    await harness.subscribe(
        "c@example.org", topics=("norge-i-verden", "vaksiner"), frequency="daily"
    )
    await harness.subscribe("d@example.org", topics=("vaksiner",), frequency="daily")
    switched = await harness.subscribe("e@example.org")  # alerts first
    await harness.seeded()
    await change_at(harness, "2026-11-22T11:00:00+00:00", "Endring verden-1")
    await change_at(harness, "2026-11-22T12:00:00+00:00", "Endring vaksine-1", topic="vaksiner")
    await harness.send_all()
    # e is told the first change by an alert, then switches to digests within the margin that
    # lets their digest reach back before the switch: the alert check keeps it out.
    harness.clock.set(at("2026-11-22T11:05:00+00:00"))
    await harness.change_frequency(switched, "daily")
    await change_at(harness, "2026-11-22T13:00:00+00:00", "Endring verden-2")
    harness.clock.set(at("2026-11-23T06:00:00+00:00"))
    await digest_now(harness)
    assert titles(harness, "a@example.org") == [["Endring verden-1", "Endring verden-2"]]
    assert titles(harness, "b@example.org") == [["Endring verden-1", "Endring verden-2"]]
    assert titles(harness, "c@example.org") == [
        ["Endring vaksine-1", "Endring verden-1", "Endring verden-2"]
    ]
    assert titles(harness, "d@example.org") == [["Endring vaksine-1"]]
    assert titles(harness, "e@example.org") == [["Endring verden-1"], ["Endring verden-2"]]
