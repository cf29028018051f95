"""A change a publisher pushes for a watched page is told once: by the push, not again by the
poll that next reads the page (docs/publishing.md, «The poll after a push»)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.watcher.domain.told import RECHECK, WINDOW
from services.watcher.handlers import claim_due, poll
from tests.integration.watcher.conftest import Harness, HarnessFactory
from tests.integration.watcher.pages import NEW_PARAGRAPH, page
from tests.integration.watcher.pushes import LATER_PARAGRAPH, push, watched
from tests.integration.watcher.server import Route, ScriptedSite


@pytest.fixture(params=["sqlite", "postgresql"])
def racing(request: pytest.FixtureRequest, make_harness: HarnessFactory) -> Harness:
    """A harness on SQLite (rows read unlocked) or PostgreSQL (read under FOR UPDATE)."""
    if request.param == "sqlite":
        return make_harness()
    return make_harness(request.getfixturevalue("postgres_url"))


async def test_a_pushed_change_is_told_once_and_a_later_edit_once(
    site: ScriptedSite, harness: Harness
) -> None:
    source = await watched(site, harness)
    site.set("/p", Route(page(NEW_PARAGRAPH).encode()))

    await push(harness, site.url("/p"), "k1")
    harness.clock.advance(timedelta(seconds=1))
    assert await poll(harness.deps, source) == "unchanged"

    (told,) = await harness.events()
    assert told.note == "Nytt om revebjelle."
    # The page as the push left it is the baseline: the admin's diff and the next poll see it.
    assert len(await harness.snapshots(source)) == 2
    row = await harness.source(source)
    assert row.told_until is None

    harness.clock.advance(timedelta(hours=2))
    site.set("/p", Route(page(NEW_PARAGRAPH + LATER_PARAGRAPH).encode()))
    assert await poll(harness.deps, source) == "changed"
    events = await harness.events()
    assert len(events) == 2
    assert events[1].note is None and "innlandet" in events[1].summary.lower()


async def test_the_push_makes_the_source_due_at_once(site: ScriptedSite, harness: Harness) -> None:
    source = await watched(site, harness)

    await push(harness, site.url("/p"), "k1")

    row = await harness.source(source)
    assert row.next_check_at is not None and row.next_check_at <= harness.clock.now()
    assert row.told_until == harness.clock.now() + WINDOW


async def test_a_page_behind_a_cache_is_not_told_again_when_it_catches_up(
    site: ScriptedSite, harness: Harness
) -> None:
    source = await watched(site, harness)

    await push(harness, site.url("/p"), "k1")
    harness.clock.advance(timedelta(seconds=1))
    assert await poll(harness.deps, source) == "unchanged"  # the cache still has the old page
    row = await harness.source(source)
    # Asked again soon, not at the interval (15 minutes), while the push waits to be seen.
    assert row.next_check_at is not None
    assert row.next_check_at <= harness.clock.now() + RECHECK

    harness.clock.advance(timedelta(minutes=20))
    site.set("/p", Route(page(NEW_PARAGRAPH).encode()))
    assert await poll(harness.deps, source) == "unchanged"

    assert len(await harness.events()) == 1
    assert (await harness.source(source)).told_until is None


async def test_a_push_the_page_never_shows_holds_back_nothing_after_its_window(
    site: ScriptedSite, harness: Harness
) -> None:
    source = await watched(site, harness)

    await push(harness, site.url("/p"), "k1")
    harness.clock.advance(WINDOW + timedelta(seconds=1))
    site.set("/p", Route(page(NEW_PARAGRAPH).encode()))

    assert await poll(harness.deps, source) == "changed"
    assert len(await harness.events()) == 2


async def test_a_poll_under_way_when_the_push_comes_stores_silently(
    site: ScriptedSite, racing: Harness
) -> None:
    source = await watched(site, racing)
    racing.clock.advance(timedelta(hours=1))
    (claim,) = await claim_due(racing.deps)  # claimed before the push, stored after it
    site.set("/p", Route(page(NEW_PARAGRAPH).encode()))

    await push(racing, site.url("/p"), "k1")
    assert await poll(racing.deps, claim) == "unchanged"

    assert len(await racing.events()) == 1
    assert (await racing.source(source)).told_until is None


async def test_a_poll_under_way_that_read_the_old_page_polls_again_soon(
    site: ScriptedSite, racing: Harness
) -> None:
    source = await watched(site, racing)
    racing.clock.advance(timedelta(hours=1))
    (claim,) = await claim_due(racing.deps)

    await push(racing, site.url("/p"), "k1")
    assert await poll(racing.deps, claim) == "unchanged"  # the same bytes: the quiet write

    row = await racing.source(source)
    assert row.next_check_at is not None
    assert row.next_check_at <= racing.clock.now() + RECHECK
    site.set("/p", Route(page(NEW_PARAGRAPH).encode()))
    racing.clock.advance(RECHECK)
    assert await poll(racing.deps, source) == "unchanged"
    assert len(await racing.events()) == 1


async def test_two_pushes_are_two_alerts_and_the_poll_adds_none(
    site: ScriptedSite, harness: Harness
) -> None:
    source = await watched(site, harness)
    site.set("/p", Route(page(NEW_PARAGRAPH + LATER_PARAGRAPH).encode()))

    await push(harness, site.url("/p"), "k1")
    await push(harness, site.url("/p"), "k2", note="Nytt om tørke.")
    await push(harness, site.url("/p"), "k2", note="Nytt om tørke.")  # a retry: nothing new
    assert await poll(harness.deps, source) == "unchanged"

    assert [e.note for e in await harness.events()] == ["Nytt om revebjelle.", "Nytt om tørke."]
