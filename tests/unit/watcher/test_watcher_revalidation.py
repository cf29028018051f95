"""When a poll leaves its validators out (domain/revalidation.py): once a day, at its own hour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

from services.watcher.domain.revalidation import asks_in_full

START = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)


def test_each_source_is_asked_in_full_once_a_day_at_an_hour_of_its_own() -> None:
    for source_id in range(1, 50):
        polls = [START + timedelta(minutes=5 * n) for n in range(2 * 288)]  # two days
        full = [now for before, now in pairwise(polls) if asks_in_full(source_id, before, now)]
        assert len(full) == 2, source_id  # once each day
        assert full[1] - full[0] == timedelta(days=1)
    hours = {asks_hour(source_id) for source_id in range(1, 50)}
    assert len(hours) > 12  # spread over the day, not all at midnight


def test_a_source_polled_less_often_than_daily_is_asked_in_full_each_time() -> None:
    assert asks_in_full(3, START, START + timedelta(days=2))


def test_a_source_never_polled_has_no_validators_to_leave_out() -> None:
    assert not asks_in_full(3, None, START)


def asks_hour(source_id: int) -> int:
    """Return the hour of the day at which a source is asked in full."""
    minutes = [START + timedelta(minutes=n) for n in range(24 * 60 + 1)]
    for before, now in pairwise(minutes):
        if asks_in_full(source_id, before, now):
            return now.hour
    raise AssertionError("never asked in full")
