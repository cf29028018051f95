"""A page rotating through more versions than five over real HTTP: each told once, then no more,
and its editor is asked to pick the stable part."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from services.watcher.handlers import poll
from services.watcher.read_api import SourceStatus, source_statuses
from tests.integration.watcher.conftest import Harness, HarnessFactory
from tests.integration.watcher.pages import page
from tests.integration.watcher.server import Route, ScriptedSite

INTERVAL = 900
# A front page's teaser block, showing one of eight news items in turn (in words: teasers that
# differ in their numbers alone are each read twice before they are told, numbers_only.py).
DISEASES = ("meslinger", "kikhoste", "rotavirus", "vannkopper", "hepatitt", "polio", "mpox", "rs")
TEASERS = [
    page(f"<p>Aktuelt: en sak om vaksinasjon mot {name}, med råd til innbyggerne.</p>")
    for name in DISEASES
]
NINTH = page("<p>Aktuelt: en ny sak om influensavaksine til alle over 65 år fra uke 42.</p>")


async def _status(harness: Harness, url: str) -> SourceStatus:
    async with harness.deps.sessions() as session:
        statuses = await source_statuses(session, harness.clock.now())
    return next(s for s in statuses if s.url == url)


async def _show(harness: Harness, site: ScriptedSite, source: int, body: str, after: int) -> str:
    site.set("/p", Route(body.encode()))
    harness.clock.advance(timedelta(seconds=after))
    return await poll(harness.deps, source)


async def _baseline(harness: Harness, site: ScriptedSite) -> tuple[int, str]:
    """Return the source of the front page with the first teaser, and its address."""
    site.set("/p", Route(TEASERS[0].encode()))
    url = site.url("/p")
    source = await harness.add_source(url, interval_seconds=INTERVAL)
    assert await poll(harness.deps, source) == "baseline"
    return source, url


async def _rotating_told_once_each(harness: Harness, site: ScriptedSite) -> None:
    source, url = await _baseline(harness, site)
    first_round = [await _show(harness, site, source, t, INTERVAL) for t in TEASERS[1:]]
    assert first_round == ["changed"] * 7  # each teaser is news the first time it shows
    assert (await _status(harness, url)).shown_status == "ok"

    # Round and round: every teaser is back after more than five others.
    kinds = [await _show(harness, site, source, t, INTERVAL) for t in TEASERS * 3]

    assert kinds == ["unchanged"] * 24
    assert len(await harness.events()) == 7
    status = await _status(harness, url)
    assert (status.status, status.flapping, status.rotating) == ("ok", True, True)
    assert status.shown_status == "rotating"

    # A teaser never shown is news, rotating or not.
    assert await _show(harness, site, source, NINTH, INTERVAL) == "changed"
    events = await harness.events()
    assert len(events) == 8 and "influensavaksine" in events[-1].summary


async def test_a_page_rotating_through_eight_versions_tells_each_once(
    site: ScriptedSite, harness: Harness
) -> None:
    await _rotating_told_once_each(harness, site)


async def test_rotating_on_postgresql(
    site: ScriptedSite, make_harness: HarnessFactory, postgres_url: str
) -> None:
    await _rotating_told_once_each(make_harness(postgres_url), site)


async def test_a_page_edited_now_and_then_and_put_back_as_it_was_is_told(
    site: ScriptedSite, harness: Harness
) -> None:
    # Seven edits over a day, then the first text back: a revert, not a rotation.
    source, url = await _baseline(harness, site)
    for teaser in TEASERS[1:]:
        assert await _show(harness, site, source, teaser, 3 * 3600) == "changed"

    assert await _show(harness, site, source, TEASERS[0], 3 * 3600) == "changed"

    assert len(await harness.events()) == 8
    assert (await _status(harness, url)).shown_status == "ok"


async def test_a_rotation_paused_for_a_while_and_started_again_tells_nothing_again(
    site: ScriptedSite, harness: Harness
) -> None:
    source, url = await _baseline(harness, site)
    for teaser in TEASERS[1:] + TEASERS[:3]:
        await _show(harness, site, source, teaser, INTERVAL)
    assert len(await harness.events()) == 7
    # Still for three hours (twelve polls), then round and round again, as before.
    for _ in range(12):
        assert await _show(harness, site, source, TEASERS[2], INTERVAL) == "unchanged"

    kinds = [await _show(harness, site, source, t, INTERVAL) for t in TEASERS[3:] + TEASERS]

    assert kinds == ["unchanged"] * 13
    assert len(await harness.events()) == 7
    assert (await _status(harness, url)).shown_status == "rotating"


async def test_a_rotating_page_is_warned_of_once_then_logged_as_a_fact(
    site: ScriptedSite, harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    source, _ = await _baseline(harness, site)
    caplog.set_level(logging.INFO, logger="services.watcher")
    for teaser in TEASERS[1:] + TEASERS * 3:
        await _show(harness, site, source, teaser, INTERVAL)

    backs = [r for r in caplog.records if "is back at the text" in r.getMessage()]
    assert len(backs) == 24
    assert [r.levelno for r in backs] == [logging.WARNING] + [logging.INFO] * 23
    assert "editor should pick its stable part" in backs[0].getMessage()


def _edited(teaser: str, *edits: tuple[str, str]) -> str:
    """Return a teaser version with its stable part edited (old text, new text, in turn)."""
    for old, new in edits:
        assert old in teaser
        teaser = teaser.replace(old, new)
    return teaser


HEADING = ("Råd om blåbær, tyttebær og multer", "Råd om blåbær, tyttebær, multer og tranebær")
SECOND = ("multer og tranebær", "multer, tranebær og krekling")
ALLEMANN = ("også på private eiendommer", "men ikke i innmark eller hager")


async def _heading_edited_told_once(harness: Harness, site: ScriptedSite, source: int) -> None:
    """Show the page's heading edited under each teaser in turn, twice: one edit, told once."""
    kinds = [await _show(harness, site, source, _edited(t, HEADING), INTERVAL) for t in TEASERS * 2]
    assert kinds == ["changed"] + ["unchanged"] * 15
    events = await harness.events()
    assert len(events) == 8 and "tranebær" in events[-1].title


async def _one_edit_told_once(harness: Harness, site: ScriptedSite) -> None:
    source, _ = await _baseline(harness, site)
    for teaser in TEASERS[1:] + TEASERS * 2:
        await _show(harness, site, source, teaser, INTERVAL)
    assert len(await harness.events()) == 7

    await _heading_edited_told_once(harness, site, source)

    # A second edit of the stable part is told as well, once, and so is one of its text.
    for edit in [(HEADING, SECOND), (HEADING, SECOND, ALLEMANN)]:
        kinds = [await _show(harness, site, source, _edited(t, *edit), INTERVAL) for t in TEASERS]
        assert kinds == ["changed"] + ["unchanged"] * 7, edit
    events = await harness.events()
    assert len(events) == 10 and "innmark" in events[-1].summary


async def test_an_edit_of_a_rotating_page_around_its_teasers_is_told_once(
    site: ScriptedSite, harness: Harness
) -> None:
    await _one_edit_told_once(harness, site)


async def test_an_edit_of_a_rotating_page_on_postgresql(
    site: ScriptedSite, make_harness: HarnessFactory, postgres_url: str
) -> None:
    await _one_edit_told_once(make_harness(postgres_url), site)


async def test_an_edit_before_the_page_is_seen_rotating_is_told_once(
    site: ScriptedSite, harness: Harness
) -> None:
    # Each teaser shown once, then the heading edited: no version comes back whole, so the
    # page bears no rotating mark, yet each teaser comes back, under the edit.
    source, _ = await _baseline(harness, site)
    for teaser in TEASERS[1:]:
        await _show(harness, site, source, teaser, INTERVAL)
    assert len(await harness.events()) == 7

    await _heading_edited_told_once(harness, site, source)

    # A later edit of the page, and a teaser never shown, are still told, once each.
    later = [_edited(t, HEADING, SECOND) for t in [*TEASERS, NINTH]]
    kinds = [await _show(harness, site, source, t, INTERVAL) for t in later]
    assert kinds == ["changed"] + ["unchanged"] * 7 + ["changed"]
    assert len(await harness.events()) == 10
