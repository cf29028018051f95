"""How often a source is polled, as a catalogue file writes it ("30s", "15m", "1h", "1d") and as
the catalogue stores it (seconds)."""

from __future__ import annotations

import re
from typing import Final

_INTERVAL = re.compile(r"^\s*(\d+)\s*(s|m|h|d)\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# A source written with a unit ("400d") is polled at least once a year: more is a slip of the
# keyboard. Seconds, as the catalogue stores them, end where the watcher's 32-bit column does;
# past it, no replica could take the catalogue at all.
LONGEST_INTERVAL_DAYS: Final = 365
_LONGEST_SECONDS: Final = 2**31 - 1


class IntervalTooLong(ValueError):
    """An interval past the longest a source may be polled at (LONGEST_INTERVAL_DAYS)."""


def parse_interval(value: str | int) -> int:
    """Turn "15m", "2s", "1h" or a number of seconds into seconds."""
    if isinstance(value, int) and not isinstance(value, bool):
        seconds, longest = value, _LONGEST_SECONDS
    elif isinstance(value, str) and (match := _INTERVAL.match(value)):
        seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        longest = LONGEST_INTERVAL_DAYS * _UNIT_SECONDS["d"]
    else:
        raise ValueError(f"{value!r} is not an interval; write e.g. '30s', '15m', '1h' or '1d'")
    if seconds < 1:
        raise ValueError("an interval must be at least one second")
    if seconds > longest:
        written = (
            f"{longest} seconds" if isinstance(value, int) else f"{LONGEST_INTERVAL_DAYS} days"
        )
        raise IntervalTooLong(f"an interval can be at most {written}")
    return seconds


def format_interval(seconds: int) -> str:
    """Write seconds the way a catalogue file does: "15m", "1h", "2s"."""
    for unit in ("d", "h", "m"):
        if seconds % _UNIT_SECONDS[unit] == 0:
            return f"{seconds // _UNIT_SECONDS[unit]}{unit}"
    return f"{seconds}s"
