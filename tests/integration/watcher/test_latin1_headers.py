"""An answer whose headers hold bytes that are not UTF-8 (an older server's Latin-1: an ETag made
from a file name, a date in the server's language, a redirect to a path with «å»): the page is
read and stored, a validator holding such a byte is not kept (http_headers.sendable), and an
address has the byte percent-encoded, as browsers send it (http_headers.escaped_bytes).
aiohttp hands those bytes on as lone surrogates, which neither SQLite nor PostgreSQL stores:
kept, one failed the poll's whole transaction at every claim, the source never taking its
baseline.

The scripted server writes its headers in Latin-1, as Python's http.server does: «å» goes out
as the single byte E5.
"""

from __future__ import annotations

import pytest

from services.watcher.handlers import poll
from tests.integration.watcher.conftest import Harness, HarnessFactory
from tests.integration.watcher.pages import NEW_PARAGRAPH, page
from tests.integration.watcher.server import Route, ScriptedSite


@pytest.fixture(params=["sqlite", "postgresql"])
def either(request: pytest.FixtureRequest, make_harness: HarnessFactory) -> Harness:
    """A harness on SQLite or on PostgreSQL."""
    if request.param == "sqlite":
        return make_harness()
    return make_harness(request.getfixturevalue("postgres_url"))


async def test_an_etag_in_latin_1_is_not_kept_and_the_page_is_read(
    site: ScriptedSite, either: Harness
) -> None:
    site.set("/p", Route(page().encode(), etag='"råd-2025.html"'))
    source = await either.add_source(site.url("/p"))

    assert await poll(either.deps, source) == "baseline"
    row = await either.source(source)
    assert (row.status, row.etag) == ("ok", None)

    site.set("/p", Route(page(NEW_PARAGRAPH).encode(), etag='"råd-2025.html"'))
    assert await poll(either.deps, source) == "changed"
    assert "If-None-Match" not in site.log("/p")[1].headers
    assert len(await either.events()) == 1


async def test_a_last_modified_in_the_servers_language_is_not_kept(
    site: ScriptedSite, either: Harness
) -> None:
    site.set("/p", Route(page().encode(), last_modified="Mån, 03 Mar 2025 07:00:00 GMT"))
    source = await either.add_source(site.url("/p"))

    assert await poll(either.deps, source) == "baseline"
    row = await either.source(source)
    assert (row.status, row.last_modified) == ("ok", None)


async def test_a_redirect_to_a_path_in_latin_1_is_followed_as_a_browser_follows_it(
    site: ScriptedSite, either: Harness
) -> None:
    site.set("/p", Route(status=301, location="/nyheter/råd"))
    site.set("/nyheter/r%E5d", Route(page().encode()))
    source = await either.add_source(site.url("/p"))

    assert await poll(either.deps, source) == "baseline"
    assert (await either.source(source)).status == "ok"

    site.set("/nyheter/r%E5d", Route(page(NEW_PARAGRAPH).encode()))
    assert await poll(either.deps, source) == "changed"
    row = await either.source(source)
    assert (row.status, row.moved_to) == ("ok", site.url("/nyheter/r%E5d"))
    (told,) = await either.events()
    assert "\\u" not in told.model_dump_json()  # no stand-in for a byte went out in the event
