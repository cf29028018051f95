"""What a fetch reads from an answer's headers: a Last-Modified to send back, a Retry-After,
how its body was framed."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from multidict import CIMultiDictProxy

from services.watcher.adapters.content_coding import Unasked, body_coding
from services.watcher.adapters.tables import ETAG_CHARS, LAST_MODIFIED_CHARS

# How far ahead of this machine's clock a Last-Modified may be, where the answer has no Date of
# its own to tell: a server's clock a little fast is no lie.
_CLOCK_SKEW = timedelta(minutes=5)


def usable_last_modified(headers: CIMultiDictProxy[str]) -> str | None:
    """Return the answer's Last-Modified, unless it is later than the answer itself, longer
    than the column that keeps it, or holds what no request may carry (``sendable``).

    A date in the future is a server's mistake (RFC 9110 says to send the answer's own Date
    instead), and sent back as If-Modified-Since it held every change off for as long as
    that date was ahead: many servers answer 304 to any date not older than the page's.
    """
    value = headers.get("last-modified")
    if value is None or not sendable(value, LAST_MODIFIED_CHARS):
        return None
    return None if ahead(value, headers.get("date")) else value


def usable_etag(headers: CIMultiDictProxy[str]) -> str | None:
    """Return the answer's ETag, unless it is longer than the column that keeps it, or holds
    what no request may carry (``sendable``).

    Not kept, the next request asks in full, and the same bytes are still known by their
    hash; kept, PostgreSQL refused the whole outcome, and the source never took its baseline.
    """
    value = headers.get("etag")
    return value if value is not None and sendable(value, ETAG_CHARS) else None


def sendable(validator: str, most: int = ETAG_CHARS) -> bool:
    """Tell whether a validator can be kept (at most ``most`` characters) and sent back.

    A control character in it (a byte aiohttp read in a header as it came) is one no request
    may carry: aiohttp refuses to send it, and every poll asking with it failed as
    «unexpected error: ValueError» but the one a day that asks in full, which kept it again.
    """
    return len(validator) <= most and validator.isprintable()


# The statuses whose Retry-After asks a client to come back later (RFC 9110, RFC 6585).
PAUSES = frozenset({429, 503})
# The longest pause read from a Retry-After: a rate limiter's «for ever» (99999999999999, or
# 400 nines, which a float reads as infinity) is read as this, a number a date can still add.
_LONGEST_PAUSE = 366 * 24 * 3600.0


def retry_after(headers: CIMultiDictProxy[str]) -> float | None:
    """Return the seconds a Retry-After asks for (a number, or a date after the answer's), at
    most a year."""
    value = (headers.get("retry-after") or "").strip()
    if value.isascii() and value.isdigit():  # not int(): past 4,300 digits it raises
        return min(float(value), _LONGEST_PAUSE) if value.strip("0") else None
    until = _http_date(value) if value else None
    if until is None:
        return None
    answered = _http_date(headers.get("date") or "") or datetime.now(UTC)
    seconds = (until - answered).total_seconds()
    return min(seconds, _LONGEST_PAUSE) if seconds > 0 else None


def ahead(last_modified: str, sent: str | None) -> bool:
    """Tell whether a Last-Modified is later than the answer's Date (else than this clock).

    One that is no date is not: a server ignores it as If-Modified-Since (RFC 9110).
    """
    modified = _http_date(last_modified)
    if modified is None:
        return False
    answered = _http_date(sent) if sent else None
    return modified > (answered or datetime.now(UTC) + _CLOCK_SKEW)


def _http_date(value: str) -> datetime | None:
    """Return an HTTP date as an aware datetime; None if it is none."""
    # Nearly every server writes RFC 9110's preferred form, read here at a fraction of the
    # cost of the email parser's general one (a fetch reads one or two dates a poll); any
    # other form, and a date that is none, go to that parser as before.
    fixed = _IMF_FIXDATE.fullmatch(value)
    if fixed is not None:
        day, month, year, hour, minute, second = fixed.groups()
        try:
            return datetime(
                int(year), _MONTHS[month], int(day), int(hour), int(minute), int(second),
                tzinfo=UTC,
            )  # fmt: skip
        except ValueError:
            pass
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


_MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
# «Sun, 06 Nov 1994 08:49:37 GMT» (RFC 9110's IMF-fixdate), ASCII digits only; a year from
# 1000 (the email parser reads «0099» as 1999).
_IMF_FIXDATE = re.compile(
    r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), ([0-9]{2}) (" + "|".join(_MONTHS) + r") ([1-9][0-9]{3})"
    r" ([0-9]{2}):([0-9]{2}):([0-9]{2}) GMT"
)


def escaped_bytes(address: str) -> str:
    """Return an address from a header (Location, Link) with the bytes that are not UTF-8
    percent-encoded (a Latin-1 «å», byte E5, is ``%E5``), as browsers send them.

    aiohttp hands such bytes on as lone surrogates, which neither database stores: a redirect
    to ``/nyheter/råd`` written in Latin-1 failed the poll's whole transaction at every claim.
    """
    try:
        address.encode()
    except UnicodeEncodeError:
        # aiohttp's surrogateescape: byte 0x80-0xFF is U+DC80-U+DCFF.
        return "".join(
            f"%{ord(c) - 0xDC00:02X}" if "\udc80" <= c <= "\udcff" else c for c in address
        )
    return address


def chunked(headers: CIMultiDictProxy[str]) -> bool:
    """Tell whether an answer's body is sent in chunks: chunked is the last of its transfer
    codings, over every Transfer-Encoding header (RFC 9112, 6.3), as llhttp frames it."""
    codings = ",".join(headers.getall("transfer-encoding", ())).split(",")
    return codings[-1].strip().lower() == "chunked"


def ended_by_close(headers: CIMultiDictProxy[str]) -> bool:
    """Tell whether a 200's body was framed by nothing but the connection's end (RFC 9112,
    6.3, the last rule): then a transfer broken off reads as a shorter whole body.

    A Content-Length (aiohttp fails a body shorter than it), chunks (their last one is
    awaited) and gzip or deflate (their stream's end is checked, content_coding.py) each
    tell a cut body from a whole one.
    """
    if "content-length" in headers:
        return False
    if chunked(headers):
        return False
    try:
        return body_coding(headers.get("content-encoding")) is None
    except Unasked:  # refused before the body was read: never reaches here
        return False
