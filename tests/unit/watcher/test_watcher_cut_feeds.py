"""Whether an RSS or Atom body ends by closing its root element, whatever may follow it, and
how a feed held back as cut off is read back for the admin."""

from __future__ import annotations

import pytest

from services.watcher.domain.cut_feeds import cut_feed, cut_short
from services.watcher.domain.failures import (
    CONTENT_PREFIX,
    Failure,
    FailureReason,
    failure_reason,
)

ATOM = b'<feed xmlns="http://www.w3.org/2005/Atom"><title>N</title><entry><id>a</id></entry></feed>'


@pytest.mark.parametrize(
    "body",
    [
        ATOM,
        b'\xef\xbb\xbf<?xml version="1.0"?>\n<!-- cms -->\n<!DOCTYPE rss>\n<rss><channel/></rss>',
        ATOM.replace(b"</feed>", b"</feed >\n<!-- generated in 0.02 s -->\n\x00\x00\r\n"),
        b"<rdf:RDF><item/></rdf:RDF>",
        "<rss><channel/></rss>".encode("utf-16"),  # cannot tell: read as before
        b'{"version": "https://jsonfeed.org/version/1.1", "items": [',  # JSON: not asked
    ],
    ids=["atom", "prologue", "epilogue", "rdf", "utf-16", "json"],
)
def test_a_feed_that_ends_or_cannot_be_told_is_not_cut(body: bytes) -> None:
    assert cut_short(body) is None


@pytest.mark.parametrize(
    ("body", "root"),
    [
        (ATOM[:-20], "feed"),
        (b"<rss><channel><item><title>Sak</title><description>Tekst om", "rss"),
        (b"<rss><channel/></rss><br /><b>Warning</b>: Undefined index", "rss"),
        (b"<rss><channel/></rs", "rss"),
    ],
    ids=["atom", "mid-text", "junk-after", "mid-tag"],
)
def test_a_feed_that_stops_before_its_root_closes_is_cut(body: bytes, root: str) -> None:
    assert cut_short(body) == root


@pytest.mark.parametrize("seen", [1, 2])
def test_the_reason_is_read_back_for_the_admin(seen: int) -> None:
    reason = cut_feed("feed", seen, "ab" * 32)

    assert failure_reason(f"{CONTENT_PREFIX}{reason}") == FailureReason(
        Failure.FEED_CUT_SHORT, {"root": "feed"}
    )
