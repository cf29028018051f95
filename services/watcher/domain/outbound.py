"""What the watcher hands on: links resolved to web addresses, and text any store can carry.

A feed publishes whatever its CMS lets an editor write: relative links, ``javascript:`` links,
spaces and quotes in a link, control characters in a title, titles longer than any mail shows.
None of that may cost a mail. Links are resolved against the address the feed or page was read
from (a relative link lost 23 deliveries once, when the mailer could not use it); text loses
the control characters that PostgreSQL refuses (NUL) or no reader can see, and is clipped to
what the mailer stores.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import urljoin, urlsplit, urlunsplit

from shared.carried_text import UNCARRIABLE, carried_line, carried_text
from shared.page_urls import percent_encoded

# The mailer keeps this much of a change (mail_changes.title and .url).
TITLE_LIMIT: Final = 500
URL_LIMIT: Final = 2000
_WEB_SCHEMES: Final = frozenset({"http", "https"})


def absolute_link(base: str, link: str) -> str | None:
    """Return ``link`` as an absolute http(s) address resolved against ``base``, or None."""
    link = UNCARRIABLE.sub("", link).strip()
    if not link:
        return None
    try:
        parts = urlsplit(urljoin(base, link))
        host = parts.hostname
    except ValueError:  # a malformed IPv6 literal or port
        return None
    if parts.scheme.lower() not in _WEB_SCHEMES or not host:
        return None
    # Spaces, quotes, angle brackets and non-ASCII letters percent-encoded as a push's are;
    # a non-ASCII host is the mailer's to IDNA-encode.
    resolved = percent_encoded(urlunsplit(parts._replace(scheme=parts.scheme.lower())))
    return resolved if len(resolved) <= URL_LIMIT else None


__all__ = ["TITLE_LIMIT", "URL_LIMIT", "absolute_link", "carried_line", "carried_text"]
