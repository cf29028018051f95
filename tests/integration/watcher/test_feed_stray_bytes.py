"""A UTF-8 feed with a stray windows-1252 byte, over real HTTP: read as its publisher wrote it,
and the release that first reads it so alerts nobody by the new reading."""

from __future__ import annotations

import pytest

from services.watcher.domain.model import EXTRACTION, FEED_STRAY_BYTES
from services.watcher.handlers import poll
from tests.integration.watcher.conftest import Harness
from tests.integration.watcher.server import Route, ScriptedSite
from tests.support.feeds import rss

RSS = "application/rss+xml; charset=utf-8"
BERRIES = ("Blåbær og tyttebær", "https://example.no/baer")
BERRIES_TEXT = "Ville bær er trygge å spise \u2019 sier Mattilsynet."
COUGH = ("Ny veileder om kikhoste", "https://example.no/kikhoste")


def _feed(items: list[tuple[str, str]], texts: list[str], guids: list[str]) -> bytes:
    """Return the feed with its «’» as the one windows-1252 byte among its UTF-8."""
    return rss(items, texts, guids=guids).replace("\u2019".encode(), "\u2019".encode("cp1252"))


async def test_a_stray_byte_coming_and_going_alerts_nobody(
    site: ScriptedSite, harness: Harness
) -> None:
    clean = rss([BERRIES], [BERRIES_TEXT], guids=["sak-1"])
    site.set("/rss", Route(clean, RSS))
    source = await harness.add_source(site.url("/rss"), "feed")
    assert await poll(harness.deps, source) == "baseline"

    for body in (_feed([BERRIES], [BERRIES_TEXT], ["sak-1"]), clean):
        site.set("/rss", Route(body, RSS))
        assert await poll(harness.deps, source) == "unchanged"
    assert await harness.events() == []


async def _stored_under_the_older_reading(
    site: ScriptedSite, harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> int:
    """Add the berries' feed as the release before stored it; return the source's id."""
    # The byte made the whole entry text noise («bÃ¦r»).
    site.set("/rss", Route(_feed([BERRIES], [BERRIES_TEXT], ["sak-1"]), RSS))
    source = await harness.add_source(site.url("/rss"), "feed")
    await harness.baseline_under(source, FEED_STRAY_BYTES - 1, monkeypatch)
    return source


async def test_a_feed_stored_under_the_older_reading_is_judged_by_it_once(
    site: ScriptedSite, harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = await _stored_under_the_older_reading(site, harness, monkeypatch)

    # A new entry above it: told, and the old one not again for being read right now.
    both = _feed([COUGH, BERRIES], ["Gravide bør ta vaksinen.", BERRIES_TEXT], ["sak-2", "sak-1"])
    site.set("/rss", Route(both, RSS))
    assert await poll(harness.deps, source) == "changed"

    (told,) = await harness.events()
    assert told.title == COUGH[0]
    assert (await harness.source(source)).extraction == EXTRACTION
    # From now on like is compared with like: the byte gone is no news.
    site.set(
        "/rss",
        Route(
            rss(
                [COUGH, BERRIES],
                ["Gravide bør ta vaksinen.", BERRIES_TEXT],
                guids=["sak-2", "sak-1"],
            ),
            RSS,
        ),
    )
    assert await poll(harness.deps, source) == "unchanged"
    assert await harness.events() == [told]


async def test_a_new_entry_the_older_reading_names_otherwise_is_told_in_todays_words(
    site: ScriptedSite, harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = await _stored_under_the_older_reading(site, harness, monkeypatch)

    # Its guid holds «æ», which the older reading of this document spells «Ã¦»: the same
    # entry under another key, still new.
    new = ("Tyttebær i skogen", "https://example.no/tyttebaer")
    text = "Tyttebær er modne \u2019 sier Mattilsynet."
    both = _feed([new, BERRIES], [text, BERRIES_TEXT], ["sak-tyttebær", "sak-1"])
    site.set("/rss", Route(both, RSS))
    assert await poll(harness.deps, source) == "changed"

    (told,) = await harness.events()
    assert told.title == new[0]
    assert told.summary == "Tyttebær er modne \u2019 sier Mattilsynet."
