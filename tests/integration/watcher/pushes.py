"""Pushes from a publisher's CMS, and a watched page to push for, for the watcher's tests."""

from __future__ import annotations

from datetime import timedelta

from services.watcher.command_api import Push, publish_change
from services.watcher.handlers import poll
from tests.integration.watcher.conftest import Harness
from tests.integration.watcher.pages import NEW_PARAGRAPH, page
from tests.integration.watcher.server import Route, ScriptedSite

LATER_PARAGRAPH = (
    "<h2>Tørke i innlandet</h2><p>Mattilsynet ber bærplukkere i Innlandet om å vente med "
    "tyttebærene til etter regnet i september.</p>"
)


async def push(
    harness: Harness,
    url: str,
    key: str,
    note: str = "Nytt om revebjelle.",
    *,
    minor: bool = False,
    topics: tuple[str, ...] = ("tema",),
    publisher: str = "cms",
) -> None:
    """Push a change for ``url`` as the CMS does, with its idempotency key."""
    change = Push(topics=topics, url=url, title="Blåbær", note=note, minor=minor)
    async with harness.deps.sessions() as session, session.begin():
        await publish_change(session, change, key, publisher, harness.clock.now())


async def watched(site: ScriptedSite, harness: Harness) -> int:
    """Serve the test page at /p, watch it and take its baseline; return the source's id."""
    site.set("/p", Route(page().encode()))
    source = await harness.add_source(site.url("/p"))
    assert await poll(harness.deps, source) == "baseline"
    return source


async def told_then_down(site: ScriptedSite, harness: Harness) -> int:
    """Watch the page, tell an edit of it, then have it answer 503: pushes after it are held."""
    source = await watched(site, harness)
    harness.clock.advance(timedelta(hours=1))
    site.set("/p", Route(page(NEW_PARAGRAPH).encode()))
    assert await poll(harness.deps, source) == "changed"
    site.set("/p", Route(b"Service Unavailable", status=503))
    return source
