"""A source holds a bounded number of pushes waiting for its page (docs/publishing.md, «A push for
an edit told already»): past the limit the latest push takes the place of the newest one held,
so a CMS pushing in a loop cannot grow the row without bound, and the operator is told."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest

from services.watcher.domain.told import HELD_LIMIT
from services.watcher.handlers import poll
from tests.integration.watcher.conftest import Harness, HarnessFactory
from tests.integration.watcher.pages import NEW_PARAGRAPH, page
from tests.integration.watcher.pushes import LATER_PARAGRAPH, push, watched
from tests.integration.watcher.server import Route, ScriptedSite

LOOPED = HELD_LIMIT + 5


@pytest.fixture(params=["sqlite", "postgresql"])
def either(request: pytest.FixtureRequest, make_harness: HarnessFactory) -> Harness:
    """A harness on SQLite or on PostgreSQL."""
    if request.param == "sqlite":
        return make_harness()
    return make_harness(request.getfixturevalue("postgres_url"))


async def test_a_cms_pushing_in_a_loop_fills_the_row_only_to_the_limit(
    site: ScriptedSite, either: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    source = await watched(site, either)
    either.clock.advance(timedelta(hours=1))
    site.set("/p", Route(page(NEW_PARAGRAPH).encode()))
    assert await poll(either.deps, source) == "changed"  # told: the pushes after it are held
    caplog.set_level(logging.INFO)

    for n in range(LOOPED):
        either.clock.advance(timedelta(seconds=1))
        await push(either, site.url("/p"), f"secret-key-{n}", note=f"Lagret {n}.")

    held = json.loads((await either.source(source)).held_pushes or "[]")
    notes = [f"Lagret {n}." for n in range(HELD_LIMIT - 1)] + [f"Lagret {LOOPED - 1}."]
    assert [h["note"] for h in held] == notes  # the earliest keep their hour; the latest stands
    warned = [r for r in caplog.records if "takes the place of the newest" in r.getMessage()]
    assert len(warned) == LOOPED - HELD_LIMIT
    line = warned[-1].getMessage()
    assert f"source {source} already holds {HELD_LIMIT} pushed changes" in line
    assert "'cms'" in line and "loop" in line
    assert "secret-key" not in caplog.text  # the idempotency keys are the CMS's own

    # The page shows new text: each push held is sent once, the displaced ones never.
    either.clock.advance(timedelta(seconds=1))
    site.set("/p", Route(page(NEW_PARAGRAPH + LATER_PARAGRAPH).encode()))
    assert await poll(either.deps, source) == "unchanged"
    assert [e.note for e in await either.events()] == [None, *notes]
    assert (await either.source(source)).held_pushes is None


async def test_pushes_up_to_the_limit_are_all_held(site: ScriptedSite, harness: Harness) -> None:
    source = await watched(site, harness)
    harness.clock.advance(timedelta(hours=1))
    site.set("/p", Route(page(NEW_PARAGRAPH).encode()))
    assert await poll(harness.deps, source) == "changed"

    for n in range(HELD_LIMIT):
        await push(harness, site.url("/p"), f"k{n}", note=f"Lagret {n}.")

    held = json.loads((await harness.source(source)).held_pushes or "[]")
    assert [h["note"] for h in held] == [f"Lagret {n}." for n in range(HELD_LIMIT)]
