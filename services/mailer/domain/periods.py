"""Digest periods: half-open UTC windows cut at local wall-clock run times.

A daily digest runs every day at ``hour:minute`` local time; a weekly digest runs on
``weekday`` (0 = Monday) at the same time. The period a run closes is ``[previous run, run)``.
Run times are computed from local calendar dates, so a period across the spring-forward night
is one hour shorter and one across the autumn night one hour longer, and consecutive periods
always tile time with no gap and no overlap.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from shared.vocabulary import DIGEST_FREQUENCIES, Frequency

DEFAULT_TIMEZONE = "Europe/Oslo"


def _default_tz() -> ZoneInfo:
    return ZoneInfo(DEFAULT_TIMEZONE)


def _require_aware(name: str, moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got naive {moment!r}")


def _require_digest_frequency(frequency: str) -> None:
    if frequency not in DIGEST_FREQUENCIES:
        raise ValueError(f"digest frequency must be 'daily' or 'weekly', got {frequency!r}")


@dataclass(frozen=True, slots=True)
class Period:
    """One digest window ``[start, end)`` in UTC; ``end`` is the run that closes it."""

    frequency: Frequency
    start: datetime
    end: datetime
    tz: ZoneInfo = field(default_factory=_default_tz)

    def __post_init__(self) -> None:
        _require_digest_frequency(self.frequency)
        _require_aware("start", self.start)
        _require_aware("end", self.end)
        # Normalise to UTC so equal periods compare and hash equal whatever zone they came in.
        object.__setattr__(self, "start", self.start.astimezone(UTC))
        object.__setattr__(self, "end", self.end.astimezone(UTC))
        if self.start >= self.end:
            raise ValueError(f"period start {self.start} must be before end {self.end}")

    @property
    def key(self) -> str:
        """Return a stable id: the rhythm and the local time of the closing run, with its offset.

        Distinct periods have distinct keys whatever the digest hour, weekday or time zone was
        when they ran: moved from Monday to Friday, the first Friday's period is a new one.
        """
        closing = self.end.astimezone(self.tz).isoformat(timespec="minutes")
        return f"{self.frequency}:{closing}"

    @property
    def former_key(self) -> str:
        """Return the key runs were recorded under before 2026-12: the closing run's local date
        (daily) or ISO week (weekly). Two periods could share it when the digest hour or weekday
        moved, so it names this period only if the run recorded under it ended when this does.
        """
        local = self.end.astimezone(self.tz).date()
        if self.frequency == Frequency.DAILY:
            return f"daily:{local.isoformat()}"
        iso = local.isocalendar()
        return f"weekly:{iso.year}-W{iso.week:02d}"

    @property
    def duration(self) -> timedelta:
        """Return the elapsed (not wall-clock) length of the period."""
        return self.end - self.start

    def contains(self, moment: datetime) -> bool:
        """Tell whether ``moment`` falls inside the half-open window."""
        _require_aware("moment", moment)
        return self.start <= moment < self.end

    def since(self, moments: Iterable[datetime]) -> Period:
        """Return the window a digest states: this period, begun early enough for every moment.

        A run takes every item owed before its end, so after missed runs (or a change of rhythm)
        a digest holds changes from before its period began; the mail must say so rather than
        name a window its own list contradicts. The end, and so the key, stay the period's.
        """
        start = self.start
        for moment in moments:
            _require_aware("moment", moment)
            start = min(start, moment.astimezone(UTC))
        return replace(self, start=start)


@dataclass(frozen=True, slots=True)
class _Schedule:
    frequency: Frequency
    tz: ZoneInfo
    hour: int
    minute: int
    weekday: int

    def __post_init__(self) -> None:
        _require_digest_frequency(self.frequency)
        if not 0 <= self.hour <= 23:
            raise ValueError(f"hour must be 0..23, got {self.hour}")
        if not 0 <= self.minute <= 59:
            raise ValueError(f"minute must be 0..59, got {self.minute}")
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0 (Monday)..6 (Sunday), got {self.weekday}")

    @property
    def step(self) -> timedelta:
        return timedelta(days=1 if self.frequency == Frequency.DAILY else 7)

    def run_at(self, local_day: date) -> datetime:
        # fold=0 gives a deterministic instant for a wall time that falls in a DST gap or
        # repeats in the autumn; run times stay strictly increasing from day to day.
        return datetime.combine(local_day, time(self.hour, self.minute), tzinfo=self.tz).astimezone(
            UTC
        )

    def last_run_day(self, at: datetime) -> date:
        """Return the local date of the latest run at or before ``at``."""
        day = at.astimezone(self.tz).date()
        if self.frequency == Frequency.WEEKLY:
            day -= timedelta(days=(day.weekday() - self.weekday) % 7)
        if self.run_at(day) > at:
            day -= self.step
        return day

    def period_closed_on(self, run_day: date) -> Period:
        return Period(
            frequency=self.frequency,
            start=self.run_at(run_day - self.step),
            end=self.run_at(run_day),
            tz=self.tz,
        )


def period_ending_at_or_before(
    frequency: Frequency,
    at: datetime,
    *,
    tz: ZoneInfo,
    hour: int = 7,
    minute: int = 0,
    weekday: int = 0,
) -> Period:
    """Return the latest complete period whose end is at or before ``at``."""
    _require_aware("at", at)
    schedule = _Schedule(frequency, tz, hour, minute, weekday)
    return schedule.period_closed_on(schedule.last_run_day(at))


def period_containing(
    frequency: Frequency,
    moment: datetime,
    *,
    tz: ZoneInfo,
    hour: int = 7,
    minute: int = 0,
    weekday: int = 0,
) -> Period:
    """Return the period ``[start, end)`` that ``moment`` falls in (its digest-to-be)."""
    _require_aware("moment", moment)
    schedule = _Schedule(frequency, tz, hour, minute, weekday)
    return schedule.period_closed_on(schedule.last_run_day(moment) + schedule.step)


def next_run_after(
    frequency: Frequency,
    at: datetime,
    *,
    tz: ZoneInfo,
    hour: int = 7,
    minute: int = 0,
    weekday: int = 0,
) -> datetime:
    """Return the first run strictly after ``at``, in UTC."""
    _require_aware("at", at)
    schedule = _Schedule(frequency, tz, hour, minute, weekday)
    return schedule.run_at(schedule.last_run_day(at) + schedule.step)


def periods_between(
    frequency: Frequency,
    since: datetime,
    until: datetime,
    *,
    tz: ZoneInfo,
    hour: int = 7,
    minute: int = 0,
    weekday: int = 0,
) -> list[Period]:
    """Return the complete periods whose end lies in ``(since, until]``, oldest first."""
    _require_aware("since", since)
    _require_aware("until", until)
    schedule = _Schedule(frequency, tz, hour, minute, weekday)
    periods: list[Period] = []
    day = schedule.last_run_day(until)
    while (period := schedule.period_closed_on(day)).end > since:
        periods.append(period)
        day -= schedule.step
    periods.reverse()
    return periods
