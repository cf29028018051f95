"""A feed moved, over real HTTP: behind a redirect, its relative links lead from where it is;
its old address answering a page, the failure says so and names the feed the page links to."""

from __future__ import annotations

from services.watcher.domain.failures import Failure, FailureReason, failure_reason
from services.watcher.handlers import poll
from tests.integration.watcher.conftest import Harness
from tests.integration.watcher.server import Route, ScriptedSite
from tests.support.feeds import rss

RSS = "application/rss+xml"
OLD = ("Influensavaksinen er klar for sesongen", "influensa-2026")
OLD_TEXT = "Alle over 65 år får tilbud om vaksine fra oktober."


async def test_a_moved_feeds_relative_links_lead_from_its_new_address(
    site: ScriptedSite, harness: Harness
) -> None:
    # The site moved its feed under /nyheter/ and redirects the old address there. Its items
    # link relative to the feed («kikhoste»): resolved against the address polled, the mail
    # led to /kikhoste, a page that never existed.
    site.set("/rss", Route(status=301, location=site.url("/nyheter/rss.xml")))
    site.set("/nyheter/rss.xml", Route(rss([OLD], [OLD_TEXT], guids=["sak-1"]), RSS))
    source = await harness.add_source(site.url("/rss"), "feed")
    assert await poll(harness.deps, source) == "baseline"

    newer = rss(
        [("Ny veileder om kikhoste", "kikhoste"), OLD],
        ["Gravide anbefales vaksine mot kikhoste.", OLD_TEXT],
        guids=["sak-2", "sak-1"],
    )
    site.set("/nyheter/rss.xml", Route(newer, RSS))
    assert await poll(harness.deps, source) == "changed"

    (told,) = await harness.events()
    assert told.url == site.url("/nyheter/kikhoste")
    assert told.source_url == site.url("/rss")  # the subscription's address stays the source's


NEWS_PAGE = """<!DOCTYPE html>
<html lang="nb"><head><meta charset="utf-8"><title>Nyheter</title>
<link rel="alternate" type="application/rss+xml" title="Nyheter" href="/aktuelt/rss.xml">
</head><body><main><h1>Nyheter</h1><p>Influensavaksinen er klar for sesongen.</p></main>
</body></html>"""


async def test_a_feeds_address_that_answers_a_page_says_so_and_names_the_feed_it_links(
    site: ScriptedSite, harness: Harness
) -> None:
    # A rebuilt site answers its old feed's address with its news page. The poll failed as
    # «malformed feed with no entries (<unknown>:2:0: not well-formed (invalid token))».
    site.set("/rss", Route(rss([OLD], [OLD_TEXT], guids=["sak-1"]), RSS))
    source = await harness.add_source(site.url("/rss"), "feed")
    assert await poll(harness.deps, source) == "baseline"
    site.set("/rss", Route(NEWS_PAGE.encode(), "text/html; charset=utf-8"))

    assert await poll(harness.deps, source) == "failed"

    row = await harness.source(source)
    assert row.last_error == (
        "no usable content: feed: the address answers a web page, not a web feed;"
        " the page names a feed at /aktuelt/rss.xml"
    )
    assert failure_reason(row.last_error) == FailureReason(
        Failure.FEED_IS_PAGE_NAMING_FEED, {"feed": "/aktuelt/rss.xml"}
    )
    assert await harness.events() == []

    site.set("/rss", Route(rss([OLD], [OLD_TEXT], guids=["sak-1"]), RSS))
    assert await poll(harness.deps, source) == "unchanged"  # back, and nobody is told
    assert await harness.events() == []
