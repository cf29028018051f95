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
from services.watcher.domain.returns import RECALL_SNAPSHOTS, RECALL_WINDOW, Recent
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
        [(TWO.fingerprint, NOW)] * RECALL_SNAPSHOTS + [(ONE.fingerprint, NOW)],  # too far back
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
