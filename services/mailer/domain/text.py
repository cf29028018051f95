"""Cleaning untrusted text (page titles, summaries, feed text) before it goes into a mail.

HTML escaping is the template environment's job; these functions only remove what must never
reach a header or a text line: line breaks in one-line values, control characters, and the
invisible bidirectional overrides that can make a title read differently from what it is.
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import urlsplit, urlunsplit

from shared.mail_links import is_mail_safe
from shared.page_urls import percent_encoded

# C0/C1 controls except the line-breaking ones (handled as whitespace), DEL, bidi embeddings,
# overrides and isolates, and the BOM. Zero-width joiners stay: emoji and some scripts need them.
_INVISIBLE: Final = re.compile(
    r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u202a-\u202e\u2066-\u2069\ufeff]"
)
# Every way of breaking a line, including NEL and the Unicode line/paragraph separators.
_LINE_BREAKS: Final = re.compile(r"\r\n|[\r\n\x0b\x0c\x85\u2028\u2029]")
_SPACES: Final = re.compile(r"\s+")


def ascii_url(url: str) -> str:
    """Return ``url`` with an IDNA host and a percent-encoded path, query and fragment.

    Encoded as the watcher and the publisher API encode what they take in (``percent_encoded``):
    a change stored before they did, with a space or a quote in its address, keeps its link too.
    """
    parts = urlsplit(url)
    if not parts.netloc.isascii():
        try:
            host = (parts.hostname or "").encode("idna").decode("ascii")
        except UnicodeError:
            raise ValueError(f"URL host is not a valid internationalised name: {url!r}") from None
        parts = parts._replace(netloc=f"{host}:{parts.port}" if parts.port else host)
    return percent_encoded(urlunsplit(parts))


def checked_url(name: str, url: str) -> str:
    """Return ``url`` if it is an absolute http(s) URL safe to put in a mail, else raise."""
    if not is_mail_safe(url):
        raise ValueError(f"{name} must be an absolute http(s) URL, got {url!r}")
    return url


def safe_url(url: str) -> str | None:
    """Return ``url`` as an ASCII http(s) URL safe to put in a mail, or None if it cannot be."""
    try:
        return checked_url("url", ascii_url(url))
    except ValueError:
        return None


def one_line(value: str, *, max_length: int | None = None) -> str:
    """Collapse ``value`` to one clean line, optionally shortened with an ellipsis."""
    cleaned = _SPACES.sub(" ", _INVISIBLE.sub("", value)).strip()
    if max_length is not None and len(cleaned) > max_length:
        cleaned = cleaned[: max_length - 1].rstrip() + "…"
    return cleaned


def paragraphs(value: str) -> list[str]:
    """Split ``value`` into clean non-empty lines, each a paragraph of its own."""
    lines = _LINE_BREAKS.split(_INVISIBLE.sub("", value))
    return [line for line in (one_line(raw) for raw in lines) if line]
