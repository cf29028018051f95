"""The fetch's fast reading of an HTTP date gives what the email parser gives.

A Last-Modified read otherwise would be sent back, or held back as in the future, otherwise;
a Retry-After date would ask for another pause. So the shortcut is checked against the
parser it stands in front of, on ordinary dates and on the awkward ones.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import formatdate, parsedate_to_datetime

import pytest

from services.watcher.adapters.http_headers import _http_date


def _by_the_email_parser(value: str) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def test_ordinary_dates_read_as_the_email_parser_reads_them() -> None:
    spread = random.Random(9)
    for _ in range(5000):
        value = formatdate(spread.uniform(-2e10, 2e11), usegmt=True)
        assert _http_date(value) == _by_the_email_parser(value), value


@pytest.mark.parametrize(
    "value",
    [
        "Sun, 06 Nov 1994 08:49:37 GMT",
        "Mon, 01 Jan 0099 00:00:00 GMT",  # the email parser reads a year under 100 as 19xx/20xx
        "Mon, 01 Jan 0001 00:00:00 GMT",
        "Mon, 01 Jan 1000 00:00:00 GMT",
        "Tue, 31 Feb 2026 10:00:00 GMT",  # no such day
        "Tue, 00 Feb 2026 10:00:00 GMT",
        "Tue, 10 Feb 2026 24:00:00 GMT",
        "Tue, 10 Feb 2026 23:59:60 GMT",
        "Tue, 10 Feb 2026 10:00:00 UTC",
        "Tue, 10 Feb 2026 10:00:00 +0200",
        "Tuesday, 10-Feb-26 10:00:00 GMT",  # RFC 850
        "Tue Feb 10 10:00:00 2026",  # asctime
        "Tue, 10 feb 2026 10:00:00 GMT",
        "Tue, 10 Feb 2026 10:00:00 GMT ",
        "Tue, ١٠ Feb 2026 10:00:00 GMT",  # digits that are not ASCII
        "",
        "soon",
    ],
)
def test_awkward_dates_read_as_the_email_parser_reads_them(value: str) -> None:
    expected = _by_the_email_parser(value)
    found = _http_date(value)
    assert found == expected
    assert (found is None) == (expected is None)
    if found is not None and expected is not None:
        assert found.utcoffset() == expected.utcoffset()
