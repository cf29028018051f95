"""Pages that disappear: only 404 or 410 for three days is gone; back before then, nobody hears."""

from __future__ import annotations

from datetime import timedelta

from services.watcher.domain.outcome import OutcomeKind
from services.watcher.handlers import poll
from tests.integration.watcher.conftest import Harness
from tests.integration.watcher.pages import page
from tests.integration.watcher.server import Route, ScriptedSite

HOURS_BETWEEN_POLLS = 6


async def _poll_for(harness: Harness, source_id: int, hours: float) -> list[OutcomeKind]:
    """Poll every few hours for so long on the moved clock; return what each poll came to."""
    kinds = []
    for _ in range(int(hours // HOURS_BETWEEN_POLLS)):
        harness.clock.advance(timedelta(hours=HOURS_BETWEEN_POLLS))
        kinds.append(await poll(harness.deps, source_id))
    return kinds


async def test_a_page_answering_404_or_410_for_three_days_is_gone(
    site: ScriptedSite, harness: Harness
) -> None:
    site.set("/side", Route(body=page().encode()))
    source_id = await harness.add_source(site.url("/side"))
    assert await poll(harness.deps, source_id) is OutcomeKind.BASELINE

    site.set("/side", Route(status=404, body=b"Not found"))
    start = harness.clock.now()
    assert set(await _poll_for(harness, source_id, 24)) == {OutcomeKind.FAILED}
    row = await harness.source(source_id)
    assert row.missing_since == start + timedelta(hours=HOURS_BETWEEN_POLLS)
    assert row.gone_at is None

    # A server error in between neither ends nor restarts the count; 410 counts as 404 does.
    site.set("/side", Route(status=503, body=b"busy"))
    await _poll_for(harness, source_id, 6)
    site.set("/side", Route(status=410, body=b"Gone"))
    await _poll_for(harness, source_id, 42)
    assert (await harness.source(source_id)).gone_at is None  # 66 hours: not yet
    await _poll_for(harness, source_id, 12)
    row = await harness.source(source_id)
    assert row.missing_since == start + timedelta(hours=HOURS_BETWEEN_POLLS)
    assert row.gone_at is not None
    assert row.gone_at - row.missing_since >= timedelta(days=3)
    gone_at = row.gone_at

    # Later polls keep the moment it became gone.
    await _poll_for(harness, source_id, 12)
    assert (await harness.source(source_id)).gone_at == gone_at
    assert await harness.events() == []


async def test_a_page_that_comes_back_within_the_window_alerts_nobody(
    site: ScriptedSite, harness: Harness
) -> None:
    site.set("/side", Route(body=page().encode(), etag='"v1"'))
    source_id = await harness.add_source(site.url("/side"))
    assert await poll(harness.deps, source_id) is OutcomeKind.BASELINE

    site.set("/side", Route(status=404, body=b"Not found"))
    await _poll_for(harness, source_id, 60)
    assert (await harness.source(source_id)).missing_since is not None

    # Back, with the same text as before (served anew, so not a 304): no "changed" alert.
    site.set("/side", Route(body=page().encode(), etag='"v2"'))
    assert await _poll_for(harness, source_id, 6) == [OutcomeKind.UNCHANGED]
    row = await harness.source(source_id)
    assert (row.missing_since, row.gone_at) == (None, None)
    await _poll_for(harness, source_id, 72)  # the window passes with the page there
    assert (await harness.source(source_id)).gone_at is None
    assert await harness.events() == []


async def test_a_page_that_redirected_remembers_where_it_went(
    site: ScriptedSite, harness: Harness
) -> None:
    site.set("/gammel", Route(body=page().encode()))
    source_id = await harness.add_source(site.url("/gammel"))
    assert await poll(harness.deps, source_id) is OutcomeKind.BASELINE
    assert (await harness.source(source_id)).moved_to is None

    site.set("/ny", Route(body=page("<p>Flyttet hit, med litt ny tekst om saken.</p>").encode()))
    site.set("/gammel", Route(status=301, location=site.url("/ny")))
    await _poll_for(harness, source_id, 6)
    assert (await harness.source(source_id)).moved_to == site.url("/ny")

    site.set("/gammel", Route(status=404, body=b"Not found"))
    await _poll_for(harness, source_id, 80)
    row = await harness.source(source_id)
    assert row.gone_at is not None
    assert row.moved_to == site.url("/ny")
