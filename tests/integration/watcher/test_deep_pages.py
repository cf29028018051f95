"""A page whose elements nest more than 255 deep (a template's unclosed <div> in a loop) is
read whole from extraction 8 on; a page stored under the older reading is judged by it once."""

from __future__ import annotations

import pytest

from services.watcher.domain.model import DEEP_PAGES, EXTRACTION
from services.watcher.handlers import poll
from tests.integration.watcher.conftest import Harness
from tests.integration.watcher.server import Route, ScriptedSite


def deep_page(cases: int, last: str = "Kontakt oss på telefon 22 00 00 00 om sakene.") -> bytes:
    """Return a news list whose every case opens a <div> it never closes."""
    unclosed = "".join(
        f'<div class="sak"><p>Sak {n} om helse og omsorg i kommunene.</p>' for n in range(cases)
    )
    return (
        f"<html><body><main><h1>Nyheter fra kommunen</h1>{unclosed}<p>{last}</p>"
        "</main></body></html>"
    ).encode()


async def test_a_change_past_the_255th_level_is_told(site: ScriptedSite, harness: Harness) -> None:
    site.set("/p", Route(deep_page(300)))
    source = await harness.add_source(site.url("/p"))
    assert await poll(harness.deps, source) == "baseline"
    site.set("/p", Route(deep_page(300, "Kontoret er stengt i julen, fra 23. desember.")))

    # libxml2 stopped reading at the 255th level: the change was never seen.
    assert await poll(harness.deps, source) == "changed"

    (event,) = await harness.events()
    assert "Kontoret er stengt i julen" in event.summary


async def test_a_deep_page_stored_under_the_older_reading_alerts_nobody_at_the_upgrade(
    site: ScriptedSite, harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    site.set("/p", Route(deep_page(300)))
    source = await harness.add_source(site.url("/p"))
    await harness.baseline_under(source, DEEP_PAGES - 1, monkeypatch)

    # New bytes, the same text: today's reading holds 47 cases more, and nobody hears of it.
    site.set("/p", Route(deep_page(300) + b"<!-- ny mal -->"))
    assert await poll(harness.deps, source) == "unchanged"

    assert await harness.events() == []
    row = await harness.source(source)
    old, new = await harness.snapshots(source)
    assert row.extraction == EXTRACTION and row.fingerprint == new.fingerprint != old.fingerprint
    site.set("/p", Route(deep_page(300, "Kontoret er stengt i julen, fra 23. desember.")))
    assert await poll(harness.deps, source) == "changed"  # from now on, like with like
