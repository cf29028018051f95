"""Extraction 12 reads a feed entry nested more than 255 deep whole, and drops a block that is
a print stamp or a visitor count alone from a page, a feed entry and a PDF. A source stored
under the older reading is judged by it once, so the upgrade alerts nobody; from then on like
is compared with like."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from services.watcher.domain.model import DEEP_FEED_ENTRIES, EXTRACTION, PRINT_STAMPS
from services.watcher.handlers import poll
from tests.integration.watcher.conftest import Harness
from tests.integration.watcher.server import Route, ScriptedSite
from tests.support.feeds import rss
from tests.support.pdfs import lines_pdf

_FIRST = "Frist for å søke er 1. mars."
_EDITED = "Frist for å søke er flyttet til 15. april."
_FIRST_ASCII, _EDITED_ASCII = (
    text.replace("å", "a").replace("ø", "o") for text in (_FIRST, _EDITED)
)


def deep_feed(text: str = _FIRST) -> bytes:
    """Return a feed whose second entry's text is wrapped 300 deep (a pasted document)."""
    items = [("Sak om vei", "https://example.no/vei"), ("Sak om vann", "https://example.no/vann")]
    deep = "<div>" * 300 + f"<p>{text}</p>" + "</div>" * 300
    return rss(items, ["Tekst om saken om veien, lang nok til å telle.", deep])


def printed_page(text: str = _FIRST, stamp: str = "05.12.2026 10:00") -> bytes:
    """Return a page with a print stamp and a visitor count, each a block of its own."""
    return (
        "<html><body><main><h1>Søknad om barnehageplass</h1>"
        f"<p>Søknaden sendes elektronisk gjennom kommunens skjema. {text}</p>"
        f"<p>Utskrift: {stamp}</p><p>Denne siden er vist {stamp[:2]}34 ganger</p>"
        "</main></body></html>"
    ).encode()


def printed_pdf(text: str = _FIRST_ASCII, stamp: str = "05.12.2026 10:00") -> bytes:
    """Return a one-page report whose footer says when it was printed."""
    return lines_pdf(
        [
            "Kommunen har vedtatt ny plan for vann og avlop. Planen gjelder for perioden",
            "2026 til 2030 og omfatter alle kommunale ledningsnett i hele kommunen.",
            text,
            f"Utskriftsdato: {stamp}   Side 1 av 1",
        ]
    )


_KINDS: dict[str, tuple[str, str, Callable[..., bytes]]] = {
    "deep-feed": ("feed", "application/rss+xml", deep_feed),
    "print-page": ("page", "text/html; charset=utf-8", printed_page),
    "print-pdf": ("pdf", "application/pdf", printed_pdf),
}


@pytest.mark.parametrize(
    ("name", "version"),
    [("deep-feed", DEEP_FEED_ENTRIES), ("print-page", PRINT_STAMPS), ("print-pdf", PRINT_STAMPS)],
)
async def test_a_source_stored_under_the_older_reading_alerts_nobody_at_the_upgrade(
    site: ScriptedSite,
    harness: Harness,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    version: int,
) -> None:
    kind, content_type, body = _KINDS[name]
    site.set("/s", Route(body(), content_type))
    source = await harness.add_source(site.url("/s"), kind=kind)
    await harness.baseline_under(source, version - 1, monkeypatch)

    # New bytes, the same text: today's reading differs (the deep text read, the stamps
    # gone), and nobody hears of it.
    site.set("/s", Route(body() + b"\n", content_type))
    assert await poll(harness.deps, source) == "unchanged"

    assert await harness.events() == []
    row = await harness.source(source)
    old, new = await harness.snapshots(source)
    assert row.extraction == EXTRACTION and row.fingerprint == new.fingerprint != old.fingerprint
    if kind != "feed":  # from now on the stamps moving alone are no news
        site.set("/s", Route(body(stamp="06.12.2026 11:03"), content_type))
        assert await poll(harness.deps, source) == "unchanged"
    edited = _EDITED if kind != "pdf" else _EDITED_ASCII  # the test's PDF holds Latin-1 text
    site.set("/s", Route(body(edited), content_type))
    assert await poll(harness.deps, source) == "changed"  # like with like
    (event,) = await harness.events()
    assert "15. april" in event.summary
    assert "Utskrift" not in event.summary and "ganger" not in event.summary
