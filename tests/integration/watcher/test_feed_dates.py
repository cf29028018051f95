"""A feed's dates over real HTTP: a date past tomorrow is a publisher's mistake, not news's date."""

from __future__ import annotations

from services.watcher.handlers import poll
from tests.integration.watcher.conftest import Harness
from tests.integration.watcher.server import Route, ScriptedSite
from tests.support.feeds import rss

RSS = "application/rss+xml"


def feed(dates: list[str]) -> bytes:
    return rss(
        [(f"Sak {n}", f"https://example.no/sak/{n}") for n in range(len(dates))], dates=dates
    )


async def test_an_item_dated_in_year_9999_is_told_without_its_date(
    site: ScriptedSite, harness: Harness
) -> None:
    today = harness.clock.now()
    stamp = today.strftime("%a, %d %b %Y 08:00:00 +0000")
    site.set("/rss", Route(feed([stamp]), RSS))
    source = await harness.add_source(site.url("/rss"), "feed")
    assert await poll(harness.deps, source) == "baseline"
    site.set("/rss", Route(feed([stamp, "Fri, 31 Dec 9999 23:59:59 +0000", stamp]), RSS))

    assert await poll(harness.deps, source) == "changed"

    dated = {e.title: e.published for e in await harness.events()}
    assert dated == {"Sak 1": None, "Sak 2": today.date()}
