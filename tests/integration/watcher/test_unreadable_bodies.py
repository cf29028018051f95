"""A body the parsers trip over is a failed poll: counted, shown and told to operators."""

from __future__ import annotations

import logging
from typing import Any

import pytest

import services.watcher.body_reading as body_reading
from services.watcher.handlers import poll
from tests.integration.watcher.conftest import Harness
from tests.integration.watcher.pages import page
from tests.integration.watcher.server import Route, ScriptedSite


async def test_a_body_the_parser_trips_over_fails_the_poll_and_the_source_shows_failing(
    site: ScriptedSite,
    harness: Harness,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    site.set("/p", Route(page().encode()))
    source = await harness.add_source(site.url("/p"))
    assert await poll(harness.deps, source) == "baseline"

    def tripping(*args: Any, **kwargs: Any) -> Any:
        raise RecursionError("maximum recursion depth exceeded")  # a parser's own bug

    monkeypatch.setattr(body_reading, "parse_content", tripping)
    site.set("/p", Route(page("<p>Nytt avsnitt om sopp og bær i skogen i høst.</p>").encode()))
    caplog.set_level(logging.INFO, logger="services.watcher")

    outcomes = [await poll(harness.deps, source) for _ in range(3)]

    # Raised, it ended the poll before anything was stored: the source showed as working.
    assert outcomes == ["failed"] * 3
    row = await harness.source(source)
    assert (row.status, row.consecutive_failures) == ("failing", 3)
    assert row.last_error == "unexpected error: RecursionError reading the body"
    traces = [r for r in caplog.records if r.exc_info is not None]
    assert len(traces) == 1  # the trace once, not at every poll
    assert await harness.events() == []
