"""A server's validators or a redirect's address longer than the source's columns hold, on
PostgreSQL (which refuses such a value, where SQLite keeps it), or validators holding what no
request may carry: the page is read and stored, and what does not fit is not kept."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from services.watcher.adapters.tables import (
    ETAG_CHARS,
    LAST_MODIFIED_CHARS,
    URL_CHARS,
    WatchedSource,
)
from services.watcher.handlers import poll
from tests.integration.watcher.conftest import Harness, HarnessFactory
from tests.integration.watcher.pages import NEW_PARAGRAPH, page
from tests.integration.watcher.server import Route, ScriptedSite

LAST_MODIFIED = "Mon, 03 Mar 2025 07:00:00 GMT"


@pytest.fixture
async def pg(make_harness: HarnessFactory, postgres_url: str) -> AsyncIterator[Harness]:
    """A harness on PostgreSQL."""
    yield make_harness(postgres_url)


async def test_an_etag_longer_than_its_column_is_not_kept_and_the_page_is_read(
    site: ScriptedSite, pg: Harness
) -> None:
    # A CDN's ETag of every part's hash. Kept, it failed the baseline's whole transaction:
    # the poll crashed at every claim and the source showed as new for ever.
    long_etag = '"' + "a1b2" * (ETAG_CHARS // 4) + '"'
    site.set("/p", Route(page().encode(), etag=long_etag))
    source = await pg.add_source(site.url("/p"))

    assert await poll(pg.deps, source) == "baseline"
    row = await pg.source(source)
    assert (row.status, row.etag) == ("ok", None)

    site.set("/p", Route(page(NEW_PARAGRAPH).encode(), etag=long_etag))
    assert await poll(pg.deps, source) == "changed"
    assert "If-None-Match" not in site.log("/p")[1].headers
    assert len(await pg.events()) == 1


async def test_a_last_modified_longer_than_its_column_is_not_kept_and_the_page_is_read(
    site: ScriptedSite, pg: Harness
) -> None:
    long_date = LAST_MODIFIED + "; " + "x" * LAST_MODIFIED_CHARS  # a framework's debug text
    site.set("/p", Route(page().encode(), last_modified=long_date))
    source = await pg.add_source(site.url("/p"))

    assert await poll(pg.deps, source) == "baseline"
    assert (await pg.source(source)).last_modified is None

    site.set("/p", Route(page().encode(), last_modified=LAST_MODIFIED))
    assert await poll(pg.deps, source) == "unchanged"
    assert (await pg.source(source)).last_modified == LAST_MODIFIED  # one that fits is kept


async def test_a_redirect_to_an_address_longer_than_its_column_is_followed_and_stored(
    site: ScriptedSite, pg: Harness
) -> None:
    # A page moved behind a redirect with a long query (a CMS's session or tracking state).
    target = "/ny-side-" + "x" * URL_CHARS
    site.set("/p", Route(status=301, location=target))
    site.set(target, Route(page().encode()))
    source = await pg.add_source(site.url("/p"))

    assert await poll(pg.deps, source) == "baseline"
    row = await pg.source(source)
    assert (row.status, row.moved_to) == ("ok", None)

    site.set(target, Route(page(NEW_PARAGRAPH).encode()))
    assert await poll(pg.deps, source) == "changed"
    assert len(await pg.events()) == 1


@pytest.mark.parametrize(
    ("route", "stored"),
    [
        ({"etag": '"v1\x01"'}, {"etag": '"v1\x01"'}),
        ({"last_modified": LAST_MODIFIED + "\x7f"}, {"last_modified": LAST_MODIFIED + "\x1b"}),
    ],
    ids=["etag", "last-modified"],
)
async def test_a_validator_with_a_control_character_is_neither_kept_nor_sent(
    site: ScriptedSite, harness: Harness, route: dict[str, str], stored: dict[str, str]
) -> None:
    # aiohttp refuses to send a control character in a header: every poll asking with it
    # failed as «unexpected error: ValueError», but the one a day that asks in full, which
    # kept it again.
    site.set("/p", Route(page().encode(), **route))
    source = await harness.add_source(site.url("/p"))
    assert await poll(harness.deps, source) == "baseline"
    row = await harness.source(source)
    assert (row.etag, row.last_modified) == (None, None)

    site.set("/p", Route(page(NEW_PARAGRAPH).encode(), **route))
    assert await poll(harness.deps, source) == "changed"

    # One kept by a release that did not check it is not sent either.
    async with harness.deps.sessions() as session, session.begin():
        kept = await session.get(WatchedSource, source)
        assert kept is not None
        for name, value in stored.items():
            setattr(kept, name, value)
    third = page(NEW_PARAGRAPH + "<p>Tyttebær modner i september, sier Mattilsynet nå.</p>")
    site.set("/p", Route(third.encode(), **route))
    assert await poll(harness.deps, source) == "changed"
    assert [seen.headers.get("If-None-Match") for seen in site.log("/p")] == [None] * 3
    assert [seen.headers.get("If-Modified-Since") for seen in site.log("/p")] == [None] * 3
