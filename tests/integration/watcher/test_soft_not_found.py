"""A removed page that its site answers with its front page (a soft 404), or an address that now
leads to another site, alerts nobody."""

from __future__ import annotations

from services.watcher.handlers import poll
from tests.integration.watcher.conftest import Harness
from tests.integration.watcher.pages import page
from tests.integration.watcher.server import Route, ScriptedSite

FRONT_PAGE = page(
    "<h2>Aktuelt</h2><p>Mattilsynet har i dag gitt råd om sopp, og om trygg handel med mat på"
    " nett. Les mer om dette og andre saker på våre temasider.</p>"
).replace("Råd om blåbær, tyttebær og multer", "Velkommen til Mattilsynet")


async def test_a_page_whose_address_now_leads_to_the_front_page_alerts_nobody(
    site: ScriptedSite, harness: Harness
) -> None:
    site.set("/tema/baer", Route(page().encode()))
    source = await harness.add_source(site.url("/tema/baer"))
    assert await poll(harness.deps, source) == "baseline"
    site.set("/", Route(FRONT_PAGE.encode()))
    site.set("/tema/baer", Route(status=302, location="/"))

    # Read as the page, the front page was a change: its news mailed to every follower.
    assert await poll(harness.deps, source) == "failed"

    assert await harness.events() == []
    assert len(await harness.snapshots(source)) == 1
    row = await harness.source(source)
    assert row.last_error == (
        f"{site.url('/tema/baer')} now leads to the front page of its site ({site.url('/')}):"
        " the page has probably been removed or moved"
    )

    site.set("/tema/baer", Route(page().encode()))  # back as it was: no news either
    assert await poll(harness.deps, source) == "unchanged"
    assert await harness.events() == []


async def test_an_address_that_now_leads_to_another_site_alerts_nobody(
    site: ScriptedSite, harness: Harness
) -> None:
    """A domain let go and bought by someone else: its «for sale» page was mailed to every
    follower under the page's name."""
    site.set("/tema/baer", Route(page().encode()))
    source = await harness.add_source(site.url("/tema/baer"))
    assert await poll(harness.deps, source) == "baseline"
    parked = site.url("/parkert").replace("127.0.0.1", "localhost")  # another host, same server
    site.set("/parkert", Route(page("<p>Dette domenet er til salgs! Kontakt oss.</p>").encode()))
    site.set("/tema/baer", Route(status=301, location=parked))

    assert await poll(harness.deps, source) == "failed"

    assert await harness.events() == []
    assert len(await harness.snapshots(source)) == 1
    row = await harness.source(source)
    assert row.last_error == (
        f"{site.url('/tema/baer')} now leads to another site ({parked}): nothing of it is sent;"
        " if the page moved there, change the source's address"
    )
    site.set("/tema/baer", Route(page().encode()))
    assert await poll(harness.deps, source) == "unchanged"
    assert await harness.events() == []
