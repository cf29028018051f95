"""Digest periods: local run times, daylight saving, keys, and tiling without gaps."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.mailer.domain.periods import (
    Period,
    next_run_after,
    period_containing,
    period_ending_at_or_before,
    periods_between,
)

OSLO = ZoneInfo("Europe/Oslo")
HOUR = timedelta(hours=1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def oslo(*args: int) -> datetime:
    return datetime(*args, tzinfo=OSLO)  # type: ignore[misc]


def test_daily_period_is_yesterday_seven_to_today_seven() -> None:
    period = period_ending_at_or_before("daily", utc(2026, 11, 22, 9, 15), tz=OSLO)
    assert period.start == utc(2026, 11, 21, 6, 0)  # 07:00 CET
    assert period.end == utc(2026, 11, 22, 6, 0)
    assert period.key == "daily:2026-11-22T07:00+01:00"
    assert period.duration == 24 * HOUR


def test_period_across_spring_forward_is_23_hours() -> None:
    # Europe/Oslo: 2026-03-29 02:00 CET -> 03:00 CEST.
    period = period_ending_at_or_before("daily", oslo(2026, 3, 29, 12, 0), tz=OSLO)
    assert period.start == utc(2026, 3, 28, 6, 0)  # 07:00 CET
    assert period.end == utc(2026, 3, 29, 5, 0)  # 07:00 CEST
    assert period.duration == 23 * HOUR
    assert period.key == "daily:2026-03-29T07:00+02:00"


def test_period_across_fall_back_is_25_hours() -> None:
    # Europe/Oslo: 2026-10-25 03:00 CEST -> 02:00 CET.
    period = period_ending_at_or_before("daily", oslo(2026, 10, 25, 12, 0), tz=OSLO)
    assert period.start == utc(2026, 10, 24, 5, 0)  # 07:00 CEST
    assert period.end == utc(2026, 10, 25, 6, 0)  # 07:00 CET
    assert period.duration == 25 * HOUR
    assert period.key == "daily:2026-10-25T07:00+01:00"


def test_weekly_period_across_spring_forward_is_167_hours() -> None:
    period = period_ending_at_or_before("weekly", oslo(2026, 3, 31, 12, 0), tz=OSLO)
    assert period.start == oslo(2026, 3, 23, 7, 0)
    assert period.end == oslo(2026, 3, 30, 7, 0)
    assert period.duration == 167 * HOUR
    assert period.key == "weekly:2026-03-30T07:00+02:00"


def test_weekly_period_ends_on_the_configured_weekday() -> None:
    friday = period_ending_at_or_before(
        "weekly", oslo(2026, 11, 22, 12, 0), tz=OSLO, weekday=4, hour=16, minute=30
    )
    assert friday.end == oslo(2026, 11, 20, 16, 30)
    assert friday.start == oslo(2026, 11, 13, 16, 30)


@pytest.mark.parametrize(
    ("monday", "key"),
    [
        ((2024, 12, 30), "weekly:2025-W01"),  # ISO week 1 of 2025 starts in 2024
        ((2026, 12, 28), "weekly:2026-W53"),  # 2026 has 53 ISO weeks
        ((2027, 1, 4), "weekly:2027-W01"),
        ((2021, 1, 4), "weekly:2021-W01"),  # 2021-01-01 belongs to 2020-W53
    ],
)
def test_the_former_weekly_key_follows_iso_weeks_across_the_year_boundary(
    monday: tuple[int, int, int], key: str
) -> None:
    # The key runs were recorded under before it named the closing run's time: still read.
    at = oslo(*monday, 7, 0)
    period = period_ending_at_or_before("weekly", at, tz=OSLO)
    assert period.end == at
    assert period.former_key == key
    assert period.key == f"weekly:{at.isoformat(timespec='minutes')}"


def test_daily_key_is_the_local_date_of_the_run_not_the_utc_date() -> None:
    # A run just after local midnight is on the previous UTC date.
    period = period_ending_at_or_before("daily", oslo(2027, 1, 1, 0, 30), tz=OSLO, hour=0)
    assert period.end == utc(2026, 12, 31, 23, 0)
    assert period.key == "daily:2027-01-01T00:00+01:00"
    assert period.former_key == "daily:2027-01-01"


def test_boundaries_are_half_open() -> None:
    run = oslo(2026, 11, 22, 7, 0)
    at_run = period_ending_at_or_before("daily", run, tz=OSLO)
    just_before = period_ending_at_or_before("daily", run - timedelta(microseconds=1), tz=OSLO)
    assert at_run.end == run
    assert just_before.end == at_run.start
    assert at_run.contains(at_run.start)
    assert not at_run.contains(at_run.end)
    assert period_containing("daily", run, tz=OSLO).start == run
    assert next_run_after("daily", run, tz=OSLO) == oslo(2026, 11, 23, 7, 0)
    assert next_run_after("daily", run - timedelta(microseconds=1), tz=OSLO) == run


def test_periods_between_returns_complete_periods_ending_in_the_half_open_range() -> None:
    since = oslo(2026, 11, 20, 7, 0)  # a run: its period was already sent
    until = oslo(2026, 11, 23, 7, 0)  # a run: its period is complete
    periods = periods_between("daily", since, until, tz=OSLO)
    assert [p.former_key for p in periods] == [
        "daily:2026-11-21",
        "daily:2026-11-22",
        "daily:2026-11-23",
    ]
    assert periods_between("daily", until, until, tz=OSLO) == []
    assert periods_between("daily", until, since, tz=OSLO) == []
    almost = periods_between("daily", since, until - timedelta(seconds=1), tz=OSLO)
    assert [p.former_key for p in almost] == ["daily:2026-11-21", "daily:2026-11-22"]


@pytest.mark.parametrize("frequency", ["daily", "weekly"])
@pytest.mark.parametrize(("hour", "minute"), [(7, 0), (2, 30), (0, 0), (23, 59), (3, 0)])
def test_periods_tile_a_whole_year_without_gap_or_overlap(
    frequency: str, hour: int, minute: int
) -> None:
    since, until = utc(2025, 12, 31, 0, 0), utc(2027, 1, 2, 0, 0)
    periods = periods_between(frequency, since, until, tz=OSLO, hour=hour, minute=minute)  # type: ignore[arg-type]
    assert len(periods) == (367 if frequency == "daily" else 52)
    nominal = timedelta(days=1 if frequency == "daily" else 7)
    for earlier, later in itertools.pairwise(periods):
        assert earlier.end == later.start
        assert later.duration in {nominal - HOUR, nominal, nominal + HOUR}
        assert earlier.key != later.key
    local_ends = [p.end.astimezone(OSLO) for p in periods]
    off_schedule = [end for end in local_ends if (end.hour, end.minute) != (hour, minute)]
    # Only a wall time that does not exist (the spring-forward gap) can land elsewhere.
    assert len(off_schedule) <= 1
    if frequency == "weekly":
        assert {end.weekday() for end in local_ends} == {0}
    if (hour, minute) == (7, 0) and frequency == "daily":
        durations = sorted(p.duration for p in periods)
        assert durations[0] == 23 * HOUR
        assert durations[-1] == 25 * HOUR
        assert sum(d != 24 * HOUR for d in durations) == 2

    # Every instant of the year falls in exactly one period, and the functions agree.
    rng = random.Random(f"{frequency}{hour}{minute}")
    span = (periods[-1].end - periods[0].start).total_seconds()
    for _ in range(500):
        moment = periods[0].start + timedelta(seconds=rng.uniform(0, span))
        holders = [p for p in periods if p.contains(moment)]
        assert len(holders) == 1
        options = {"tz": OSLO, "hour": hour, "minute": minute}
        assert period_containing(frequency, moment, **options) == holders[0]  # type: ignore[arg-type]
        assert next_run_after(frequency, moment, **options) == holders[0].end  # type: ignore[arg-type]
        assert period_ending_at_or_before(frequency, moment, **options).end == holders[0].start  # type: ignore[arg-type]


def test_every_hour_of_the_dst_nights_maps_to_exactly_one_daily_period() -> None:
    for night in (utc(2026, 3, 28, 20, 0), utc(2026, 10, 24, 20, 0)):
        for minutes in range(0, 16 * 60, 10):
            moment = night + timedelta(minutes=minutes)
            period = period_containing("daily", moment, tz=OSLO)
            assert period.start <= moment < period.end


def test_naive_datetimes_are_rejected() -> None:
    naive = datetime(2026, 11, 22, 7, 0)
    aware = utc(2026, 11, 22, 7, 0)
    with pytest.raises(ValueError, match="timezone-aware"):
        period_ending_at_or_before("daily", naive, tz=OSLO)
    with pytest.raises(ValueError, match="timezone-aware"):
        next_run_after("weekly", naive, tz=OSLO)
    with pytest.raises(ValueError, match="timezone-aware"):
        periods_between("daily", naive, aware, tz=OSLO)
    with pytest.raises(ValueError, match="timezone-aware"):
        periods_between("daily", aware, naive, tz=OSLO)
    with pytest.raises(ValueError, match="timezone-aware"):
        period_containing("daily", naive, tz=OSLO)
    with pytest.raises(ValueError, match="timezone-aware"):
        Period("daily", naive, aware)


@pytest.mark.parametrize(
    "options",
    [
        {"frequency": "immediate"},
        {"frequency": "monthly"},
        {"hour": 24},
        {"minute": 60},
        {"weekday": 7},
        {"hour": -1},
    ],
)
def test_bad_schedules_are_rejected(options: dict[str, object]) -> None:
    arguments: dict[str, object] = {"frequency": "daily", "tz": OSLO} | options
    frequency = arguments.pop("frequency")
    with pytest.raises(ValueError):
        period_ending_at_or_before(frequency, utc(2026, 1, 1, 0, 0), **arguments)  # type: ignore[arg-type]


def test_period_normalises_to_utc_and_rejects_empty_windows() -> None:
    period = Period("daily", oslo(2026, 11, 21, 7, 0), oslo(2026, 11, 22, 7, 0), OSLO)
    assert period.start.tzinfo is UTC
    assert period == Period("daily", utc(2026, 11, 21, 6, 0), utc(2026, 11, 22, 6, 0), OSLO)
    with pytest.raises(ValueError):
        Period("daily", period.end, period.start)
    with pytest.raises(ValueError):
        Period("daily", period.start, period.start)


def test_a_period_stated_since_its_earliest_change_keeps_its_end_and_key() -> None:
    period = period_ending_at_or_before("daily", utc(2026, 12, 7, 8), tz=OSLO, hour=7)
    stated = period.since([utc(2026, 12, 6, 12), oslo(2026, 12, 4, 11), utc(2026, 12, 7, 5)])
    assert stated.start == utc(2026, 12, 4, 10)
    assert (
        (stated.end, stated.key)
        == (period.end, period.key)
        == (utc(2026, 12, 7, 6), "daily:2026-12-07T07:00+01:00")
    )
    # Changes inside the period leave it as it is; so does a digest of none.
    assert period.since([utc(2026, 12, 6, 12)]) == period == period.since([])
    with pytest.raises(ValueError, match="aware"):
        period.since([datetime(2026, 12, 4, 11)])


def test_periods_that_end_on_one_day_or_in_one_week_have_keys_of_their_own() -> None:
    # The digest weekday moved from Monday to Friday, or the hour from 07 to 20: the first
    # period after the move ends in the week (on the day) of the last before it, and is another.
    monday = period_ending_at_or_before("weekly", oslo(2026, 11, 30, 8, 0), tz=OSLO)
    friday = period_ending_at_or_before("weekly", oslo(2026, 12, 4, 8, 0), tz=OSLO, weekday=4)
    assert monday.former_key == friday.former_key == "weekly:2026-W49"
    assert (monday.key, friday.key) == (
        "weekly:2026-11-30T07:00+01:00",
        "weekly:2026-12-04T07:00+01:00",
    )
    morning = period_ending_at_or_before("daily", oslo(2026, 11, 24, 8, 0), tz=OSLO)
    evening = period_ending_at_or_before("daily", oslo(2026, 11, 24, 21, 0), tz=OSLO, hour=20)
    assert morning.former_key == evening.former_key == "daily:2026-11-24"
    assert morning.key != evening.key
    # The same hour in another time zone is another moment, and another period.
    london = period_ending_at_or_before(
        "daily", oslo(2026, 11, 24, 9, 0), tz=ZoneInfo("Europe/London")
    )
    assert london.key == "daily:2026-11-24T07:00+00:00" != morning.key
