"""What the watcher hands on: links resolved to web addresses, and text any store can carry.

A feed publishes whatever its CMS lets an editor write: relative links, ``javascript:`` links,
spaces and quotes in a link, control characters in a title, titles longer than any mail shows.
None of that may cost a mail. Links are resolved against the address the feed or page was read
from (a relative link lost 23 deliveries once, when the mailer could not use it); text loses
the control characters that PostgreSQL refuses (NUL) or no reader can see, and is clipped to
what the mailer stores.
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

from services.watcher.domain.summary import clip

# The mailer keeps this much of a change (mail_changes.title and .url).
TITLE_LIMIT: Final = 500
URL_LIMIT: Final = 2000
_WEB_SCHEMES: Final = frozenset({"http", "https"})
# Percent-encode everything but RFC 3986's reserved and unreserved characters (and "%", so an
# already encoded link stays as it is): spaces, quotes, angle brackets and non-ASCII letters.
_URL_SAFE: Final = "/?#[]@!$&'()*+,;=:%~-._"
# C0 and C1 controls but tab and line breaks, DEL, and lone surrogates (which UTF-8 cannot hold).
_UNCARRIABLE: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def absolute_link(base: str, link: str) -> str | None:
    """Return ``link`` as an absolute http(s) address resolved against ``base``, or None."""
    link = _UNCARRIABLE.sub("", link).strip()
    if not link:
        return None
    try:
        parts = urlsplit(urljoin(base, link))
        host = parts.hostname
    except ValueError:  # a malformed IPv6 literal or port
        return None
    if parts.scheme.lower() not in _WEB_SCHEMES or not host:
        return None
    resolved = urlunsplit(
        (
            parts.scheme.lower(),
            parts.netloc,  # a non-ASCII host is the mailer's to IDNA-encode
            quote(parts.path, safe=_URL_SAFE),
            quote(parts.query, safe=_URL_SAFE),
            quote(parts.fragment, safe=_URL_SAFE),
        )
    )
    return resolved if len(resolved) <= URL_LIMIT else None


def carried_text(value: str, limit: int | None = None) -> str:
    """Return ``value`` without characters no store or reader can take, clipped to ``limit``."""
    if _UNCARRIABLE.search(value):
        value = _UNCARRIABLE.sub("", value)
    return clip(value, limit) if limit is not None else value
