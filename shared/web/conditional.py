"""Conditional GET: the validators varsel sends, and whether a client's copy is still current."""

from __future__ import annotations

import hashlib
from datetime import datetime
from email.utils import parsedate_to_datetime

from starlette.requests import Request


def etag_of(body: bytes) -> str:
    """Return a strong entity tag for a body: the same bytes, the same tag, on every replica."""
    return f'"{hashlib.sha256(body).hexdigest()[:32]}"'


def not_modified(request: Request, etag: str, last_modified: datetime | None = None) -> bool:
    """Tell whether the client's copy is current (RFC 9110: If-None-Match wins if sent)."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        return etag in {tag.strip() for tag in if_none_match.split(",")} or if_none_match == "*"
    since = request.headers.get("if-modified-since")
    if since is None or last_modified is None:
        return False
    try:
        client_time = parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False  # an unreadable date is ignored, as RFC 9110 says
    if client_time.tzinfo is None:
        return False
    return last_modified.replace(microsecond=0) <= client_time
