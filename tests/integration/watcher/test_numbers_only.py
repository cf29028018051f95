"""A page whose numbers change at every request (a clock, a counter, an id, a shuffled list)
alerts nobody; a change of its numbers that stays is told once read twice; a change in words is
told at once (numbers_only.py)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from services.watcher.domain.numbers_only import numbers_only
from services.watcher.handlers import poll
from tests.integration.watcher.conftest import Harness
from tests.integration.watcher.pages import page
from tests.integration.watcher.server import Route, ScriptedSite

INTERVAL = 900


def noisy(n: int, extra: str = "") -> bytes:
    """The page as one request gets it: its counter, clock and session id drawn anew."""
    return page(
        f"<p>{1000 + 17 * n} personer har lest denne artikkelen.</p>"
        f"<p>Klokken er nå 23:{n % 60:02d}:{(7 * n) % 60:02d}.</p>"
        f"<p>Sesjons-ID: {uuid.UUID(int=n * 7919)}</p>{extra}"
    ).encode()


async def _read(harness: Harness, site: ScriptedSite, source: int, body: bytes) -> str:
    site.set("/p", Route(body))
    harness.clock.advance(timedelta(seconds=INTERVAL))
    return await poll(harness.deps, source)


async def test_numbers_that_change_at_every_request_alert_nobody(
    site: ScriptedSite, harness: Harness
) -> None:
    site.set("/p", Route(noisy(0)))
    source = await harness.add_source(site.url("/p"), interval_seconds=INTERVAL)
    assert await poll(harness.deps, source) == "baseline"

    kinds = [await _read(harness, site, source, noisy(n)) for n in range(1, 9)]

    assert kinds == ["unchanged"] * 8
    assert await harness.events() == []
    assert len(await harness.snapshots(source)) == 1
    # Read again soon the first time, then at its pace: a noisy page is not polled harder.
    row = await harness.source(source)
    assert row.next_check_at - harness.clock.now() > timedelta(seconds=INTERVAL / 2)

    # A change in words is told at once, noise or not.
    added = "<p>Nytt: vaksinen er gratis for alle over 65 år fra uke 42.</p>"
    assert await _read(harness, site, source, noisy(9, added)) == "changed"
    (told,) = await harness.events()
    assert "gratis for alle over 65" in told.summary


async def test_numbers_that_change_and_stay_are_told_once_read_again(
    site: ScriptedSite, harness: Harness
) -> None:
    deadline = "<p>Søknadsfristen er 15. mars 2027.</p>"
    site.set("/p", Route(page(deadline).encode()))
    source = await harness.add_source(site.url("/p"), interval_seconds=INTERVAL)
    assert await poll(harness.deps, source) == "baseline"

    moved = page(deadline.replace("15. mars", "22. mars")).encode()
    assert await _read(harness, site, source, moved) == "unchanged"
    row = await harness.source(source)
    assert row.next_check_at - harness.clock.now() <= timedelta(seconds=60)
    assert await harness.events() == []

    harness.clock.advance(timedelta(seconds=60))
    assert await poll(harness.deps, source) == "changed"  # the same reading: told
    (told,) = await harness.events()
    assert "22. mars" in told.summary
    assert (await harness.source(source)).pending_print is None
    harness.clock.advance(timedelta(seconds=INTERVAL))
    assert await poll(harness.deps, source) == "unchanged"
    assert len(await harness.events()) == 1


@pytest.mark.parametrize(
    ("old", "new", "numbers"),
    [
        (("Klokken er nå 23:05.",), ("Klokken er nå 23:06.",), True),
        (("Sesjons-ID: 3f2a9c1e-77b0",), ("Sesjons-ID: 8d41aa02-c3f9",), True),
        (("Punkt A", "Punkt B", "Punkt C"), ("Punkt C", "Punkt A", "Punkt B"), True),
        (("Fristen er 15. mars.",), ("Fristen er 15. april.",), False),
        (("Tekst.",), ("Tekst.", "Ny tekst."), False),
    ],
)
def test_numbers_only_reads_numbers_ids_and_order(
    old: tuple[str, ...], new: tuple[str, ...], numbers: bool
) -> None:
    assert numbers_only(old, new) is numbers
