"""Tell a page a CMS moved, which says so with a short notice and an immediate refresh.

«Siden er flyttet» with ``<meta http-equiv="refresh" content="0; url=…">`` is a redirect
that only a browser follows: read as the page, the notice was stored in its place, and the
page it leads to was never watched. A short notice that refreshes within a few seconds is
followed as an HTTP redirect is (adapters/fetcher.py: the same limit on hops, the same guard
of addresses; handlers: a front page reached is a failure). A page that reloads itself, that
waits longer, or that holds more than a notice's text is read as it is.
"""

from __future__ import annotations

import re
from urllib.parse import urldefrag, urljoin

import lxml.html
from lxml import etree

# At most this many seconds before the refresh: a notice a reader is meant to see only briefly.
MOST_SECONDS = 5
# More text than this is a page of its own, not a notice that it has moved (as an error page's
# text is under 1,000 characters: ADR 0004).
NOTICE_MAX_CHARS = 1000
# The refresh's content: its seconds (a fraction ignored, as browsers do), then the address,
# with «url=» before it or not, in quotes or not (HTML's «shared declarative refresh steps»).
_CONTENT_RE = re.compile(
    r"\s*(?P<seconds>\d+)[\d.]*\s*(?:[;,]\s*|\s+)(?:url\s*=\s*)?(?P<url>.*)",
    re.IGNORECASE | re.DOTALL,
)
_NOT_TEXT = ("script", "style", "template", "noscript")


def refresh_target(body: bytes, content_type: str | None, url: str) -> str | None:
    """Return the address a short HTML notice at ``url`` refreshes to at once; None for any
    other body (no refresh, a longer wait, a page of its own, a refresh to itself)."""
    if content_type is not None and "html" not in content_type.lower():
        return None
    # Most bodies hold no refresh: two byte searches, where parsing each cost far more.
    if b"efresh" not in body and b"EFRESH" not in body:
        return None
    try:
        tree = lxml.html.document_fromstring(body)
    except (etree.ParserError, ValueError):
        return None
    target = _declared(tree, url)
    if target is None or _text_chars(tree) > NOTICE_MAX_CHARS:
        return None
    return target


def _declared(tree: lxml.html.HtmlElement, url: str) -> str | None:
    """Return the address of the document's first refresh within MOST_SECONDS, if another."""
    for meta in tree.iter("meta"):
        if (meta.get("http-equiv") or "").strip().lower() != "refresh":
            continue
        match = _CONTENT_RE.fullmatch(meta.get("content") or "")
        if match is None or int(match["seconds"]) > MOST_SECONDS:
            return None
        written: str = match["url"].strip()
        if written[:1] in ("'", '"'):
            written = written[1:].split(written[0], 1)[0]
        if not written:
            return None  # a reload of the page itself
        try:
            target = urljoin(url, written.strip())
        except ValueError:
            return None  # no address at all: read as the page it is
        if urldefrag(target).url == urldefrag(url).url:
            return None
        return target
    return None


def _text_chars(tree: lxml.html.HtmlElement) -> int:
    """Return how many characters of text the document's body shows, its whitespace collapsed."""
    body = tree.find("body")
    if body is None:
        return 0
    for element in list(body.iter(*_NOT_TEXT)):
        element.drop_tree()
    return len(" ".join(body.text_content().split()))
