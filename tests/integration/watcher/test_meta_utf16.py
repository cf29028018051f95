"""A page whose <meta> names UTF-16 and that starts with no byte order mark, over real HTTP:
read as UTF-8 whatever its length, as the HTML standard's prescan and browsers read it; and
one stored under extraction 9, which read it as UTF-16, alerts nobody at the upgrade."""

from __future__ import annotations

import pytest

from services.watcher.domain.model import EXTRACTION, META_UTF16_AS_UTF8
from services.watcher.handlers import poll
from tests.integration.watcher.conftest import Harness
from tests.integration.watcher.pages import NEW_PARAGRAPH, page
from tests.integration.watcher.server import Route, ScriptedSite

SERVED = "text/html"  # no charset: the <meta> is what names one
TITLE = "Råd om blåbær, tyttebær og multer"


def body(extra: str = "", *, even: bool, meta: str = '<meta charset="utf-16">') -> bytes:
    """Return the page with its <meta>, padded to an even or an odd number of bytes."""
    data = page(extra, meta=meta).encode()
    return data if (len(data) % 2 == 0) == even else data + b"\n"


async def assert_change_told_in_its_words(
    site: ScriptedSite, harness: Harness, source: int, meta: str = '<meta charset="utf-16">'
) -> None:
    """Add a paragraph to the page, and check the one change told is in the page's words."""
    site.set("/p", Route(body(NEW_PARAGRAPH, even=True, meta=meta), SERVED))
    assert await poll(harness.deps, source) == "changed"
    (told,) = await harness.events()
    assert told.title == TITLE
    assert "Mattilsynet advarer mot å forveksle revebjelle" in told.summary


@pytest.mark.parametrize(
    "meta",
    [
        '<meta charset="utf-16">',
        '<meta charset="UTF-16LE">',
        '<meta http-equiv="Content-Type" content="text/html; charset=utf-16be">',
    ],
)
async def test_a_page_whose_meta_names_utf16_is_read_as_utf8_whatever_its_length(
    site: ScriptedSite, harness: Harness, meta: str
) -> None:
    site.set("/p", Route(body(even=False, meta=meta), SERVED))
    source = await harness.add_source(site.url("/p"))
    assert await poll(harness.deps, source) == "baseline"

    # One byte more, the text the same: read as UTF-16, the page turned to noise, and that
    # noise was told to every follower as the page's change.
    site.set("/p", Route(body(even=True, meta=meta), SERVED))
    assert await poll(harness.deps, source) == "unchanged"
    assert await harness.events() == []

    await assert_change_told_in_its_words(site, harness, source, meta)


async def stored_under_9(
    site: ScriptedSite, harness: Harness, monkeypatch: pytest.MonkeyPatch, *, even: bool
) -> int:
    """Serve the page at an even or odd length, and store it as extraction 9 read it."""
    site.set("/p", Route(body(even=even), SERVED))
    source = await harness.add_source(site.url("/p"))
    await harness.baseline_under(source, META_UTF16_AS_UTF8 - 1, monkeypatch)
    return source


async def test_a_page_stored_under_extraction_9_alerts_nobody_at_the_upgrade(
    site: ScriptedSite, harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Stored while its length was odd, when extraction 9 read it as text (UTF-16 refused it).
    source = await stored_under_9(site, harness, monkeypatch, even=False)

    site.set("/p", Route(body(even=False) + b"<!-- ny mal -->\n", SERVED))
    assert await poll(harness.deps, source) == "unchanged"
    assert (await harness.source(source)).extraction == EXTRACTION
    # Extraction 9 would have read this one as UTF-16 and told its noise.
    site.set("/p", Route(body(even=True) + b"<!-- ny mal -->\n", SERVED))
    assert await poll(harness.deps, source) == "unchanged"
    assert await harness.events() == []

    await assert_change_told_in_its_words(site, harness, source)


async def test_a_page_stored_as_utf16_noise_is_told_once_as_before_and_then_reads_as_text(
    site: ScriptedSite, harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Stored while its length was even, when extraction 9 read it as UTF-16 noise. Any new
    # bytes read otherwise under 9 too: judged by 9 once, as every upgrade judges, that poll
    # tells a change as the older release would have (ADR 0017).
    source = await stored_under_9(site, harness, monkeypatch, even=True)
    assert (await harness.snapshots(source))[0].title != TITLE

    site.set("/p", Route(body(even=True) + b"<!-- ny mal -->\n", SERVED))
    assert await poll(harness.deps, source) == "changed"
    assert len(await harness.events()) == 1
    row = await harness.source(source)
    assert (row.extraction, row.title) == (EXTRACTION, TITLE)

    for even in (False, True):  # from then on its length is no news
        site.set("/p", Route(body(even=even), SERVED))
        assert await poll(harness.deps, source) == "unchanged"
    assert len(await harness.events()) == 1
