"""Time as a dependency, so tests can move it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Tells the current time (aware, UTC)."""

    def now(self) -> datetime:
        """Return the current UTC time."""


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """Return the current UTC time."""
        return datetime.now(UTC)


class OffsetClock:
    """The real clock shifted by a fixed amount (to rehearse digest runs ahead of time)."""

    def __init__(self, offset: timedelta) -> None:
        self._offset = offset

    def now(self) -> datetime:
        """Return the current UTC time plus the offset."""
        return datetime.now(UTC) + self._offset


class FrozenClock:
    """A clock that only moves when told to (for tests and digests replayed by hand)."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        """Return the frozen time."""
        return self._at

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward."""
        self._at += delta

    def set(self, at: datetime) -> None:
        """Jump to a time."""
        self._at = at.astimezone(UTC)
