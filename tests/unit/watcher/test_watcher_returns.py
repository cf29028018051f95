"""New text that is one of the source's recent versions: stored, nobody told (returns.py)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from services.watcher.domain.model import Content
from services.watcher.domain.outcome import (
    Answer,
    History,
    Outcome,
    OutcomeKind,
    Previous,
)
from services.watcher.domain.returns import (
    RECALL_SNAPSHOTS,
    RECALL_WINDOW,
    ROTATION_SNAPSHOTS,
    Recent,
    rotating,
)
from tests.support.source_states import decided, source_state

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ONE = Content(
    "Nyheter", ("Version one: vaksinen gis til alle over 65 år.",), frozenset(), None, None
)
TWO = Content(
    "Nyheter", ("Version two: vaksinen gis til alle over 75 år.",), frozenset(), None, None
)
THREE = Content(
    "Nyheter", ("Version three: vaksinen gis til alle over 18 år.",), frozenset(), None, None
)


def _decide(content: Content, recent: Recent) -> tuple[Outcome, bool]:
    state = source_state(fingerprint=TWO.fingerprint, interval_seconds=5)
    asked: list[bool] = []

    def read_recent() -> Recent:
        asked.append(True)
        return recent

    history = History(
        ("helse",),
        NOW - timedelta(hours=1),
        Previous(41, TWO.fingerprint, None, lambda: TWO),
        read_recent,
    )
    outcome = decided(state, Answer(body_hash="c", content=content), NOW, history)
    return outcome, bool(asked)


def test_a_return_to_a_recent_version_is_stored_and_tells_nobody() -> None:
    recent = [
        (TWO.fingerprint, NOW - timedelta(hours=1)),
        (ONE.fingerprint, NOW - timedelta(days=6)),
    ]

    outcome, _ = _decide(ONE, recent)

    assert outcome.kind is OutcomeKind.UNCHANGED
    assert outcome.changes == ()
    stored = outcome.stored
    assert stored is not None and stored.snapshot is not None
    assert stored.snapshot.content == ONE
    assert (stored.returned_at, stored.last_changed_at) == (NOW, NOW - timedelta(hours=1))
    assert outcome.notice is not None and outcome.notice.level == logging.INFO
    assert "is back at the text it showed" in outcome.notice.message


@pytest.mark.parametrize(
    "recent",
    [
        [],  # nothing stored lately
        [(ONE.fingerprint, NOW - RECALL_WINDOW - timedelta(seconds=1))],  # too long ago
        # Too far back, in a source edited now and then (an hour between its changes).
        [(TWO.fingerprint, NOW - timedelta(hours=i)) for i in range(RECALL_SNAPSHOTS)]
        + [(ONE.fingerprint, NOW - timedelta(hours=RECALL_SNAPSHOTS))],
    ],
    ids=["none", "older-than-the-window", "beyond-the-last-five"],
)
def test_a_version_not_seen_lately_is_a_change(recent: Recent) -> None:
    outcome, _ = _decide(ONE, recent)

    assert outcome.kind is OutcomeKind.CHANGED
    assert outcome.stored is not None and outcome.stored.returned_at is None


def test_the_recent_versions_are_read_only_for_text_other_than_the_latest() -> None:
    assert _decide(TWO, [])[1] is False
    assert _decide(THREE, [])[1] is True


def _rotation(count: int, apart: timedelta, first: str = ONE.fingerprint) -> Recent:
    """Return the snapshots of a source that showed ``count`` versions, ``apart`` between
    each, ``first`` the oldest of them; newest first."""
    prints = [first] + [f"version-{i}" for i in range(1, count)]
    return [(fp, NOW - apart * (count - i)) for i, fp in enumerate(prints)][::-1]


def test_a_source_that_changes_at_each_poll_and_comes_back_rotates_and_tells_nobody() -> None:
    # Eight teasers in turn, polled every 5 s: the first is back, past the last five.
    outcome, _ = _decide(ONE, _rotation(8, timedelta(seconds=5)))

    assert outcome.kind is OutcomeKind.UNCHANGED
    assert outcome.changes == ()
    assert outcome.stored is not None and outcome.stored.returned_at == NOW
    assert outcome.notice is not None and outcome.notice.level == logging.WARNING
    assert "rotates through more versions than five" in outcome.notice.message


@pytest.mark.parametrize(
    "recent",
    [
        # Edited at one poll in six at most: a return past the last five is a revert.
        _rotation(8, timedelta(seconds=30)),
        # Rotating, but the version came back after the thirty versions looked at.
        _rotation(ROTATION_SNAPSHOTS + 1, timedelta(seconds=1)),
        # Rotating within the week only: the version is older than the window.
        [
            *_rotation(7, timedelta(seconds=5), "version-0"),
            (ONE.fingerprint, NOW - RECALL_WINDOW - timedelta(seconds=1)),
        ],
    ],
    ids=["edited-now-and-then", "past-thirty", "older-than-the-window"],
)
def test_a_return_past_the_last_five_of_a_source_that_does_not_rotate_is_a_change(
    recent: Recent,
) -> None:
    outcome, _ = _decide(ONE, recent)

    assert outcome.kind is OutcomeKind.CHANGED
    assert outcome.stored is not None and outcome.stored.returned_at is None


def test_a_source_is_shown_rotating_only_after_a_return_past_its_last_five() -> None:
    rotation = _rotation(8, timedelta(seconds=5))
    back = [(ONE.fingerprint, NOW), *rotation]
    flipping = [
        (ONE.fingerprint if i % 2 else TWO.fingerprint, NOW - timedelta(seconds=5 * i))
        for i in range(20)
    ]
    edited = [(ONE.fingerprint, NOW), *_rotation(8, timedelta(minutes=30))]

    assert rotating(back, NOW, 5)
    assert not rotating(rotation, NOW, 5)  # every version new so far: told, as each was
    assert not rotating(flipping, NOW, 5)  # back within the last five: flapping only
    assert not rotating(edited, NOW, 5)  # the revert was told: no rotation
    assert not rotating(back, NOW + RECALL_WINDOW + timedelta(seconds=1), 5)  # worn off


def test_a_rotation_started_again_after_a_quiet_spell_is_still_known_for_the_week() -> None:
    teasers = [
        Content("Nyheter", (f"Aktuelt: sak {n}.",), frozenset(), None, None) for n in range(8)
    ]
    # Eight teasers in turn every 5 s, the first back after the other seven; then two hours
    # of quiet, and the rotation starts again where it stopped.
    stopped = NOW - timedelta(hours=2)
    recent = [
        (t.fingerprint, stopped - timedelta(seconds=5 * (8 - i))) for i, t in enumerate(teasers)
    ]
    recent = [(teasers[0].fingerprint, stopped), *recent[::-1]]
    assert rotating(recent, NOW, 5)

    outcome, _ = _decide(teasers[3], recent)

    assert outcome.kind is OutcomeKind.UNCHANGED
    assert outcome.stored is not None and outcome.stored.returned_at == NOW
    # A teaser never shown is news, as ever.
    assert _decide(THREE, recent)[0].kind is OutcomeKind.CHANGED


def test_a_source_is_warned_of_when_first_seen_rotating_then_its_returns_are_facts() -> None:
    teasers = [
        Content("Nyheter", (f"Aktuelt: sak {n}.",), frozenset(), None, None) for n in range(8)
    ]
    shown = [(t.fingerprint, NOW - timedelta(seconds=5 * (9 - i))) for i, t in enumerate(teasers)]
    # The first teaser came back past the last five: warned of then (see above).
    recent = [(teasers[0].fingerprint, NOW - timedelta(seconds=5)), *shown[::-1]]

    outcome, _ = _decide(teasers[1], recent)

    assert outcome.kind is OutcomeKind.UNCHANGED
    assert outcome.notice is not None and outcome.notice.level == logging.INFO
    assert "rotates through more versions than five" in outcome.notice.message
