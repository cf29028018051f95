"""A feed that shows its archive at once, over real HTTP: one change, and the operator told why."""

from __future__ import annotations

import logging

import pytest

from services.watcher.domain.news import FEED_BURST
from services.watcher.handlers import poll
from tests.integration.watcher.conftest import Harness
from tests.integration.watcher.server import Route, ScriptedSite
from tests.support.feeds import rss

RSS = "application/rss+xml"


def items(count: int) -> list[tuple[str, str]]:
    return [(f"Sak nummer {n} om folkehelse", f"https://example.no/sak/{n}") for n in range(count)]


async def test_an_archive_that_comes_to_light_is_one_change_and_a_warning(
    site: ScriptedSite, harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    # A rebuilt feed shows a hundred items at once: one change naming the first, not a hundred
    # mails to each follower; the operator's log says how many.
    site.set("/rss", Route(rss(items(2)), RSS))
    source = await harness.add_source(site.url("/rss"), "feed")
    assert await poll(harness.deps, source) == "baseline"
    site.set("/rss", Route(rss(items(100)), RSS))

    with caplog.at_level(logging.WARNING, logger="services.watcher"):
        assert await poll(harness.deps, source) == "changed"

    (told,) = await harness.events()
    assert told.summary.splitlines() == [
        *(f"«Sak nummer {n} om folkehelse»" for n in range(2, 2 + FEED_BURST)),
        "…",
    ]
    assert any("98 new entries at once" in r.getMessage() for r in caplog.records)
    # Every entry is remembered: the same feed again is no news.
    assert await poll(harness.deps, source) == "unchanged"
    assert await harness.events() == [told]


async def test_a_busy_hour_of_a_feed_is_told_entry_by_entry(
    site: ScriptedSite, harness: Harness
) -> None:
    site.set("/rss", Route(rss(items(2)), RSS))
    source = await harness.add_source(site.url("/rss"), "feed")
    assert await poll(harness.deps, source) == "baseline"
    site.set("/rss", Route(rss(items(2 + FEED_BURST)), RSS))

    assert await poll(harness.deps, source) == "changed"

    assert [e.title for e in await harness.events()] == [
        f"Sak nummer {n} om folkehelse" for n in range(2, 2 + FEED_BURST)
    ]
