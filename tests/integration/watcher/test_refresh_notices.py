"""A page a CMS moved, answered with a short notice that refreshes at once to its new address
(«<meta http-equiv="refresh" content="0; url=…">»), is read where the refresh leads, as a
redirect is; a front page reached, a loop, a longer wait or a page of its own are not."""

from __future__ import annotations

import pytest

from services.watcher.handlers import poll
from tests.integration.watcher.conftest import Harness
from tests.integration.watcher.pages import page
from tests.integration.watcher.server import Route, ScriptedSite

_MOVED = "Denne siden er flyttet til en ny adresse. Du blir sendt videre dit."


def notice(content: str, text: str = _MOVED) -> bytes:
    """Return a CMS's «moved» notice with a refresh of the given content."""
    return (
        '<!doctype html><html><head><meta charset="utf-8">'
        f'<meta http-equiv="Refresh" content="{content}"><title>Flyttet</title></head>'
        f"<body><p>{text}</p><script>location.replace('/ny');</script></body></html>"
    ).encode()


@pytest.mark.parametrize(
    "content",
    ["0; url=/tema/ny", "0;URL='/tema/ny'", "3, /tema/ny", "0; url=http://{host}/tema/ny"],
)
async def test_a_short_notice_that_refreshes_at_once_is_followed(
    site: ScriptedSite, harness: Harness, content: str
) -> None:
    site.set("/tema/ny", Route(page().encode()))
    site.set("/tema/baer", Route(notice(content.format(host=site.url("")[7:].rstrip("/")))))
    source = await harness.add_source(site.url("/tema/baer"))

    # Read as the page, the notice was stored in its place and the page itself never watched.
    assert await poll(harness.deps, source) == "baseline"

    (snapshot,) = await harness.snapshots(source)
    assert "Råd om blåbær" in snapshot.title and "flyttet" not in str(snapshot.content)
    assert (await harness.source(source)).moved_to == site.url("/tema/ny")
    site.set(
        "/tema/ny", Route(page("<p>Nytt avsnitt om sopp og bær i skogen i høst.</p>").encode())
    )
    assert await poll(harness.deps, source) == "changed"


async def test_a_notice_that_refreshes_to_the_front_page_fails_as_a_redirect_there_does(
    site: ScriptedSite, harness: Harness
) -> None:
    site.set("/", Route(page().encode()))
    site.set("/tema/baer", Route(notice("0; url=/")))
    source = await harness.add_source(site.url("/tema/baer"))

    assert await poll(harness.deps, source) == "failed"

    row = await harness.source(source)
    assert (
        row.last_error is not None and "now leads to the front page of its site" in row.last_error
    )


async def test_notices_that_refresh_in_a_loop_fail_as_redirects_in_a_loop_do(
    site: ScriptedSite, harness: Harness
) -> None:
    site.set("/a", Route(notice("0; url=/b")))
    site.set("/b", Route(notice("0; url=/a")))
    source = await harness.add_source(site.url("/a"))

    assert await poll(harness.deps, source) == "failed"

    row = await harness.source(source)
    assert row.last_error == f"more than 3 redirects from {site.url('/a')}"


@pytest.mark.parametrize(
    ("content", "text"),
    [
        ("30; url=/tema/ny", "Siden er flyttet. Du blir sendt videre om et halvt minutt."),
        ("0", _MOVED),  # reloads itself
        ("0; url=/tema/baer", _MOVED),
        ("0; url=/tema/ny", "Råd om bær og sopp i skog og mark, for alle som plukker. " * 20),
    ],
    ids=["longer-wait", "no-address", "itself", "a-page-of-its-own"],
)
async def test_a_refresh_that_is_no_moved_notice_is_not_followed(
    site: ScriptedSite, harness: Harness, content: str, text: str
) -> None:
    site.set("/tema/ny", Route(page().encode()))
    site.set("/tema/baer", Route(notice(content, text)))
    source = await harness.add_source(site.url("/tema/baer"))

    assert await poll(harness.deps, source) == "baseline"

    row = await harness.source(source)
    assert row.moved_to is None
    (snapshot,) = await harness.snapshots(source)
    assert "Råd om blåbær" not in snapshot.title
