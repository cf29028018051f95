"""Pushes held for one page that are sent together are one edit to its followers: one change of
its real edits to all their topics, a typo fix beside them apart, the publishers' notes kept
(docs/publishing.md, «A push for an edit told already»). A CMS that pushes on every save while
its page is down sends one alert per follower when the page is back, not one per save; pushes
for one edit naming different topics are one alert to a follower of several."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.watcher.domain.push import NOTE_LIMIT
from services.watcher.domain.told import WINDOW
from services.watcher.handlers import poll
from shared.events import ContentChanged
from tests.integration.watcher.conftest import Harness, HarnessFactory
from tests.integration.watcher.pages import NEW_PARAGRAPH, page
from tests.integration.watcher.pushes import LATER_PARAGRAPH, push, told_then_down
from tests.integration.watcher.server import Route, ScriptedSite


@pytest.fixture(params=["sqlite", "postgresql"])
def either(request: pytest.FixtureRequest, make_harness: HarnessFactory) -> Harness:
    """A harness on SQLite or on PostgreSQL."""
    if request.param == "sqlite":
        return make_harness()
    return make_harness(request.getfixturevalue("postgres_url"))


async def _sent_since(harness: Harness, before: int) -> list[ContentChanged]:
    return (await harness.events())[before:]


async def _saved_while_down(
    site: ScriptedSite, harness: Harness, count: int, every: timedelta
) -> tuple[int, int]:
    """Push ``count`` saves of one post, ``every`` apart, each under a key of its own, while
    its page is down; return the source and the number of changes sent before."""
    source = await told_then_down(site, harness)
    before = len(await harness.events())
    for n in range(count):
        harness.clock.advance(every)
        await push(harness, site.url("/p"), f"save-{n}", note=f"Lagret {n}.")
    return source, before


async def test_saves_pushed_while_the_page_was_down_are_one_alert_when_it_is_back(
    site: ScriptedSite, either: Harness
) -> None:
    source, before = await _saved_while_down(site, either, 5, timedelta(seconds=30))
    either.clock.advance(timedelta(seconds=1))
    assert await poll(either.deps, source) == "failed"  # still down: nothing sent yet
    assert await _sent_since(either, before) == []

    site.set("/p", Route(page(NEW_PARAGRAPH + LATER_PARAGRAPH).encode()))
    assert await poll(either.deps, source) == "unchanged"

    (sent,) = await _sent_since(either, before)
    assert sent.topics == ("tema",) and not sent.minor
    assert sent.note == "Lagret 4.\n\nLagret 3.\n\nLagret 2.\n\nLagret 1.\n\nLagret 0."
    assert sent.summary == sent.note
    assert (await either.source(source)).held_pushes is None


# A push while the page is down: its key, note, minor flag and topics.
Pushed = tuple[str, str, bool, tuple[str, ...]]


async def _sent_for(
    site: ScriptedSite, harness: Harness, pushes: list[Pushed]
) -> list[ContentChanged]:
    """Push ``pushes`` while the page is down, then read it with new text; return what is sent."""
    source = await told_then_down(site, harness)
    before = len(await harness.events())
    for key, note, minor, topics in pushes:
        await push(harness, site.url("/p"), key, note=note, minor=minor, topics=topics)
    harness.clock.advance(timedelta(seconds=1))
    site.set("/p", Route(page(NEW_PARAGRAPH + LATER_PARAGRAPH).encode()))
    assert await poll(harness.deps, source) == "unchanged"
    return await _sent_since(harness, before)


async def test_real_edits_naming_other_topics_are_one_change_and_typo_fixes_stay_apart(
    site: ScriptedSite, either: Harness
) -> None:
    tema, both = ("tema",), ("annet", "tema")
    sent = await _sent_for(
        site,
        either,
        [
            ("a1", "Ny frist.", False, tema),
            ("m1", "Skrivefeil.", True, tema),
            ("b1", "Nytt vedlegg.", False, both),
            ("a2", "Ny frist, rettet.", False, tema),
            ("b2", "Nytt vedlegg.", False, ("tema", "annet")),
            ("m2", "Komma.", True, tema),
            ("m3", "Lenke rettet.", True, ("tredje",)),
        ],
    )

    assert [(e.topics, e.minor, e.note) for e in sent] == [
        # One read found one new text: one alert to a follower of both topics, not two.
        (("tema", "annet"), False, "Nytt vedlegg.\n\nNy frist, rettet.\n\nNy frist."),
        (("tema",), True, "Komma.\n\nSkrivefeil."),  # recorded, alerting nobody
        (("tredje",), True, "Lenke rettet."),  # a typo fix adds no topic to the real edit
    ]


async def test_typo_fixes_alone_naming_other_topics_are_one_minor_change(
    site: ScriptedSite, either: Harness
) -> None:
    fixes = [("m1", "Skrivefeil.", True, ("auto",)), ("m2", "Komma.", True, ("auto", "feed"))]
    (sent,) = await _sent_for(site, either, fixes)
    assert (sent.topics, sent.minor, sent.note) == (("auto", "feed"), True, "Komma.\n\nSkrivefeil.")


async def test_pushes_whose_hours_run_out_together_are_one_change(
    site: ScriptedSite, either: Harness
) -> None:
    source, before = await _saved_while_down(site, either, 3, timedelta(seconds=10))

    either.clock.advance(WINDOW)  # still down when every push's hour is out
    assert await poll(either.deps, source) == "failed"

    (sent,) = await _sent_since(either, before)
    assert sent.note == "Lagret 2.\n\nLagret 1.\n\nLagret 0."


async def test_notes_joined_keep_the_latest_within_a_notes_length(
    site: ScriptedSite, harness: Harness
) -> None:
    source = await told_then_down(site, harness)
    before = len(await harness.events())
    notes = [f"{n}: " + "ø" * 700 for n in range(4)]
    for n, note in enumerate(notes):
        await push(harness, site.url("/p"), f"long-{n}", note=note)

    site.set("/p", Route(page(NEW_PARAGRAPH + LATER_PARAGRAPH).encode()))
    assert await poll(harness.deps, source) == "unchanged"

    (sent,) = await _sent_since(harness, before)
    assert sent.note == f"{notes[3]}\n\n{notes[2]}"  # a third would pass the limit
    assert len(sent.note) <= NOTE_LIMIT
