"""A feed item's day as its publisher wrote it, under each version of the rules that reads one."""

from __future__ import annotations

from datetime import date

import pytest
from feedparser.datetimes import _parse_date

from services.watcher.domain.feed_dates import publishers_date
from services.watcher.domain.model import PUBLISHERS_DATES, ZONE_COMMENTS

NOV_3, NOV_4 = date(2026, 11, 3), date(2026, 11, 4)


@pytest.mark.parametrize(
    ("written", "under_10", "under_11"),
    [
        # A comment after the zone, or its name after an offset, names no other zone: from 11
        # on the offset counts; 10 found no zone at the end, and kept UTC's day. Sources stored
        # under 10 are judged by it once more at the upgrade (docs/decisions/0017).
        ("Wed, 04 Nov 2026 00:30:00 +0100 (CET)", NOV_3, NOV_4),  # 23:30 in UTC
        ("Wed, 04 Nov 2026 00:30 +0100 (CET)", NOV_3, NOV_4),
        ("Wed, 04 Nov 2026 00:30:00 +0100 (Central European Time) ", NOV_3, NOV_4),
        ("Wed, 04 Nov 2026 00:30:00 +0100 (CET) (vinter)", NOV_3, NOV_4),
        ("Wed, 04 Nov 2026 00:30:00 +0100 CET", NOV_3, NOV_4),
        ("2026-11-04T00:30:00+01:00 (CET)", NOV_3, NOV_4),
        ("Tue, 03 Nov 2026 20:30:00 -0500 (EST)", NOV_4, NOV_3),  # 01:30 the next day in UTC
        ("Tue, 03 Nov 2026 20:30:00 -0500 EST", NOV_4, NOV_3),
        # Written in UTC, with its name after it: Oslo's day of that moment.
        ("Tue, 03 Nov 2026 23:30:00 +0000 (UTC)", NOV_3, NOV_4),
        ("Tue, 03 Nov 2026 23:30:00 GMT (Greenwich Mean Time)", NOV_3, NOV_4),
        # What 10 read, 11 reads alike.
        ("Wed, 04 Nov 2026 00:30:00 +0100", NOV_4, NOV_4),
        ("2026-11-04T00:30:00+01:00", NOV_4, NOV_4),
        ("Tue, 03 Nov 2026 23:30:00 GMT", NOV_4, NOV_4),
        ("Tue, 03 Nov 2026 20:30:00 -0500", NOV_3, NOV_3),
        ("2026-11-03T23:30:00", NOV_3, NOV_3),  # no zone: the day as written
        # A comment alone names no zone, and one left open is no comment: feedparser's day.
        ("Tue, 03 Nov 2026 23:30:00 (CET)", NOV_3, NOV_3),
        ("Tue, 03 Nov 2026 20:30:00 -0500 (EST", NOV_4, NOV_4),
    ],
)
def test_a_zone_with_a_comment_or_name_after_it_is_the_publishers_from_extraction_11(
    written: str, under_10: date, under_11: date
) -> None:
    utc = _parse_date(written)
    assert utc is not None
    assert publishers_date(written, utc, extraction=PUBLISHERS_DATES) == under_10
    assert publishers_date(written, utc, extraction=ZONE_COMMENTS) == under_11
