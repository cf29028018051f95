"""A push to a feed is judged by the dates it reads: one older than what is stored moves
nothing back, as the rules the stored version was read under date it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from services.watcher.domain.model import EXTRACTION, Content, FeedEntry
from services.watcher.domain.outcome import Answer, History, OutcomeKind, Previous, Rules
from tests.support.source_states import decided, source_state

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _body(content: Content) -> Answer:
    return Answer(body_hash="new-bytes", etag='"v2"', last_modified=None, content=content)


FEED = Rules("feed", None, ())


def _feed(text: str, day: int, *, feed_day: int | None = None) -> Content:
    entry = FeedEntry("k1", "Sak om folkehelse", "https://fhi.no/1", text, date(2026, 3, day))
    own = date(2026, 3, feed_day) if feed_day is not None else None
    return Content("Nyheter", (), frozenset(), None, own, (entry,))


@pytest.mark.parametrize(
    ("pushed", "stored", "taken"),
    [
        (_feed("Første utgave.", 1), _feed("Rettet utgave.", 2), False),  # entries' dates
        (_feed("Første utgave.", 2, feed_day=1), _feed("Rettet.", 2, feed_day=2), False),
        (_feed("Første utgave.", 3, feed_day=1), _feed("Rettet.", 2), True),  # one date only
        (_feed("Rettet igjen.", 2), _feed("Rettet utgave.", 2), True),  # the same day
        (_feed("Nyere utgave.", 3), _feed("Rettet utgave.", 2), True),
    ],
    ids=["older-entries", "older-feed", "undated-stored", "same-day", "newer"],
)
def test_a_push_older_than_what_is_stored_moves_nothing_back(
    pushed: Content, stored: Content, taken: bool
) -> None:
    state = source_state(rules=FEED, fingerprint=stored.fingerprint, body_hash="stored-bytes")
    history = History(("helse",), None, Previous(41, stored.fingerprint, None, lambda: stored))
    answer = replace(_body(pushed), pushed=True)

    outcome = decided(state, answer, NOW, history)

    assert outcome.kind is (OutcomeKind.CHANGED if taken else OutcomeKind.UNCHANGED)
    assert (outcome.stored is not None) is taken
    assert (outcome.body_hash == "new-bytes") is taken
    if not taken:
        assert outcome.changes == ()
        assert outcome.notice is not None and "older than what is stored" in outcome.notice.message
        # A poll is never judged by date: a publisher may move its own back.
        polled = decided(state, _body(pushed), NOW, history)
        assert polled.kind is OutcomeKind.CHANGED


def test_a_push_to_a_feed_stored_under_older_rules_is_dated_as_they_read_it() -> None:
    # Extraction 10 read «20:30 -0500 (EST)» as UTC's next day, 11 as the publisher's own: a
    # day earlier than what 10 stored, though the publisher moved nothing back.
    stored = _feed("Rettet utgave.", 2)
    state = source_state(
        rules=FEED, fingerprint=stored.fingerprint, body_hash="b", extraction=EXTRACTION - 1
    )
    history = History(("helse",), None, Previous(41, stored.fingerprint, None, lambda: stored))
    today, before = _feed("Nyere utgave.", 1), _feed("Nyere utgave.", 2)
    answer = replace(_body(today), pushed=True, earlier=before)

    outcome = decided(state, answer, NOW, history)

    assert outcome.kind is OutcomeKind.CHANGED
    assert outcome.stored is not None and outcome.stored.snapshot is not None
    assert outcome.stored.snapshot.content == today  # stored as today's rules read it
