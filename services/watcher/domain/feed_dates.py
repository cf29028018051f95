"""The day a feed's item is dated, as its readers in Norway count days (extraction 10 on).

feedparser gives every date as UTC: an item dated «Sat, 06 Dec 2026 00:30:00 +0100» by a
publisher in Oslo was told as of 5 December. The day is the one the publisher wrote where the
date names its offset; a time written in UTC («Z», «GMT», «+0000», as WordPress writes every
item's) or in a zone named by letters is no calendar anyone here reads, and is Oslo's day of
that moment. A date with no time, or a time with no zone, is the day as written. Since
extraction 11 the zone is also read where a comment follows it, as RFC 5322 lets a date end
(«Wed, 04 Nov 2026 00:30:00 +0100 (CET)»), or the zone's name follows an offset («+0100
CET»): under 10 such a date fell back to UTC's day (3 November).
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from services.watcher.domain.dates import date_from_struct
from services.watcher.domain.model import EXTRACTION, PUBLISHERS_DATES, ZONE_COMMENTS

# The readers' zone. Not the configured VARSEL_TIMEZONE, deliberately: what a body extracts to
# is a function of its bytes and the rules' version alone, so that the fixtures' fingerprints,
# bench/watcher/extraction.py's digest and the judgement of a source stored under older rules
# (ADR 0017) hold on every installation, and a snapshot stored under one setting is never read
# beside one stored under another. varsel is made for Norway's public bodies.
_READERS: Final = ZoneInfo("Europe/Oslo")
# A clock time, then the zone it is written in: an offset, or letters («Z», «GMT», «EST»).
_TIME: Final = r"\d:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*"
_OFFSET: Final = r"(?P<sign>[+-])(?P<hours>\d{2})(?::?(?P<minutes>\d{2}))?"
_LETTERS: Final = r"(?P<letters>[A-Za-z]+)"
# Extraction 10: the zone ends the date.
_ZONE_AT_END_RE: Final = re.compile(rf"{_TIME}(?:{_OFFSET}|{_LETTERS})\s*$")
# Extraction 11 on: or the zone's name follows an offset («+0100 CET»), or comments follow
# the zone («+0100 (CET)», «GMT (UTC)»; here a comment holds no parenthesis). feedparser reads
# the offset of each; a name or comment names no other one.
_ZONE_RE: Final = re.compile(
    rf"{_TIME}(?:{_OFFSET}(?:\s+[A-Za-z]+)?|{_LETTERS})(?:\s*\([^()]*\))*\s*$"
)


def publishers_date(
    written: object, utc: time.struct_time | None, *, extraction: int = EXTRACTION
) -> date | None:
    """Return the day of a date feedparser read as ``utc`` from ``written``, as readers here
    count it (under the rules of ``extraction``, 10 or later); None if there is no date."""
    day = date_from_struct(utc)
    found = _ZONE_RE if extraction >= ZONE_COMMENTS else _ZONE_AT_END_RE
    zone = found.search(written) if isinstance(written, str) else None
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


def dated(item: Mapping[str, Any], field: str, *, extraction: int) -> date | None:
    """Return the day of a feedparser entry's or feed's ``field`` date («published» or
    «updated»), as read under ``extraction``: as its publisher wrote it from 10 on, else UTC's."""
    utc = item.get(f"{field}_parsed")
    if extraction < PUBLISHERS_DATES:
        return date_from_struct(utc)
    return publishers_date(item.get(field), utc, extraction=extraction)


def entry_date(entry: Mapping[str, Any], *, extraction: int) -> date | None:
    """Return a feedparser entry's date: its published one, else its updated."""
    field = "published" if entry.get("published_parsed") is not None else "updated"
    return dated(entry, field, extraction=extraction)
