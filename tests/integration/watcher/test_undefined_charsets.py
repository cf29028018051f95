"""A page or feed labelled «charset=undefined» (a template's unset variable), over real HTTP:
read as one labelled nothing, as browsers read it, and its changes told in its own words."""

from __future__ import annotations

import pytest

from services.watcher.handlers import poll
from tests.integration.watcher.conftest import Harness
from tests.integration.watcher.pages import NEW_PARAGRAPH, page
from tests.integration.watcher.server import Route, ScriptedSite
from tests.support.feeds import rss

BERRIES = ("Blåbær og tyttebær", "https://example.no/baer")
COUGH = ("Ny veileder om kikhoste", "https://example.no/kikhoste")


@pytest.mark.parametrize("declared", ["utf-8", "undefined"])
async def test_a_feed_served_as_charset_undefined_is_read_and_its_news_told(
    site: ScriptedSite, harness: Harness, declared: str
) -> None:
    # Python's codec «undefined» refuses every byte: each poll failed as «malformed feed with
    # no entries (feedparser failed: UnicodeError ...)», and the feed's news never came.
    served = "application/rss+xml; charset=undefined"

    def feed(items: list[tuple[str, str]], texts: list[str], guids: list[str]) -> bytes:
        body = rss(items, texts, guids=guids)
        return body.replace(b'encoding="utf-8"', f'encoding="{declared}"'.encode())

    site.set("/rss", Route(feed([BERRIES], ["Ville bær er trygge å spise."], ["sak-1"]), served))
    source = await harness.add_source(site.url("/rss"), "feed")
    assert await poll(harness.deps, source) == "baseline"

    both = feed(
        [COUGH, BERRIES],
        ["Gravide bør ta vaksinen.", "Ville bær er trygge å spise."],
        ["sak-2", "sak-1"],
    )
    site.set("/rss", Route(both, served))
    assert await poll(harness.deps, source) == "changed"

    (told,) = await harness.events()
    assert (told.title, told.summary) == ("Ny veileder om kikhoste", "Gravide bør ta vaksinen.")


async def test_a_page_served_as_charset_undefined_is_read_and_its_change_told(
    site: ScriptedSite, harness: Harness
) -> None:
    # Failed as «unexpected error: UnicodeError reading the body», with a trace in the log.
    served = "text/html; charset=undefined"
    site.set("/p", Route(page(meta="").encode(), served))
    source = await harness.add_source(site.url("/p"))
    assert await poll(harness.deps, source) == "baseline"

    site.set("/p", Route(page(NEW_PARAGRAPH, meta="").encode(), served))
    assert await poll(harness.deps, source) == "changed"

    (told,) = await harness.events()
    assert told.title == "Råd om blåbær, tyttebær og multer"
    assert "Mattilsynet advarer mot å forveksle revebjelle" in told.summary
