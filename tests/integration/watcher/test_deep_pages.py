"""A page whose elements nest more than 255 deep (a template's unclosed <div> in a loop) is
read whole from extraction 8 on; a page stored under the older reading is judged by it once, as
is one whose stamp extraction 9 first reads (a sentence as its label, a time without «kl.»)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from services.watcher.domain.model import DEEP_PAGES, EXTRACTION, MORE_STAMPS
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


def stamped_page(
    last: str = "Kontakt oss på telefon 22 00 00 00 om sakene.", at: str = "09:12"
) -> bytes:
    """Return a page whose stamp only extraction 9 reads as one (a sentence, no «kl.»)."""
    return (
        "<html><body><main><h1>Nyheter fra kommunen</h1>"
        "<p>Sak om helse og omsorg i kommunene, og om tjenestene der.</p>"
        f"<p>Denne siden ble sist oppdatert 05.12.2026</p><p>Oppdatert {at}</p><p>{last}</p>"
        "</main></body></html>"
    ).encode()


@pytest.mark.parametrize(
    ("version", "body"),
    [
        (DEEP_PAGES, lambda last: deep_page(300, last)),
        (MORE_STAMPS, lambda last: stamped_page(last)),
    ],
    ids=["deep-8", "stamps-9"],
)
async def test_a_page_stored_under_the_older_reading_alerts_nobody_at_the_upgrade(
    site: ScriptedSite,
    harness: Harness,
    monkeypatch: pytest.MonkeyPatch,
    version: int,
    body: Callable[[str], bytes],
) -> None:
    before = body("Kontakt oss på telefon 22 00 00 00 om sakene.")
    site.set("/p", Route(before))
    source = await harness.add_source(site.url("/p"))
    await harness.baseline_under(source, version - 1, monkeypatch)

    # New bytes, the same text: today's reading differs (47 cases more, the stamps gone), and
    # nobody hears of it.
    site.set("/p", Route(before + b"<!-- ny mal -->"))
    assert await poll(harness.deps, source) == "unchanged"

    assert await harness.events() == []
    row = await harness.source(source)
    old, new = await harness.snapshots(source)
    assert row.extraction == EXTRACTION and row.fingerprint == new.fingerprint != old.fingerprint
    if version == MORE_STAMPS:  # from now on the stamp moving alone is no news
        site.set("/p", Route(stamped_page(at="09:13")))
        assert await poll(harness.deps, source) == "unchanged"
    site.set("/p", Route(body("Kontoret er stengt i julen, fra 23. desember.")))
    assert await poll(harness.deps, source) == "changed"  # from now on, like with like
    (event,) = await harness.events()
    assert "Kontoret er stengt i julen" in event.summary and "Oppdatert" not in event.summary
