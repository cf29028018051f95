"""A push that comes after its edit was told already (a poll read it first, or the CMS sent it
again) alerts nobody a second time, and the page's next edit is told as usual
(docs/publishing.md, «A push for an edit told already»)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from services.watcher.adapters.tables import WatchedSource
from services.watcher.domain.model import EXTRACTION, STAMP_WORDINGS
from services.watcher.domain.told import RECHECK, WINDOW
from services.watcher.handlers import claim_due, poll
from tests.integration.watcher.conftest import Harness, HarnessFactory
from tests.integration.watcher.pages import NEW_PARAGRAPH, page
from tests.integration.watcher.pushes import LATER_PARAGRAPH, push, pushed_while_stored, watched
from tests.integration.watcher.server import Route, ScriptedSite

# The page as it was told, served again: the same bytes, the same bytes behind an ETag (a 304),
# or the same text rendered anew (a CMS whose pages differ in their markup on every request).
SERVED_AGAIN = {
    "same bytes": (Route(page(NEW_PARAGRAPH).encode()), "unchanged"),
    "not modified": (Route(page(NEW_PARAGRAPH).encode(), etag='"v2"'), "not-modified"),
    "rendered anew": (
        Route(
            page(NEW_PARAGRAPH, meta='<meta charset="utf-8"><meta name="x" content="2">').encode()
        ),
        "unchanged",
    ),
}


@pytest.fixture(params=["sqlite", "postgresql"])
def either(request: pytest.FixtureRequest, make_harness: HarnessFactory) -> Harness:
    """A harness on SQLite or on PostgreSQL."""
    if request.param == "sqlite":
        return make_harness()
    return make_harness(request.getfixturevalue("postgres_url"))


async def _told_by_a_poll(site: ScriptedSite, harness: Harness, route: Route | None = None) -> int:
    """Watch the page, then let a poll read and tell an edit of it, five minutes ago."""
    source = await watched(site, harness)
    harness.clock.advance(timedelta(hours=1))
    site.set("/p", route or Route(page(NEW_PARAGRAPH).encode()))
    assert await poll(harness.deps, source) == "changed"
    harness.clock.advance(timedelta(minutes=5))
    return source


@pytest.mark.parametrize("served", SERVED_AGAIN)
async def test_a_push_for_an_edit_a_poll_told_alerts_nobody_again(
    site: ScriptedSite, either: Harness, served: str
) -> None:
    route, kind = SERVED_AGAIN[served]
    source = await _told_by_a_poll(site, either, SERVED_AGAIN["not modified"][0])
    site.set("/p", route)

    await push(either, site.url("/p"), "k1")
    either.clock.advance(timedelta(seconds=1))
    assert await poll(either.deps, source) == kind

    (told,) = await either.events()
    assert told.note is None and "revebjelle" in told.summary.lower()  # the poll's, once
    assert (await either.source(source)).told_until is None


@pytest.mark.parametrize("minor", [False, True])
async def test_an_edit_after_a_push_that_repeated_a_told_one_is_told(
    site: ScriptedSite, harness: Harness, minor: bool
) -> None:
    source = await _told_by_a_poll(site, harness)
    await push(harness, site.url("/p"), "k1", minor=minor)
    harness.clock.advance(timedelta(seconds=1))
    assert await poll(harness.deps, source) == "unchanged"

    # Within the hour a push's mark lasts, an edit nobody pushed.
    harness.clock.advance(timedelta(minutes=20))
    site.set("/p", Route(page(NEW_PARAGRAPH + LATER_PARAGRAPH).encode()))
    assert await poll(harness.deps, source) == "changed"

    events = await harness.events()
    assert [e.note for e in events] == [None, None]
    assert "innlandet" in events[1].summary.lower()


async def test_a_push_sent_again_after_the_poll_read_its_edit_alerts_nobody_again(
    site: ScriptedSite, harness: Harness
) -> None:
    source = await watched(site, harness)
    site.set("/p", Route(page(NEW_PARAGRAPH).encode()))
    await push(harness, site.url("/p"), "k1")
    harness.clock.advance(timedelta(seconds=1))
    assert await poll(harness.deps, source) == "unchanged"

    # The CMS saves the post again, unchanged, under a new key (WordPress's modification time).
    harness.clock.advance(timedelta(minutes=3))
    await push(harness, site.url("/p"), "k2")
    harness.clock.advance(timedelta(seconds=1))
    assert await poll(harness.deps, source) == "unchanged"
    harness.clock.advance(timedelta(minutes=10))
    site.set("/p", Route(page(NEW_PARAGRAPH + LATER_PARAGRAPH).encode()))
    assert await poll(harness.deps, source) == "changed"

    assert [e.note for e in await harness.events()] == ["Nytt om revebjelle.", None]


async def test_a_push_for_a_further_edit_is_sent_when_the_page_shows_it(
    site: ScriptedSite, harness: Harness
) -> None:
    source = await _told_by_a_poll(site, harness)
    site.set("/p", Route(page(NEW_PARAGRAPH + LATER_PARAGRAPH).encode()))

    await push(harness, site.url("/p"), "k1", note="Nytt om tørke.")
    assert [e.note for e in await harness.events()] == [None]  # waits for the page's answer
    harness.clock.advance(timedelta(seconds=1))
    assert await poll(harness.deps, source) == "unchanged"  # stored; the push tells it

    events = await harness.events()
    assert [e.note for e in events] == [None, "Nytt om tørke."]
    assert events[1].occurred_at == harness.clock.now() - timedelta(seconds=1)
    assert len(await harness.snapshots(source)) == 3


async def test_a_push_waiting_on_a_page_that_cannot_be_read_is_sent_after_the_hour(
    site: ScriptedSite, harness: Harness
) -> None:
    source = await _told_by_a_poll(site, harness)
    site.set("/p", Route(b"Service Unavailable", content_type="text/plain", status=503))

    await push(harness, site.url("/p"), "k1")
    harness.clock.advance(timedelta(seconds=1))
    assert await poll(harness.deps, source) == "failed"
    row = await harness.source(source)
    assert row.next_check_at is not None  # asked again soon, not at its interval
    assert row.next_check_at <= harness.clock.now() + RECHECK
    assert len(await harness.events()) == 1

    harness.clock.advance(WINDOW)
    assert await poll(harness.deps, source) == "failed"  # never read: the push is sent as is
    assert [e.note for e in await harness.events()] == [None, "Nytt om revebjelle."]
    assert (await harness.source(source)).told_until is None


@pytest.mark.parametrize("status", [429, 503])
async def test_a_push_waiting_on_a_page_that_asked_for_a_days_rest_is_sent_within_the_hour(
    site: ScriptedSite, either: Harness, status: int
) -> None:
    source = await _told_by_a_poll(site, either)
    resting = Route(b"Try again tomorrow", "text/plain", status=status, retry_after="86400")
    site.set("/p", resting)
    await push(either, site.url("/p"), "k1")
    either.clock.advance(timedelta(seconds=1))
    assert await poll(either.deps, source) == "failed"
    mark = (await either.source(source)).told_until
    assert mark is not None

    # Not asked again before the pause, but at the mark, whatever the server asked for.
    either.clock.advance(timedelta(minutes=30))
    assert await claim_due(either.deps) == []
    either.clock.advance(mark - either.clock.now())
    (claim,) = await claim_due(either.deps)
    assert await poll(either.deps, claim) == "failed"

    assert [e.note for e in await either.events()] == [None, "Nytt om revebjelle."]
    row = await either.source(source)
    assert row.held_pushes is None and row.told_until is None
    assert row.next_check_at == either.clock.now() + timedelta(days=1)  # the rest kept now


async def test_a_push_that_comes_while_the_page_is_read_is_settled_by_that_read(
    site: ScriptedSite, either: Harness
) -> None:
    source = await _told_by_a_poll(site, either)
    either.clock.advance(timedelta(hours=1) - timedelta(minutes=10))
    (claim,) = await claim_due(either.deps)  # claimed before the push, stored after it
    site.set("/p", Route(page(NEW_PARAGRAPH + LATER_PARAGRAPH).encode()))

    await push(either, site.url("/p"), "k1", note="Nytt om tørke.")
    assert await poll(either.deps, claim) == "unchanged"

    assert [e.note for e in await either.events()] == [None, "Nytt om tørke."]
    row = await either.source(source)
    assert row.told_until is None and row.held_pushes is None


async def test_a_repeat_is_known_by_the_reading_its_told_text_was_stored_under(
    site: ScriptedSite, harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    stamped = page("<p>SIST OPPDATERT 05.12.2026</p><p>for 5 minutter siden</p>")
    site.set("/p", Route(stamped.encode()))
    source = await harness.add_source(site.url("/p"))
    await harness.baseline_under(source, STAMP_WORDINGS - 1, monkeypatch)
    async with harness.deps.sessions() as session, session.begin():
        row = await session.get(WatchedSource, source)
        assert row is not None
        row.last_changed_at = harness.clock.now()  # told minutes ago, under the older reading
    harness.clock.advance(timedelta(minutes=5))

    await push(harness, site.url("/p"), "k1")
    # New bytes, the same text by the older reading (today's drops the stamp): told already.
    site.set("/p", Route((stamped + "<!-- ny mal -->").encode()))
    assert await poll(harness.deps, source) == "unchanged"

    assert await harness.events() == []
    row = await harness.source(source)
    assert row.extraction == EXTRACTION and row.told_until is None and row.held_pushes is None


async def test_each_push_waiting_on_an_unreadable_page_is_sent_an_hour_after_it_came(
    site: ScriptedSite, either: Harness
) -> None:
    source = await _told_by_a_poll(site, either)
    site.set("/p", Route(b"Service Unavailable", content_type="text/plain", status=503))
    start = either.clock.now()

    async def at(minutes: int, push_note: str | None = None) -> list[str | None]:
        """Move to ``minutes`` after the first push, push there if asked, and poll the page."""
        either.clock.advance(start + timedelta(minutes=minutes) - either.clock.now())
        if push_note is not None:
            await push(either, site.url("/p"), push_note, note=push_note)
        assert await poll(either.deps, source) == "failed"
        return [e.note for e in await either.events()][1:]

    # A CMS that pushes every 50 minutes while the page stays down: each push waits its own
    # hour, not an hour after the latest push, which would keep the first waiting for ever.
    assert await at(0, "Første.") == []
    assert await at(50, "Andre.") == []
    assert await at(59) == []
    assert await at(60) == ["Første."]
    assert await at(100, "Tredje.") == ["Første."]
    row = await either.source(source)
    assert row.told_until is not None and row.held_pushes is not None  # the latter two wait
    assert await at(110) == ["Første.", "Andre."]
    assert await at(111) == ["Første.", "Andre."]  # sent once
    assert await at(160) == ["Første.", "Andre.", "Tredje."]

    row = await either.source(source)
    assert row.held_pushes is None and row.told_until is None


async def test_a_server_pause_is_kept_only_until_the_earliest_push_waiting_is_due(
    site: ScriptedSite, either: Harness
) -> None:
    source = await _told_by_a_poll(site, either)
    resting = Route(b"Try again tomorrow", "text/plain", status=503, retry_after="86400")
    site.set("/p", resting)
    first = either.clock.now()
    await push(either, site.url("/p"), "k1", note="Første.")
    assert await poll(either.deps, source) == "failed"
    either.clock.advance(timedelta(minutes=50))
    await push(either, site.url("/p"), "k2", note="Andre.")  # makes the page due now
    (claim,) = await claim_due(either.deps)
    assert await poll(either.deps, claim) == "failed"

    # Asked again when the first push's hour is out, not an hour after the second.
    assert (await either.source(source)).next_check_at == first + WINDOW
    either.clock.advance(first + WINDOW - either.clock.now())
    (claim,) = await claim_due(either.deps)
    assert await poll(either.deps, claim) == "failed"
    assert [e.note for e in await either.events()] == [None, "Første."]
    assert (await either.source(source)).next_check_at == first + timedelta(minutes=50) + WINDOW


async def test_a_push_for_the_text_a_poll_is_storing_neither_tells_it_twice_nor_hides_the_next_edit(
    site: ScriptedSite, either: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = await watched(site, either)
    either.clock.advance(timedelta(hours=2))  # no change told within the hour: a push is sent
    url = site.url("/p")
    # The CMS pushes the edit the poll has just read, before the poll writes: it waits for the
    # poll's lock, then finds the edit told and waits for the page to be read.
    pushed = pushed_while_stored(either, monkeypatch, url, "k1", "Nytt om revebjelle.")
    site.set("/p", Route(page(NEW_PARAGRAPH).encode()))
    assert await poll(either.deps, source) == "changed"
    await asyncio.gather(*pushed)
    assert pushed
    either.clock.advance(timedelta(minutes=1))  # the push made the page due now
    assert await poll(either.deps, source) == "unchanged"

    (told,) = await either.events()  # once, by the poll; the push repeated it
    assert told.note is None and "revebjelle" in told.summary.lower()
    assert (await either.source(source)).told_until is None

    # Within the hour a push's mark lasts, an edit nobody pushed: told.
    either.clock.advance(timedelta(minutes=20))
    site.set("/p", Route(page(NEW_PARAGRAPH + LATER_PARAGRAPH).encode()))
    assert await poll(either.deps, source) == "changed"
    events = await either.events()
    assert len(events) == 2 and "innlandet" in events[1].summary.lower()
