"""Ignore patterns over real HTTP: what they match never counts as a change, and a pattern that
backtracks without end fails the poll with its reason, keeping the last good snapshot."""

from __future__ import annotations

import pytest

from services.watcher.adapters.snapshots import unpack
from services.watcher.handlers import poll
from tests.integration.watcher.conftest import Harness
from tests.integration.watcher.pages import NEW_PARAGRAPH, page
from tests.integration.watcher.server import Route, ScriptedSite

RUNAWAY = "(a|aa)+$"  # backtracks without end on a long run of «a» that ends otherwise


async def test_a_change_only_in_ignored_blocks_is_no_change(
    site: ScriptedSite, harness: Harness
) -> None:
    site.set("/p", Route(page().encode()))
    source = await harness.add_source(site.url("/p"), ignore=["revebjelle"])
    assert await poll(harness.deps, source) == "baseline"

    site.set("/p", Route(page(NEW_PARAGRAPH).encode()))  # its heading and text name it

    assert await poll(harness.deps, source) == "unchanged"
    assert await harness.events() == []


@pytest.mark.timeout(120)
async def test_a_runaway_pattern_fails_the_poll_with_its_reason_and_keeps_the_last_snapshot(
    site: ScriptedSite, harness: Harness
) -> None:
    site.set("/p", Route(page().encode()))
    source = await harness.add_source(site.url("/p"), ignore=["^Sist oppdatert", RUNAWAY])
    assert await poll(harness.deps, source) == "baseline"
    kept = (await harness.source(source)).fingerprint

    # A line that sets the pattern off, on a page small enough to be parsed on the event loop.
    for n in range(3):
        site.set("/p", Route(page(f"<p>{'a' * (60 + n)}!</p>{NEW_PARAGRAPH}").encode()))
        assert await poll(harness.deps, source) == "failed"

    row = await harness.source(source)
    assert row.status == "failing"  # on the admin's sources page, with its reason
    assert row.last_error is not None
    assert f"the ignore pattern '{RUNAWAY}' took too long on this page" in row.last_error
    assert row.fingerprint == kept
    [snapshot] = await harness.snapshots(source)
    assert "revebjelle" not in " ".join(unpack(snapshot.content).blocks)
    assert await harness.events() == []

    # Without the line, the same pattern reads the page again, and the change is news.
    site.set("/p", Route(page(NEW_PARAGRAPH).encode()))
    assert await poll(harness.deps, source) == "changed"
    assert len(await harness.events()) == 1
