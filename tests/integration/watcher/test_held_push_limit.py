"""A source holds a bounded number of pushes waiting for its page (docs/publishing.md, «A push for
an edit told already»): past the limit the latest push is joined with one held, so a CMS pushing
in a loop cannot grow the row without bound, no push takes away what another asked for, and the
operator is told."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import timedelta

import pytest

from services.watcher.domain.told import HELD_LIMIT
from services.watcher.handlers import poll
from shared.events import ContentChanged
from tests.integration.watcher.conftest import Harness, HarnessFactory
from tests.integration.watcher.pages import NEW_PARAGRAPH, page
from tests.integration.watcher.pushes import (
    LATER_PARAGRAPH,
    push,
    pushed_while_stored,
    told_then_down,
    watched,
)
from tests.integration.watcher.server import Route, ScriptedSite

LOOPED = HELD_LIMIT + 5


@pytest.fixture(params=["sqlite", "postgresql"])
def either(request: pytest.FixtureRequest, make_harness: HarnessFactory) -> Harness:
    """A harness on SQLite or on PostgreSQL."""
    if request.param == "sqlite":
        return make_harness()
    return make_harness(request.getfixturevalue("postgres_url"))


async def _loop(harness: Harness, url: str, count: int = LOOPED, **fields: object) -> None:
    for n in range(count):
        harness.clock.advance(timedelta(seconds=1))
        note = f"Lagret {n}."
        await push(harness, url, f"secret-key-{n}", note, **fields)  # type: ignore[arg-type]


async def _back(site: ScriptedSite, harness: Harness, source: int) -> list[ContentChanged]:
    """Serve the page with new text and poll it; return the changes the poll sent."""
    before = len(await harness.events())
    harness.clock.advance(timedelta(seconds=1))
    site.set("/p", Route(page(NEW_PARAGRAPH + LATER_PARAGRAPH).encode()))
    assert await poll(harness.deps, source) == "unchanged"
    assert (await harness.source(source)).held_pushes is None
    return (await harness.events())[before:]


async def test_a_cms_pushing_in_a_loop_fills_the_row_only_to_the_limit(
    site: ScriptedSite, either: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    source = await told_then_down(site, either)
    caplog.set_level(logging.INFO)

    await _loop(either, site.url("/p"))

    held = json.loads((await either.source(source)).held_pushes or "[]")
    assert len(held) == HELD_LIMIT
    # The earliest keep their hour; the latest pushes are joined with the newest, notes and all.
    assert [h["note"] for h in held[:-1]] == [f"Lagret {n}." for n in range(HELD_LIMIT - 1)]
    joined = [f"Lagret {n}." for n in reversed(range(HELD_LIMIT - 1, LOOPED))]
    assert held[-1]["note"] == "\n\n".join(joined)
    warned = [r for r in caplog.records if "is joined with the held change" in r.getMessage()]
    assert len(warned) == LOOPED - HELD_LIMIT
    line = warned[-1].getMessage()
    assert f"source {source} already holds {HELD_LIMIT} pushed changes" in line
    assert "'cms'" in line and "loop" in line and "now wait as one change" in line
    assert "secret-key" not in caplog.text  # the idempotency keys are the CMS's own

    # The page shows new text: every push held is told, none lost, in one change for one edit.
    (sent,) = await _back(site, either, source)
    assert sent.note == "\n\n".join(f"Lagret {n}." for n in reversed(range(LOOPED)))


async def test_a_push_past_the_limit_takes_away_nothing_another_asked_for(
    site: ScriptedSite, either: Harness
) -> None:
    source = await told_then_down(site, either)
    await _loop(either, site.url("/p"), topics=("auto",))
    either.clock.advance(timedelta(seconds=1))
    await push(either, site.url("/p"), "k-feed", note="VIKTIG: frist endret.", topics=("feed",))
    either.clock.advance(timedelta(seconds=1))
    await push(either, site.url("/p"), "k-minor", note="Skrivefeil.", topics=("auto",), minor=True)

    sent = await _back(site, either, source)
    assert len(sent) == 1  # one read, one edit: one change to both topics
    feed = [e for e in sent if "feed" in e.topics]
    assert len(feed) == 1 and not feed[0].minor  # the feed's followers are told, of a real edit
    assert feed[0].topics == ("auto", "feed") and "VIKTIG: frist endret." in (feed[0].note or "")
    assert "Skrivefeil." not in (feed[0].note or "")  # a typo fix's note beside a real edit
    assert not any(e.minor for e in sent)  # the minor push hid no real edit


async def test_a_minor_push_from_another_publisher_does_not_hide_a_real_edit(
    site: ScriptedSite, either: Harness
) -> None:
    source = await told_then_down(site, either)
    await _loop(either, site.url("/p"), publisher="cms-a")
    either.clock.advance(timedelta(seconds=1))
    await push(either, site.url("/p"), "k-b", note="Komma.", minor=True, publisher="cms-b")

    (sent,) = await _back(site, either, source)
    assert not sent.minor
    latest = [f"Lagret {n}." for n in reversed(range(LOOPED))]
    assert sent.note == "\n\n".join(latest)  # A's notes kept, B's typo fix left out


async def test_a_push_past_the_limit_joins_the_newest_held_push_alike(
    site: ScriptedSite, harness: Harness
) -> None:
    source = await told_then_down(site, harness)
    await _loop(harness, site.url("/p"), count=HELD_LIMIT - 2, topics=("auto",))
    await push(harness, site.url("/p"), "k-fix", note="Komma.", topics=("auto",), minor=True)
    await push(harness, site.url("/p"), "k-feed", note="Feed.", topics=("feed",))
    await push(harness, site.url("/p"), "k-auto", note="Auto.", topics=("auto",))
    await push(harness, site.url("/p"), "k-fix2", note="Punktum.", topics=("feed",), minor=True)

    # A real edit joins the newest real edit, whatever its topics, as they are joined when
    # sent; a typo fix joins the newest typo fix, not a real edit it would add topics to.
    held = json.loads((await harness.source(source)).held_pushes or "[]")
    assert [(h["topics"], h.get("minor", False)) for h in held[-2:]] == [
        (["auto", "feed"], True),
        (["feed", "auto"], False),
    ]
    assert [h["note"] for h in held[-2:]] == ["Punktum.\n\nKomma.", "Auto.\n\nFeed."]


async def test_pushes_up_to_the_limit_are_all_held(site: ScriptedSite, harness: Harness) -> None:
    source = await watched(site, harness)
    harness.clock.advance(timedelta(hours=1))
    site.set("/p", Route(page(NEW_PARAGRAPH).encode()))
    assert await poll(harness.deps, source) == "changed"

    for n in range(HELD_LIMIT):
        await push(harness, site.url("/p"), f"k{n}", note=f"Lagret {n}.")

    held = json.loads((await harness.source(source)).held_pushes or "[]")
    assert [h["note"] for h in held] == [f"Lagret {n}." for n in range(HELD_LIMIT)]


def _warned(caplog: pytest.LogCaptureFixture) -> str:
    (line,) = [r.getMessage() for r in caplog.records if "already holds" in r.getMessage()]
    assert "secret-key" not in line and "/p" not in line  # no key, no address: the CMS's own
    return line


async def test_a_minor_push_past_the_limit_with_only_real_edits_held_alerts_nobody(
    site: ScriptedSite, either: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    source = await told_then_down(site, either)
    await _loop(either, site.url("/p"), count=HELD_LIMIT, topics=("auto",))
    caplog.set_level(logging.INFO)
    before = len(await either.events())
    either.clock.advance(timedelta(seconds=1))
    await push(either, site.url("/p"), "k-typo", note="Skrivefeil.", topics=("feed",), minor=True)

    # Sent at once as it came: minor, to its own topic, alerting nobody; nothing held changed.
    (typo,) = (await either.events())[before:]
    assert (typo.minor, typo.topics, typo.note) == (True, ("feed",), "Skrivefeil.")
    held = json.loads((await either.source(source)).held_pushes or "[]")
    assert len(held) == HELD_LIMIT and all(h["topics"] == ["auto"] for h in held)
    line = _warned(caplog)
    assert f"push {typo.event_id} from publisher 'cms' is minor" in line and "sent now" in line

    # The page shows new text: the feed's followers get no alert of the auto edit.
    (sent,) = await _back(site, either, source)
    assert (sent.minor, sent.topics) == (False, ("auto",))


async def test_a_real_edit_past_the_limit_with_only_minor_pushes_held_alerts_only_its_topics(
    site: ScriptedSite, either: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    source = await told_then_down(site, either)
    await _loop(either, site.url("/p"), count=HELD_LIMIT, topics=("feed",), minor=True)
    held = json.loads((await either.source(source)).held_pushes or "[]")
    caplog.set_level(logging.INFO)
    before = len(await either.events())
    either.clock.advance(timedelta(seconds=1))
    await push(either, site.url("/p"), "k-edit", note="Frist endret.", topics=("auto",))

    # The earliest minor push is sent now, to free a place: recorded, nobody alerted.
    (freed,) = (await either.events())[before:]
    assert str(freed.event_id) == held[0]["event_id"]
    assert (freed.minor, freed.topics) == (True, ("feed",))
    now_held = json.loads((await either.source(source)).held_pushes or "[]")
    assert now_held[:-1] == held[1:] and now_held[-1]["note"] == "Frist endret."
    line = _warned(caplog)
    assert f"the earliest, {freed.event_id}, is sent now as a minor change" in line

    # The page shows new text: the real edit alerts its own topic only; the typo fixes are one
    # minor change, alerting nobody.
    sent = await _back(site, either, source)
    assert sorted((e.minor, e.topics) for e in sent) == [(False, ("auto",)), (True, ("feed",))]
    (edit,) = [e for e in sent if not e.minor]
    assert edit.note == "Frist endret."


async def test_a_push_joined_while_a_poll_settles_the_held_pushes_loses_none(
    site: ScriptedSite, either: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = await told_then_down(site, either)
    url = site.url("/p")
    for n in range(HELD_LIMIT):
        either.clock.advance(timedelta(seconds=1))
        await push(either, url, f"k{n}", note=f"Lagret {n}.")
    before = len(await either.events())
    # Between the poll's read of the row and its write, the CMS pushes once more: were the push
    # not to wait for the poll's lock, it would be joined with the newest held push, which the
    # poll has read.
    pushed = pushed_while_stored(
        either, monkeypatch, url, "k-late", "Lagret sist.", when=lambda row: bool(row.held)
    )

    either.clock.advance(timedelta(seconds=1))
    site.set("/p", Route(page(NEW_PARAGRAPH + LATER_PARAGRAPH).encode()))
    assert await poll(either.deps, source) == "unchanged"
    await asyncio.gather(*pushed)
    assert pushed
    # The page is read again, still showing the text of the pushes the first poll sent.
    either.clock.advance(timedelta(minutes=5))
    await poll(either.deps, source)

    sent = (await either.events())[before:]
    notes = "\n\n".join(e.note or "" for e in sent)
    # Every push the first poll read is sent: none is lost to the join.
    for n in range(HELD_LIMIT):
        assert f"Lagret {n}." in notes, n
    assert (await either.source(source)).held_pushes is None
