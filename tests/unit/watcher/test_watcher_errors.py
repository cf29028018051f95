"""Bodies that are not content raise ContentError, so they can never count as a change."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.watcher.domain import extract_feed, extract_pdf
from services.watcher.domain.content import ContentError, parse_content
from tests.support.pdfs import dense_pdf

FIXTURES = Path(__file__).parents[2] / "fixtures" / "watcher"

SERVER_ERROR = b"""<html><head><title>500 Internal Server Error</title></head>
<body><h1>Internal Server Error</h1><p>The server encountered an internal error.</p>
<hr><address>nginx</address></body></html>"""
NOT_FOUND_NB = """<!DOCTYPE html><html lang="nb"><head><title>Siden finnes ikke - FHI</title></head>
<body><header><nav><a href="/">Forside</a></nav></header><main><h1>Siden finnes ikke</h1>
<p>Beklager, vi finner ikke siden du leter etter. Den kan være flyttet eller slettet.
Prøv søket eller gå til forsiden.</p></main></body></html>""".encode()
JS_SHELL = """<!DOCTYPE html><html><head><script src="/app.js"></script></head>
<body><div id="app"></div><noscript>Du må slå på JavaScript.</noscript></body></html>""".encode()
EMPTY_CHANNEL = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Nyheter</title>
<link>https://www.regjeringen.no/</link><description>Ingen saker</description></channel></rss>"""
QUADRATIC_BLOWUP = (
    b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "' + b"x" * 50_000 + b'">]>'
    b"<rss><channel><item><title>t</title><description>"
    + b"&a;" * 50_000
    + b"</description></item></channel></rss>"
)


def fixture(path: str) -> bytes:
    return (FIXTURES / path).read_bytes()


@pytest.mark.parametrize("kind", ["page", "feed", "pdf"])
@pytest.mark.parametrize("body", [b"", b"   \n\t \r\n"], ids=["empty", "whitespace"])
def test_empty_bodies_are_errors(kind: str, body: bytes) -> None:
    with pytest.raises(ContentError, match="empty body"):
        parse_content(kind, body)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (SERVER_ERROR, "no extractable text|error page"),
        (NOT_FOUND_NB, "error page"),
        (JS_SHELL, "no extractable text"),
        (b"<html><body><nav><a href='/'>Forside</a></nav></body></html>", "no extractable text"),
        (b"\x00\x01\x02 binary garbage \xff\xfe", "no extractable text"),
    ],
    ids=["500-page", "404-page-nb", "javascript-shell", "navigation-only", "binary"],
)
def test_pages_without_content_are_errors(body: bytes, reason: str) -> None:
    with pytest.raises(ContentError, match=reason):
        parse_content("page", body)


SOFT_404 = """<!DOCTYPE html><html lang="nb"><head><title>{title}</title></head>
<body><main><h1>{heading}</h1><p>Den kan ha blitt flyttet eller slettet. Prøv søket, eller gå
til forsiden.</p></main></body></html>"""


@pytest.mark.parametrize(
    ("title", "heading"),
    [
        ("Siden finnes ikke - Mattilsynet", "Oisann!"),
        ("404 - Mattilsynet", "Her var det tomt"),
        ("Mattilsynet", "Vi fant dessverre ikke siden du lette etter"),
        ("Mattilsynet", "Siden ble ikke funnet"),
        ("Sida finst ikkje - Statsforvaltaren", "Ups!"),
        ("Mattilsynet", "Vi fann diverre ikkje sida"),
        ("Norwegian Food Safety Authority", "We couldn't find that page"),
        ("Page not found | Norwegian Food Safety Authority", "Oops!"),
    ],
)
def test_a_soft_404_that_says_so_in_its_title_or_in_other_words_is_an_error_page(
    title: str, heading: str
) -> None:
    # Served with 200 in place of the article: its text was mailed as a change, and the
    # article back as another.
    body = SOFT_404.format(title=title, heading=heading).encode()

    with pytest.raises(ContentError, match="looks like an error page"):
        parse_content("page", body)


def test_a_short_page_with_a_title_of_its_own_is_content() -> None:
    body = SOFT_404.format(title="Flytting av avfallsmottaket", heading="Oisann!").encode()

    assert parse_content("page", body).title == "Oisann!"


def test_an_error_page_never_replaces_the_real_page() -> None:
    # The watcher keeps the last good snapshot when parse_content raises; prove it raises
    # for an error page served with status 200 in place of the real article.
    parse_content("page", fixture("pages/fhi_norge_i_verden.html"))
    with pytest.raises(ContentError):
        parse_content("page", SERVER_ERROR)


def test_invalid_or_unmatched_selector_is_an_error() -> None:
    body = fixture("pages/fhi_norge_i_verden.html")
    with pytest.raises(ContentError, match="invalid CSS selector"):
        parse_content("page", body, selector="div[")
    with pytest.raises(ContentError, match="matched nothing"):
        parse_content("page", body, selector=".finnes-ikke")


def test_invalid_ignore_pattern_is_an_error() -> None:
    with pytest.raises(ContentError, match="invalid ignore pattern"):
        parse_content("page", fixture("pages/fhi_norge_i_verden.html"), ignore=("(unclosed",))


def test_oversized_body_is_refused_before_parsing() -> None:
    with pytest.raises(ContentError, match="exceeds"):
        parse_content("page", b"<p>" + b"a" * (10 * 1024 * 1024))


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (fixture("feeds/malformed.xml"), "malformed feed"),
        (EMPTY_CHANNEL, "no entries"),
        (fixture("pages/fhi_norge_i_verden.html"), "a web page, not a web feed"),
        (b"just some text, not a feed", "no entries"),
    ],
    ids=["malformed", "empty-channel", "html-page", "plain-text"],
)
def test_feeds_without_entries_are_errors(body: bytes, reason: str) -> None:
    with pytest.raises(ContentError, match=reason):
        parse_content("feed", body)


@pytest.mark.parametrize(
    "body",
    [
        fixture("feeds/billion_laughs.rss"),
        fixture("feeds/external_entity.rss"),
        QUADRATIC_BLOWUP,
        fixture("feeds/billion_laughs.rss").decode("utf-8").encode("utf-16"),
        # Each read as little-endian UTF-16, their «<!ENTITY» was not found, and feedparser
        # read the entity (expat's own limit stopped the laughs after about 8 MB).
        fixture("feeds/billion_laughs.rss").decode("utf-8").encode("utf-16-be"),  # no mark
        fixture("feeds/billion_laughs.rss").decode("utf-8").encode("utf-32"),
        fixture("feeds/billion_laughs.rss").decode("utf-8").encode("utf-32-be"),
        fixture("feeds/billion_laughs.rss")
        .replace(b'<?xml version="1.0"?>', b'<?xml version="1.0" encoding="UTF-7"?>')
        .replace(b"<!ENTITY", b"+ADwAIQ-ENTITY"),  # «<!» in UTF-7's base64
    ],
    ids=[
        "billion-laughs",
        "external-entity",
        "quadratic-blowup",
        "billion-laughs-utf16",
        "billion-laughs-utf16-big-endian-unmarked",
        "billion-laughs-utf32",
        "billion-laughs-utf32-big-endian-unmarked",
        "billion-laughs-utf7",
    ],
)
def test_xml_bombs_are_refused_before_any_parser_expands_them(
    body: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    def expand(*_: object, **__: object) -> None:
        raise AssertionError("the bomb reached feedparser")

    monkeypatch.setattr(extract_feed.feedparser, "parse", expand)
    with pytest.raises(ContentError, match="declares entities"):
        parse_content("feed", body)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (fixture("pdf/rapport_2019.pdf")[:2000], "unreadable PDF|no extractable text"),
        (b"%PDF-1.7\n" + b"\x00garbage" * 100, "unreadable PDF|no extractable text"),
        (b"<html><body>Not a PDF</body></html>", "not a PDF"),
        (fixture("pdf/rapport_2019_kryptert.pdf"), "encrypted"),
    ],
    ids=["truncated", "garbage-after-header", "html", "password-protected"],
)
def test_broken_or_locked_pdfs_are_errors(body: bytes, reason: str) -> None:
    with pytest.raises(ContentError, match=reason):
        parse_content("pdf", body)


def _rss(declaration: bytes = b'<?xml version="1.0"?>', title: bytes = b"") -> bytes:
    return (
        declaration + b'<rss version="2.0"><channel><title>Nyheter</title><item><title>Sak '
        + title
        + b" om helse</title><guid>sak-1</guid><description>Tekst om helse og omsorg."
        b"</description></item></channel></rss>"
    )  # fmt: skip


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (_rss(b'<?xml version="1.0" encoding="norsk-\xe6\xf8\xe5"?>'), None),
        (_rss(b'<?xml version="1.0" encoding="utf\x00-8"?>'), None),
    ],
    ids=["encoding-name-not-text", "nul"],
)
def test_a_feed_the_parser_trips_over_is_malformed_not_a_crash(
    body: bytes, content_type: str | None
) -> None:
    # feedparser raised on each: the poll crashed, and the source never showed as failing.
    with pytest.raises(ContentError, match=r"malformed feed with no entries \(feedparser failed"):
        parse_content("feed", body, content_type=content_type)


def test_a_pdf_whose_text_takes_too_long_to_read_is_refused_within_its_budget(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # pypdf's time grows faster than a page's lines: one page of 100,000 (27 KB of file) took
    # 46 s, on the thread that parses every feed and PDF, so every poll waited behind it.
    assert parse_content("pdf", dense_pdf(100)).blocks  # read as ever
    monkeypatch.setattr(extract_pdf, "PDF_BUDGET_SECONDS", 0.05, raising=False)

    with pytest.raises(ContentError, match=r"unreadable PDF \(reading its text took more than"):
        parse_content("pdf", dense_pdf(30_000))


def test_a_pdf_page_is_cut_off_inside_the_page_once_its_budget_is_spent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A clock that moves a hundredth of a second each time it is read, so the count of readings
    # says how far into the one page the reading got, whatever else the machine is doing.
    readings = 0

    def clock() -> float:
        nonlocal readings
        readings += 1
        return readings / 100

    monkeypatch.setattr(extract_pdf, "PDF_BUDGET_SECONDS", 0.05, raising=False)
    monkeypatch.setattr(extract_pdf, "thread_time", clock)

    with pytest.raises(ContentError, match=r"took more than 0\.05 s of CPU time; 0 of 1 pages"):
        parse_content("pdf", dense_pdf(30_000))

    # The deadline, the check before the page, then one every 512 instructions until past it:
    # the 30,000 lines' instructions would have taken some sixty readings.
    assert readings == 7
