"""A page flipping between versions over real HTTP: told once, never at every flip."""

from __future__ import annotations

from datetime import timedelta

from services.watcher.adapters.snapshots import unpack
from services.watcher.domain.returns import RECALL_WINDOW
from services.watcher.handlers import poll
from services.watcher.read_api import source_statuses
from tests.integration.watcher.conftest import Harness, HarnessFactory
from tests.integration.watcher.pages import page
from tests.integration.watcher.server import Route, ScriptedSite

ONE = page("<p>Version one: vaksinen gis til alle over 65 år fra uke 40.</p>")
TWO = page("<p>Version two: vaksinen gis til alle over 75 år fra uke 42.</p>")
THREE = page("<p>Version three: vaksinen gis til alle over 18 år fra uke 44.</p>")


async def _status(harness: Harness, url: str) -> str:
    """The health the admin shows; the stored status stays ok while it flaps."""
    async with harness.deps.sessions() as session:
        statuses = await source_statuses(session, harness.clock.now())
    found = next(s for s in statuses if s.url == url)
    assert found.status == "ok"
    return "flapping" if found.flapping else found.status


async def _flip(harness: Harness, site: ScriptedSite, source: int, body: str) -> str:
    site.set("/p", Route(body.encode()))
    harness.clock.advance(timedelta(seconds=5))
    return await poll(harness.deps, source)


async def _told_two(harness: Harness, site: ScriptedSite) -> tuple[int, str]:
    """Take version one as the baseline, then change to version two; return (source, url)."""
    site.set("/p", Route(ONE.encode()))
    url = site.url("/p")
    source = await harness.add_source(url)
    assert await poll(harness.deps, source) == "baseline"
    assert await _flip(harness, site, source, TWO) == "changed"
    return source, url


async def _flipping_told_once(harness: Harness, site: ScriptedSite) -> None:
    source, url = await _told_two(harness, site)  # the first switch: the one real change

    kinds = [await _flip(harness, site, source, (ONE, TWO)[i % 2]) for i in range(19)]

    # Every later flip is a return to a known text.
    assert kinds == ["unchanged"] * 19
    (told,) = await harness.events()
    assert "Version two" in told.summary
    # Each return is stored: the row and the latest snapshot say what the page says now.
    snapshots = await harness.snapshots(source)
    assert len(snapshots) == 21
    assert "Version one" in " ".join(unpack(snapshots[-1].content).blocks)
    assert await _status(harness, url) == "flapping"

    # A text not seen lately is news, flipping or not.
    assert await _flip(harness, site, source, THREE) == "changed"
    first, third = await harness.events()
    assert first == told
    assert "Version three" in third.summary


async def test_a_page_flipping_between_two_versions_is_told_once_and_a_third_still_is(
    site: ScriptedSite, harness: Harness
) -> None:
    await _flipping_told_once(harness, site)


async def test_flipping_on_postgresql(
    site: ScriptedSite, make_harness: HarnessFactory, postgres_url: str
) -> None:
    await _flipping_told_once(make_harness(postgres_url), site)


async def test_a_return_after_the_recall_window_is_news_again(
    site: ScriptedSite, harness: Harness
) -> None:
    source, url = await _told_two(harness, site)
    assert await _status(harness, url) == "ok"

    harness.clock.advance(RECALL_WINDOW)
    assert await _flip(harness, site, source, ONE) == "changed"

    assert len(await harness.events()) == 2
    assert await _status(harness, url) == "ok"


async def test_the_flapping_mark_wears_off_after_the_recall_window(
    site: ScriptedSite, harness: Harness
) -> None:
    source, url = await _told_two(harness, site)
    assert await _flip(harness, site, source, ONE) == "unchanged"
    assert await _status(harness, url) == "flapping"

    harness.clock.advance(RECALL_WINDOW + timedelta(seconds=1))

    assert await _status(harness, url) == "ok"
