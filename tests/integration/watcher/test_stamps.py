"""A page's or feed entry's own stamp moving alone alerts nobody, over real HTTP and a real
database; a real change beside it is told; and the release that first reads these stamps
(extraction 7) alerts nobody by the new reading."""

from __future__ import annotations

import pytest

from services.watcher.domain.model import EXTRACTION, FEED_STAMPS, STAMP_WORDINGS
from services.watcher.handlers import poll
from tests.integration.watcher.conftest import Harness
from tests.integration.watcher.pages import page
from tests.integration.watcher.server import Route, ScriptedSite
from tests.support.feeds import rss

UTF8 = "text/html; charset=utf-8"
RSS = "application/rss+xml; charset=utf-8"
MULTER = "lov å plukke bær i utmark"


def _stamped(stamp: str, minutes: int, extra: str = "") -> bytes:
    """Return the test page with its stamp and a relative time, each in a block of its own."""
    return page(f"<p>SIST OPPDATERT {stamp}</p><p>for {minutes} minutter siden</p>{extra}").encode()


async def test_a_pages_stamp_moving_alone_alerts_nobody_and_a_real_change_is_told(
    site: ScriptedSite, harness: Harness
) -> None:
    site.set("/p", Route(_stamped("05.12.2026 kl. 10:15", 5), content_type=UTF8))
    source = await harness.add_source(site.url("/p"))
    assert await poll(harness.deps, source) == "baseline"

    for stamp, minutes in (("05.12.2026 kl. 10:16", 6), ("06.12.2026 kl. 08:00", 1)):
        site.set("/p", Route(_stamped(stamp, minutes), content_type=UTF8))
        assert await poll(harness.deps, source) == "unchanged"
    assert await harness.events() == []

    # The text beside the stamp changes with it: told, without the stamp.
    edited = _stamped("06.12.2026 kl. 09:00", 2).decode().replace(MULTER, "forbudt å plukke multer")
    site.set("/p", Route(edited.encode(), content_type=UTF8))
    assert await poll(harness.deps, source) == "changed"
    (told,) = await harness.events()
    assert "forbudt å plukke multer" in told.summary
    assert "SIST OPPDATERT" not in told.summary and "siden" not in told.summary


async def test_a_page_stored_under_the_older_reading_is_judged_by_it_once(
    site: ScriptedSite, harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    site.set("/p", Route(_stamped("05.12.2026", 5), content_type=UTF8))
    source = await harness.add_source(site.url("/p"))
    await harness.baseline_under(source, STAMP_WORDINGS - 1, monkeypatch)

    # New bytes, the same text: today's reading loses the stamp, and nobody hears of it.
    site.set("/p", Route(_stamped("05.12.2026", 5, "<!-- ny mal -->"), content_type=UTF8))
    assert await poll(harness.deps, source) == "unchanged"

    assert await harness.events() == []
    row = await harness.source(source)
    old, new = await harness.snapshots(source)
    assert row.extraction == EXTRACTION and row.fingerprint == new.fingerprint != old.fingerprint
    # From now on like is compared with like: the stamp moving is no news.
    site.set("/p", Route(_stamped("06.12.2026", 7), content_type=UTF8))
    assert await poll(harness.deps, source) == "unchanged"
    assert await harness.events() == []


ITEMS = [("Ny veileder om kikhoste", "https://example.no/kikhoste")]
TEXT = "Gravide bør ta vaksinen mot kikhoste."


def _feed(text: str, stamp: str) -> bytes:
    return rss(ITEMS, [f"<p>{text}</p><p>SIST OPPDATERT {stamp}</p>"], guids=["sak-1"])


async def test_a_feed_entrys_stamp_moving_alone_alerts_nobody_and_a_real_change_is_told(
    site: ScriptedSite, harness: Harness
) -> None:
    site.set("/rss", Route(_feed(TEXT, "05.12.2026 kl. 10:15"), RSS))
    source = await harness.add_source(site.url("/rss"), "feed")
    assert await poll(harness.deps, source) == "baseline"

    site.set("/rss", Route(_feed(TEXT, "05.12.2026 kl. 10:16"), RSS))
    assert await poll(harness.deps, source) == "unchanged"
    assert await harness.events() == []

    site.set("/rss", Route(_feed("Alle gravide bør ta vaksinen.", "05.12.2026 kl. 11:00"), RSS))
    assert await poll(harness.deps, source) == "changed"
    (told,) = await harness.events()
    assert told.title == ITEMS[0][0]
    assert "Alle gravide" in told.summary and "SIST OPPDATERT" not in told.summary


async def test_a_feed_stored_under_the_older_reading_is_judged_by_it_once(
    site: ScriptedSite, harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    site.set("/rss", Route(_feed(TEXT, "05.12.2026"), RSS))
    source = await harness.add_source(site.url("/rss"), "feed")
    await harness.baseline_under(source, FEED_STAMPS - 1, monkeypatch)

    # New bytes, the same entry: today's reading loses its stamp, and nobody hears of it.
    site.set("/rss", Route(_feed(TEXT, "05.12.2026").replace(b"<item>", b"\n<item>"), RSS))
    assert await poll(harness.deps, source) == "unchanged"

    assert await harness.events() == []
    assert (await harness.source(source)).extraction == EXTRACTION
    site.set("/rss", Route(_feed(TEXT, "06.12.2026"), RSS))
    assert await poll(harness.deps, source) == "unchanged"
    assert await harness.events() == []
