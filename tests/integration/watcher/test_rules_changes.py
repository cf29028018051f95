"""An editor changes a source's rules (a selector, ignore patterns) over real HTTP: the change
alone alerts nobody, the new rules apply at the next poll, and an edit of the page made
meanwhile is told once, judged under the rules its stored text was read by
(docs/decisions/0017, «Rules an editor changes»)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from services.watcher.adapters.snapshots import unpack
from services.watcher.adapters.tables import WatchedSource
from services.watcher.catalogue_sync import sync_catalogue
from services.watcher.handlers import claim_due, poll
from shared.catalogue_entries import Source
from shared.vocabulary import SourceKind
from tests.integration.watcher.conftest import Harness, HarnessFactory
from tests.integration.watcher.server import Route, ScriptedSite

DEADLINES = (
    "Kommunen behandler søknader om byggetillatelse innen tolv uker etter at søknaden er komplett."
)
EDITED = (
    "Kommunen behandler søknader om byggetillatelse innen åtte uker etter at søknaden er komplett."
)
TIP = "Tips: Husk å legge ved situasjonsplan og tegninger når du sender søknaden."
OTHER_TIP = "Tips: Nabovarsel sendes senest to uker før du sender søknaden til kommunen."
FEES = "Gebyret for en enkel søknad er 9 800 kroner, og det faktureres når vedtaket er fattet."


@pytest.fixture(params=["sqlite", "postgresql"])
def harness(request: pytest.FixtureRequest, make_harness: HarnessFactory) -> Harness:
    """A harness on each database: the batched quiet writes are SQL of their own on each."""
    if request.param == "sqlite":
        return make_harness()
    return make_harness(request.getfixturevalue("postgres_url"))


def page(deadlines: str = DEADLINES, tip: str = TIP, fees: str = FEES) -> bytes:
    """Return a page with a stable part (#frister) and a part an editor may leave out."""
    fees_paragraph = f"<p>{fees}</p>" if fees else ""
    return f"""<!doctype html><html lang="nb"><head><meta charset="utf-8">
<title>Byggesak</title></head><body><main>
<h1>Søknad om byggetillatelse</h1>
<div id="frister"><p>{deadlines}</p>{fees_paragraph}</div>
<div id="aktuelt"><p>{tip}</p></div>
</main></body></html>""".encode()


async def _apply(harness: Harness, url: str, **rules: object) -> None:
    """Apply a catalogue holding the one source, as an editor's save does."""
    source = Source(url=url, kind=SourceKind.PAGE, topics=("tema",), **rules)  # type: ignore[arg-type]
    async with harness.deps.sessions() as session, session.begin():
        await sync_catalogue(session, [source], harness.clock.now())


async def _watched(
    harness: Harness, site: ScriptedSite, route: Route | None = None, **rules: object
) -> int:
    """Serve the page, add its source through the catalogue and take its baseline."""
    site.set("/p", route or Route(page()))
    await _apply(harness, site.url("/p"), **rules)
    async with harness.deps.sessions() as session:
        source_id = (await session.scalars(select(WatchedSource.id))).one()
    assert await poll(harness.deps, source_id) == "baseline"
    return source_id


async def _stored_text(harness: Harness, source_id: int) -> str:
    latest = (await harness.snapshots(source_id))[-1]
    return " ".join(unpack(latest.content).blocks)


async def test_adding_a_selector_to_an_unchanged_page_alerts_nobody(
    site: ScriptedSite, harness: Harness
) -> None:
    source = await _watched(harness, site)

    await _apply(harness, site.url("/p"), selector="#frister")

    assert await poll(harness.deps, source) == "unchanged"
    assert await poll(harness.deps, source) == "unchanged"
    assert await harness.events() == []
    assert await _stored_text(harness, source) == f"{DEADLINES} {FEES}"  # the selected part
    assert (await harness.source(source)).rules_before is None


async def test_adding_an_ignore_pattern_to_an_unchanged_page_alerts_nobody(
    site: ScriptedSite, harness: Harness
) -> None:
    source = await _watched(harness, site)

    await _apply(harness, site.url("/p"), ignore=("Tips: .*",))

    assert await poll(harness.deps, source) == "unchanged"
    assert await harness.events() == []
    assert TIP not in await _stored_text(harness, source)

    # From then on like is compared with like: the ignored part is no news.
    site.set("/p", Route(page(tip=OTHER_TIP)))
    assert await poll(harness.deps, source) == "unchanged"
    assert await harness.events() == []


async def test_a_new_selector_applies_at_the_next_poll_of_a_server_that_answers_304(
    site: ScriptedSite, harness: Harness
) -> None:
    source = await _watched(harness, site, Route(page(), etag='"v1"'))
    assert await poll(harness.deps, source) == "not-modified"

    await _apply(harness, site.url("/p"), selector="#frister")

    assert await poll(harness.deps, source) == "unchanged"  # asked in full, read anew
    assert "If-None-Match" not in site.log("/p")[-1].headers
    assert await _stored_text(harness, source) == f"{DEADLINES} {FEES}"
    assert await poll(harness.deps, source) == "not-modified"  # its validators kept again
    assert await harness.events() == []


async def test_an_edit_of_the_selected_part_made_with_the_new_selector_is_told_once(
    site: ScriptedSite, harness: Harness
) -> None:
    source = await _watched(harness, site)

    site.set("/p", Route(page(deadlines=EDITED)))
    await _apply(harness, site.url("/p"), selector="#frister")

    assert await poll(harness.deps, source) == "changed"
    assert await poll(harness.deps, source) == "unchanged"
    [event] = await harness.events()
    assert "åtte uker" in event.summary
    assert "Fjernet" not in event.summary  # not the parts the selector leaves out
    assert await _stored_text(harness, source) == f"{EDITED} {FEES}"


async def test_a_removal_from_the_selected_part_made_with_the_new_selector_is_told_alone(
    site: ScriptedSite, harness: Harness
) -> None:
    source = await _watched(harness, site)

    site.set("/p", Route(page(fees="")))
    await _apply(harness, site.url("/p"), selector="#frister")

    assert await poll(harness.deps, source) == "changed"
    [event] = await harness.events()
    # Told as removed: the paragraph, not the heading and tip the selector leaves out.
    assert event.summary == f"Fjernet: {FEES}"
    assert await _stored_text(harness, source) == DEADLINES


async def test_removing_a_selector_alerts_nobody(site: ScriptedSite, harness: Harness) -> None:
    source = await _watched(harness, site, selector="#frister")

    await _apply(harness, site.url("/p"))

    assert await poll(harness.deps, source) == "unchanged"
    assert await harness.events() == []
    assert TIP in await _stored_text(harness, source)


async def test_a_selector_for_a_new_template_takes_a_new_baseline_silently(
    site: ScriptedSite, harness: Harness
) -> None:
    source = await _watched(harness, site, selector="#frister")

    # The site's new template has no #frister: the old rules cannot read it, and the
    # editor has the whole main content read instead.
    moved = page().replace(b'id="frister"', b'id="behandlingstid"')
    site.set("/p", Route(moved))
    assert await poll(harness.deps, source) == "failed"
    await _apply(harness, site.url("/p"), selector="main")

    assert await poll(harness.deps, source) == "unchanged"
    assert await harness.events() == []
    assert TIP in await _stored_text(harness, source)

    site.set("/p", Route(page(deadlines=EDITED).replace(b'id="frister"', b'id="behandlingstid"')))
    assert await poll(harness.deps, source) == "changed"
    assert len(await harness.events()) == 1


async def test_rules_changed_twice_before_a_poll_are_judged_by_the_first(
    site: ScriptedSite, harness: Harness
) -> None:
    source = await _watched(harness, site)

    await _apply(harness, site.url("/p"), selector="#aktuelt")
    await _apply(harness, site.url("/p"), selector="#frister")  # the editor thought again

    assert await poll(harness.deps, source) == "unchanged"
    assert await harness.events() == []
    assert await _stored_text(harness, source) == f"{DEADLINES} {FEES}"

    # Changed and changed back: read under its own rules, as its text was.
    await _apply(harness, site.url("/p"))
    await _apply(harness, site.url("/p"), selector="#frister")
    assert (await harness.source(source)).rules_before is None


async def test_rules_changed_while_a_poll_is_under_way_apply_at_the_next_poll(
    site: ScriptedSite, harness: Harness
) -> None:
    source = await _watched(harness, site, Route(page(), etag='"v1"'))

    harness.clock.advance(timedelta(minutes=20))  # past its interval and jitter
    [claim] = await claim_due(harness.deps)
    await _apply(harness, site.url("/p"), selector="#frister")  # the poll has claimed it
    assert await poll(harness.deps, claim) == "not-modified"

    row = await harness.source(source)
    assert (row.etag, row.last_modified) == (None, None)  # not set back by that poll
    assert await poll(harness.deps, source) == "unchanged"
    assert await _stored_text(harness, source) == f"{DEADLINES} {FEES}"
    assert await harness.events() == []


async def test_an_edit_read_by_a_poll_under_rules_changed_meanwhile_is_told_once_later(
    site: ScriptedSite, harness: Harness
) -> None:
    source = await _watched(harness, site)

    site.set("/p", Route(page(deadlines=EDITED)))
    harness.clock.advance(timedelta(minutes=20))  # past its interval and jitter
    [claim] = await claim_due(harness.deps)
    await _apply(harness, site.url("/p"), ignore=("Tips: .*",))  # the poll has claimed it
    await poll(harness.deps, claim)  # read under the rules it was claimed with

    row = await harness.source(source)
    assert (row.etag, row.body_hash) == (None, None)  # its bytes are read again, anew
    assert await poll(harness.deps, source) == "changed"
    [event] = await harness.events()
    assert "åtte uker" in event.summary
    assert "Fjernet" not in event.summary
    assert TIP not in await _stored_text(harness, source)
    site.set("/p", Route(page(deadlines=EDITED, tip=OTHER_TIP)))
    assert await poll(harness.deps, source) == "unchanged"
    assert len(await harness.events()) == 1


async def test_an_edit_read_by_a_poll_under_rules_changed_back_meanwhile_is_told_once_later(
    site: ScriptedSite, harness: Harness
) -> None:
    source = await _watched(harness, site)
    await _apply(harness, site.url("/p"), ignore=("Tips: .*",))

    site.set("/p", Route(page(deadlines=EDITED)))
    harness.clock.advance(timedelta(minutes=20))  # past its interval and jitter
    [claim] = await claim_due(harness.deps)
    await _apply(harness, site.url("/p"))  # the editor thought again while the poll ran
    await poll(harness.deps, claim)  # read under the ignore pattern taken back

    row = await harness.source(source)
    assert (row.etag, row.body_hash, row.rules_before) == (None, None, None)
    assert await poll(harness.deps, source) == "changed"
    [event] = await harness.events()
    assert "åtte uker" in event.summary
    assert "Fjernet" not in event.summary
    assert TIP in await _stored_text(harness, source)
