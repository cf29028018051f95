"""A feed whose server writes a new session id into every link and dates every item at the
moment it is read, over real HTTP and days apart: its items are the ones told, never published
again (recurring.py); a real new item among them is told once."""

from __future__ import annotations

from datetime import timedelta
from email.utils import format_datetime

from services.watcher.handlers import poll
from tests.integration.watcher.conftest import Harness, HarnessFactory
from tests.integration.watcher.server import Route, ScriptedSite
from tests.support.feeds import rss

RSS = "application/rss+xml"
ITEMS = [
    ("Vannledning stengt i Storgata", "https://www.kommune.no/sak/1;jsessionid={token}"),
    ("Høring om ny reguleringsplan", "https://www.kommune.no/sak?id=2&PHPSESSID={token}"),
    ("Brøyting av kommunale veier", "https://www.kommune.no/(S({token}))/sak3.aspx"),
    ("Ny barnehage på Nordre", "https://www.kommune.no/sak/4?sid={token}"),
]
NEW = ("Stengt bro over elva", "https://www.kommune.no/sak/5;jsessionid={token}")


def _feed(harness: Harness, token: str, items: list[tuple[str, str]]) -> bytes:
    """Return the feed as its server answers a reading: every link (and guid) with this
    reading's session id, every item dated now."""
    linked = [(title, link.format(token=token)) for title, link in items]
    now = format_datetime(harness.clock.now())
    return rss(
        linked,
        [f"{title}. Les mer om saken hos kommunen." for title, _ in items],
        dates=[now] * len(items),
        guids=[link for _, link in linked],
    )


async def _session_links_told_once(harness: Harness, site: ScriptedSite) -> None:
    site.set("/rss", Route(_feed(harness, "a1b2c3d4e5f6a7b8", ITEMS), RSS))
    source = await harness.add_source(site.url("/rss"), "feed")
    assert await poll(harness.deps, source) == "baseline"

    for token in ["0f1e2d3c4b5a6978", "9a8b7c6d5e4f3a2b", "5e5e5e5e1d1d1d1d"]:
        harness.clock.advance(timedelta(days=3))
        site.set("/rss", Route(_feed(harness, token, ITEMS), RSS))
        assert await poll(harness.deps, source) == "unchanged", token
    assert await harness.events() == []

    # A real new item, with a session id of its own too: told once, and only it.
    harness.clock.advance(timedelta(days=3))
    site.set("/rss", Route(_feed(harness, "c0ffee00c0ffee00", [NEW, *ITEMS]), RSS))
    assert await poll(harness.deps, source) == "changed"
    harness.clock.advance(timedelta(days=3))
    site.set("/rss", Route(_feed(harness, "beef0000beef0000", [NEW, *ITEMS]), RSS))
    assert await poll(harness.deps, source) == "unchanged"

    (told,) = await harness.events()
    assert told.title == NEW[0]


async def test_a_feed_with_session_ids_in_its_links_tells_only_what_is_new(
    site: ScriptedSite, harness: Harness
) -> None:
    await _session_links_told_once(harness, site)


async def test_a_feed_with_session_ids_in_its_links_on_postgresql(
    site: ScriptedSite, make_harness: HarnessFactory, postgres_url: str
) -> None:
    await _session_links_told_once(make_harness(postgres_url), site)
