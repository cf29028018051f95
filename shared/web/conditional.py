"""Conditional GET: the validators varsel sends, and whether a client's copy is still current.

The fields are read by werkzeug's parsers (a list of entity tags, weak or strong, and HTTP dates
in their three forms) and judged by RFC 9110, 13.1.2 to 13.2.2.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.staticfiles import StaticFiles
from werkzeug.http import parse_date, parse_etags, unquote_etag


def etag_of(body: bytes) -> str:
    """Return a strong entity tag for a body: the same bytes, the same tag, on every replica."""
    return f'"{hashlib.sha256(body).hexdigest()[:32]}"'


def is_current(
    asked: Mapping[str, str], etag: str, last_modified: datetime | None, now: datetime
) -> bool:
    """Tell whether a client's copy, as its request headers describe it, is still current.

    If-None-Match wins if sent, compared weakly (a proxy that compresses makes a strong tag
    weak; ``*`` matches any); otherwise If-Modified-Since counts, unless it is unreadable or
    later than ``now``, which RFC 9110 calls invalid (a client's clock set wrong, or a date
    made up to get 304s forever).
    """
    if_none_match = asked.get("if-none-match")
    if if_none_match is not None:
        tag, _weak = unquote_etag(etag)
        return parse_etags(if_none_match).contains_weak(tag)
    since = parse_date(asked.get("if-modified-since"))
    if since is None or last_modified is None or since > now:
        return False
    return last_modified.replace(microsecond=0) <= since


def not_modified(
    request: Request,
    etag: str,
    last_modified: datetime | None = None,
    *,
    now: datetime | None = None,
) -> bool:
    """Tell whether the client's copy is current; ``now`` is the clock's time (default: UTC now)."""
    return is_current(request.headers, etag, last_modified, now or datetime.now(UTC))


class ConditionalStaticFiles(StaticFiles):
    """Starlette's static files, answering conditional requests by the same rules as the rest."""

    def is_not_modified(self, response_headers: Headers, request_headers: Headers) -> bool:
        """Tell whether the client's copy of a file is current (304 instead of the file)."""
        last_modified = parse_date(response_headers.get("last-modified"))
        return is_current(
            request_headers, response_headers["etag"], last_modified, datetime.now(UTC)
        )
