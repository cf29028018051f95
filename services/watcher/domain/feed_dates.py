"""The day a feed's item is dated, as its readers in Norway count days (extraction 10 on).

feedparser gives every date as UTC: an item dated «Sat, 06 Dec 2026 00:30:00 +0100» by a
publisher in Oslo was told as of 5 December. The day is the one the publisher wrote where the
date names its offset; a time written in UTC («Z», «GMT», «+0000», as WordPress writes every
item's) or in a zone named by letters is no calendar anyone here reads, and is Oslo's day of
that moment. A date with no time, or a time with no zone, is the day as written.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from services.watcher.domain.dates import date_from_struct

# The readers' zone. Not the configured VARSEL_TIMEZONE: what a body extracts to must not
# move with configuration (a snapshot stored under one setting is compared under another).
_READERS: Final = ZoneInfo("Europe/Oslo")
# A clock time, then the zone it is written in: an offset, or letters («Z», «GMT», «EST»).
_ZONE_RE: Final = re.compile(
    r"\d:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*"
    r"(?:(?P<sign>[+-])(?P<hours>\d{2})(?::?(?P<minutes>\d{2}))?|(?P<letters>[A-Za-z]+))\s*$"
)


def publishers_date(written: object, utc: time.struct_time | None) -> date | None:
    """Return the day of a date feedparser read as ``utc`` from ``written``, as readers here
    count it; None if there is no date."""
    day = date_from_struct(utc)
    zone = _ZONE_RE.search(written) if isinstance(written, str) else None
    if utc is None or day is None or zone is None:
        return day  # no time, or no zone: feedparser took the day as written
    try:
        moment = datetime(*utc[:6], tzinfo=UTC)
        if zone["sign"] is not None:
            offset = timedelta(hours=int(zone["hours"]), minutes=int(zone["minutes"] or 0))
            offset = -offset if zone["sign"] == "-" else offset
            if offset:
                return (moment + offset).date()
        return moment.astimezone(_READERS).date()
    except (ValueError, OverflowError):  # a leap second, or a moment at the end of year 9999
        return day


def dated(item: Mapping[str, Any], field: str, *, publishers: bool) -> date | None:
    """Return the day of a feedparser entry's or feed's ``field`` date («published» or
    «updated»): as its publisher wrote it if ``publishers`` (extraction 10 on), else UTC's."""
    utc = item.get(f"{field}_parsed")
    return publishers_date(item.get(field), utc) if publishers else date_from_struct(utc)


def entry_date(entry: Mapping[str, Any], *, publishers: bool) -> date | None:
    """Return a feedparser entry's date: its published one, else its updated."""
    field = "published" if entry.get("published_parsed") is not None else "updated"
    return dated(entry, field, publishers=publishers)
