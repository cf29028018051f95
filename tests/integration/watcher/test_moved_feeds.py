"""A feed moved behind a redirect, over real HTTP: its relative links lead from where it is."""

from __future__ import annotations

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
