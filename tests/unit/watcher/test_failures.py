"""A stored failure reason is read back as its kind and values, so the admin can word it; the
sentences are the watcher's own (bodies refused by parse_content, the fetcher's words)."""

from __future__ import annotations

import io
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from pypdf import PdfWriter

from services.admin.entrypoints.failure_wording import FAILURES
from services.watcher.domain.content import ContentError, parse_content
from services.watcher.domain.failures import (
    CONTENT_PREFIX,
    Failure,
    FailureReason,
    failure_reason,
)
from services.watcher.domain.front_pages import another_site_reason, front_page_reason
from shared.i18n.catalogues import Catalogues
from shared.vocabulary import SourceKind

ADMIN_LOCALE = Path(__file__).parents[3] / "services" / "admin" / "locale"
PAGE = b"<html><body><main><h1>Om oss</h1><p>" + b"Tekst om oss og arbeidet. " * 20 + b"</p>"
SIGN_IN = b"""<html><head><title>Logg inn</title></head><body><main><h1>Logg inn</h1>
<p>Bruk brukernavnet og passordet du fikk fra din leder.</p>
<form><input name="u"><input type="password" name="p"></form></main></body></html>"""
MAINTENANCE = b"""<html><head><title>Delta</title></head><body><main>
<h1>Nettstedet er nede for vedlikehold</h1><p>Pr\xc3\xb8v igjen om en time.</p></main>
</body></html>"""
NEWS_PAGE = b"""\xef\xbb\xbf<!-- cms 4.2 -->\n<!doctype html><html><head><title>Nyheter</title>
</head><body><main><h1>Nyheter</h1><p>Ny veileder om kikhoste.</p></main></body></html>"""
FEED_LINK = b'<link rel="alternate" type="application/atom+xml" href="%s">'
ROBOT = b"""<html><head><title>Just a moment...</title></head><body><main><h1>Just a moment...</h1>
<p>Checking your browser before accessing delta.no.</p></main></body></html>"""
FIREWALL = b"""<html><head><title>Request Rejected</title></head><body>
The requested URL was rejected. Please consult with your administrator.<br><br>
Your support ID is: 6898140010701167723</body></html>"""
QUEUE = b"""<html><head><title>Queue-it</title></head><body><main><h1>You are now in line</h1>
<p>Thank you for your patience. Queue ID: 577af16466c9</p></main></body></html>"""


# Markup nested deeper than varsel reads (a pasted document's wrappers, or tags left unclosed).
DEEP = "<div>" * 1500 + "<p>Frist for å søke er 1. mars.</p>" + "</div>" * 1500


def _rss(title: str, text: str) -> bytes:
    """Return an RSS feed of one item, its title and the item's text given as HTML."""
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>https://x.org/</link><description>d</description>"
        f"<item><title>Sak</title><link>https://x.org/1</link>"
        f"<description>{escape(text)}</description></item></channel></rss>"
    ).encode()


def _deep_json(version: bytes) -> bytes:
    """Return JSON naming ``version`` with an item nested deeper than Python's parser reads."""
    deep = b"[" * 100_000 + b"]" * 100_000
    return b'{"version":"%s","items":[{"id":"1","_ext":%s}]}' % (version, deep)


def _scanned_pdf() -> bytes:
    """Return a PDF whose page holds no text, as a scanned report's pages hold images only."""
    writer, written = PdfWriter(), io.BytesIO()
    writer.add_blank_page(width=595, height=842)
    writer.write(written)
    return written.getvalue()


# The fetcher's sentences as it words them (adapters/fetcher.py), with the kind each is read as.
FETCHED = [
    ("HTTP 503 from https://example.org/a", FailureReason(Failure.HTTP_STATUS, {"status": "503"})),
    (
        "HTTP 429 from https://example.org/a (it asks for a pause of 3600 s)",
        FailureReason(Failure.HTTP_STATUS, {"status": "429"}),
    ),
    (
        "HTTP 304 from https://example.org/a, to a request without If-None-Match or"
        " If-Modified-Since: «not modified» since nothing",
        FailureReason(Failure.UNASKED_NOT_MODIFIED, {}),
    ),
    ("timed out after 20s fetching https://example.org/a", FailureReason(Failure.TIMED_OUT)),
    ("timed out fetching https://example.org/a", FailureReason(Failure.TIMED_OUT)),
    ("redirect without a Location from https://x.org/", FailureReason(Failure.NO_LOCATION)),
    (
        "more than 5 redirects from https://example.org/loop",
        FailureReason(Failure.TOO_MANY_REDIRECTS, {"count": "5"}),
    ),
    (
        "body of 9000000 bytes is over the 5000000-byte cap",
        FailureReason(Failure.TOO_LARGE, {"limit": "5000000"}),
    ),
    ("body is over the 5000000-byte cap", FailureReason(Failure.TOO_LARGE, {"limit": "5000000"})),
    (
        "refused 10.0.0.1: it resolves to a private, loopback or link-local address "
        "(set VARSEL_ALLOW_PRIVATE_ADDRESSES=true to allow)",
        FailureReason(Failure.REFUSED),
    ),
    ("invalid URL 'https://['", FailureReason(Failure.BAD_URL)),
    (
        "refused 'ftp://x.org/': only http and https URLs are fetched",
        FailureReason(Failure.BAD_URL),
    ),
    (
        "cannot resolve nowhere.example: Name or service not known",
        FailureReason(Failure.CANNOT_RESOLVE, {"host": "nowhere.example"}),
    ),
    ("cannot fetch https://x.org/: Connection refused", FailureReason(Failure.UNREACHABLE)),
    (
        "https://x.org/ closed the connection before answering in full",
        FailureReason(Failure.CLOSED_EARLY),
    ),
    (
        "https://x.org/ sends a body marked Content-Encoding: gzip that is not gzip",
        FailureReason(Failure.BAD_ENCODING, {"coding": "gzip"}),
    ),
    (
        "https://x.org/ sends a body compressed as br, which varsel does not ask for",
        FailureReason(Failure.UNASKED_COMPRESSION, {"coding": "br"}),
    ),
    ("broken body from https://x.org/: oops", FailureReason(Failure.BROKEN_BODY)),
    ("invalid HTTP answer from https://x.org/: Bad status", FailureReason(Failure.INVALID_ANSWER)),
    ("unexpected error: KeyError", FailureReason(Failure.UNEXPECTED)),
    (
        front_page_reason("https://x.org/tema/baer", "https://x.org/nb/"),
        FailureReason(Failure.FRONT_PAGE, {"reached": "https://x.org/nb/"}),
    ),
    (
        another_site_reason("https://x.org/tema/baer", "http://parkert.example/"),
        FailureReason(Failure.ANOTHER_SITE, {"reached": "http://parkert.example/"}),
    ),
]

# Bodies parse_content refuses, and the kind of failure each is.
REFUSED: list[tuple[SourceKind, bytes, dict[str, object], FailureReason]] = [
    (SourceKind.PAGE, b"  ", {}, FailureReason(Failure.EMPTY_BODY)),
    (SourceKind.PAGE, b'{"saker": [1, 2]}', {}, FailureReason(Failure.JSON)),
    (SourceKind.FEED, b"%PDF-1.7 ...", {}, FailureReason(Failure.PDF_NOT_PAGE)),
    (SourceKind.PAGE, b"\x89PNG\r\n\x1a\n....", {}, FailureReason(Failure.FILE)),
    (SourceKind.PAGE, bytes(range(1, 9)) * 40, {}, FailureReason(Failure.BINARY, {"share": "100"})),
    (SourceKind.PDF, b"not a pdf at all", {}, FailureReason(Failure.NOT_PDF)),
    (SourceKind.PAGE, SIGN_IN, {}, FailureReason(Failure.SIGN_IN, {"said": "Logg inn"})),
    (
        SourceKind.PAGE,
        MAINTENANCE,
        {},
        FailureReason(Failure.MAINTENANCE, {"said": "Nettstedet er nede for vedlikehold"}),
    ),
    (SourceKind.PAGE, ROBOT, {}, FailureReason(Failure.ROBOT_CHECK, {"said": "Just a moment..."})),
    (SourceKind.PAGE, FIREWALL, {}, FailureReason(Failure.FIREWALL, {"said": "Request Rejected"})),
    (SourceKind.PAGE, QUEUE, {}, FailureReason(Failure.QUEUE, {"said": "You are now in line"})),
    (
        SourceKind.PAGE,
        b"<html><body><main><p>Tom</p></main></body></html>",
        {},
        FailureReason(Failure.NO_TEXT, {"chars": "3"}),
    ),
    # «Check the selector» says nothing to an editor of a PDF, which has none to check.
    (SourceKind.PDF, _scanned_pdf(), {}, FailureReason(Failure.PDF_NO_TEXT, {"chars": "0"})),
    (SourceKind.FEED, b"<rss><channel></channel></rss>", {}, FailureReason(Failure.FEED_EMPTY)),
    (SourceKind.FEED, NEWS_PAGE, {}, FailureReason(Failure.FEED_IS_PAGE)),
    (
        SourceKind.FEED,
        NEWS_PAGE.replace(b"<title>", FEED_LINK % b"https://x.org/nyheter/rss" + b"<title>"),
        {},
        FailureReason(Failure.FEED_IS_PAGE_NAMING_FEED, {"feed": "https://x.org/nyheter/rss"}),
    ),
    (
        SourceKind.PAGE,
        PAGE,
        {"selector": "article.nyhet"},
        FailureReason(Failure.SELECTOR_NOTHING, {"selector": "article.nyhet"}),
    ),
    (
        SourceKind.PAGE,
        PAGE,
        {"selector": "main[["},
        FailureReason(Failure.BAD_SELECTOR, {"selector": "main[["}),
    ),
    (SourceKind.PAGE, PAGE, {"ignore": ("(",)}, FailureReason(Failure.BAD_IGNORE)),
    (
        SourceKind.FEED,
        _rss("Nyheter", DEEP),
        {},
        FailureReason(Failure.FEED_ENTRY_TOO_DEEP, {"number": "1"}),
    ),
    (
        SourceKind.FEED,
        _rss(DEEP, "Tekst om saken."),
        {},
        FailureReason(Failure.FEED_TITLE_TOO_DEEP),
    ),
    (
        SourceKind.FEED,
        _deep_json(b"https://jsonfeed.org/version/1.1"),
        {},
        FailureReason(Failure.FEED_JSON_TOO_DEEP),
    ),
    (SourceKind.FEED, _deep_json(b"2.0"), {}, FailureReason(Failure.FEED_JSON_TOO_DEEP)),
    (
        SourceKind.PAGE,
        f"<html><body>{'<div>' * 3000}<p>Frist for å søke er 1. mars.</p></body></html>".encode(),
        {},
        FailureReason(Failure.PAGE_TOO_DEEP),
    ),
]


@pytest.mark.parametrize(("stored", "expected"), FETCHED)
def test_the_fetchers_reasons_are_read_back(stored: str, expected: FailureReason) -> None:
    assert failure_reason(stored) == expected


@pytest.mark.parametrize(("kind", "body", "rules", "expected"), REFUSED)
def test_a_refused_bodys_reason_is_read_back(
    kind: SourceKind, body: bytes, rules: dict[str, object], expected: FailureReason
) -> None:
    with pytest.raises(ContentError) as refused:
        parse_content(kind, body, **rules)  # type: ignore[arg-type]
    assert failure_reason(f"{CONTENT_PREFIX}{refused.value}") == expected


@pytest.mark.parametrize(
    "stored",
    [
        "the hamster is tired",  # no form the watcher words
        "HTTP 503 from",  # cut before its address
        "no usable content: page looks like an error page: 'Feil 40",  # cut inside its quote
        "no usable content: HTTP 503 from https://x.org/",  # a fetch's words as a body's
    ],
)
def test_a_reason_in_no_known_form_is_not_read(stored: str) -> None:
    assert failure_reason(stored) is None


@pytest.mark.parametrize("failure", list(Failure))
def test_every_kind_is_worded_in_every_language_with_its_values(failure: Failure) -> None:
    catalogues = Catalogues.load(ADMIN_LOCALE, "admin")
    values = {"status": "503", "count": "5", "limit": "10", "host": "h", "coding": "br"}
    values |= {"said": "Logg inn", "share": "50", "chars": "3", "selector": "main", "reached": "/"}
    values |= {"feed": "/rss.xml", "root": "rss", "polls": "3", "number": "2"}
    for language in catalogues.languages:
        worded = catalogues[language].gettext(FAILURES[failure], **values)
        assert "%(" not in worded and worded.strip(), (language, failure)
