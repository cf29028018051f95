"""What polls of a feed that stops before its root closes come to: only readings of the same
cut text count, a failed transfer between them keeps their count, and a feed its publisher
never closes is read one poll later whatever it reads."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from services.watcher.domain.cut_feeds import HELD_POLLS
from services.watcher.domain.cut_pages import UNCLOSED
from services.watcher.domain.failures import CONTENT_PREFIX, Failure
from services.watcher.domain.model import Content, FeedEntry
from services.watcher.domain.outcome import Answer, History, OutcomeKind, Previous, Rules
from shared.events import SourceFailing
from tests.support.source_states import (
    FAILED_TRANSFERS,
    TRANSFER_IDS,
    polled,
    source_state,
    worded_as_itself,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TEXTS = ("Vaksine til gravide fra oktober.", "Nye råd om kikhoste.", "Meslinger i Bergen.")


def _feed(last_text: str = TEXTS[2], entries: int = 3) -> Content:
    texts = (*TEXTS[:2], last_text)[:entries]
    return Content(
        "Nyheter",
        (),
        frozenset(),
        None,
        None,
        tuple(
            FeedEntry(f"k{n}", f"Sak {n}", f"https://fhi.no/{n}", text, date(2026, 3, 1))
            for n, text in enumerate(texts)
        ),
    )


WHOLE = _feed()


def _cut(chars: int) -> Answer:
    """Return a reading of the stored feed cut off ``chars`` characters into its last entry."""
    return Answer(
        body_hash=f"cut{chars}", content=_feed(TEXTS[2][:chars]), cut="rss", unclosed=True
    )


CUT = _cut(9)


def _polled(
    answers: list[Answer], reasons: list[str | None] | None = None, *, never_closed: bool = False
) -> list[tuple[OutcomeKind, tuple[type, ...]]]:
    """Return what each poll of a feed stored whole came to, and what it alerted."""
    meta = {UNCLOSED: True} if never_closed else None
    history = History(("helse",), None, Previous(41, WHOLE.fingerprint, meta, lambda: WHOLE))
    state = source_state(rules=Rules("feed", None, ()), fingerprint=WHOLE.fingerprint)
    return polled(state, answers, NOW, history, reasons)


def test_a_feed_that_stays_cut_is_read_at_the_second_poll() -> None:
    came = _polled([CUT] * (HELD_POLLS + 1))

    assert [kind for kind, _ in came] == [OutcomeKind.FAILED] * HELD_POLLS + [OutcomeKind.CHANGED]


@pytest.mark.parametrize(("reason", "failure"), FAILED_TRANSFERS, ids=TRANSFER_IDS)
def test_a_failed_transfer_keeps_the_count_of_cut_feeds(reason: str, failure: Failure) -> None:
    reasons: list[str | None] = []

    # A server that cuts the feed and fails in turn: held for ever before, its source failing.
    kinds = [kind for kind, _ in _polled([CUT, Answer.failed(reason), CUT], reasons)]

    assert kinds == [OutcomeKind.FAILED, OutcomeKind.FAILED, OutcomeKind.CHANGED]
    assert worded_as_itself(reasons[1], reason, failure)


def test_a_feed_broken_off_elsewhere_each_time_is_never_taken_as_the_feed() -> None:
    timeout = Answer.failed("timed out fetching https://fhi.no/rss")

    came = _polled([_cut(3), _cut(12), _cut(15), timeout, _cut(3), timeout, _cut(12)])

    # Taken, the second told the followers of an entry without the rest of its text, and
    # of the whole entry again at the next whole reading.
    assert [kind for kind, _ in came] == [OutcomeKind.FAILED] * 7
    assert SourceFailing in came[2][1]  # the operators hear of it, as of any failing source


def test_another_answer_between_cut_readings_starts_their_count_again() -> None:
    busy = Answer.failed("HTTP 503 from fhi.no")
    whole = Answer(body_hash="whole", content=WHOLE)

    came = _polled([CUT, busy, CUT, whole, CUT])

    assert [kind for kind, _ in came] == [OutcomeKind.FAILED] * 3 + [
        OutcomeKind.UNCHANGED,
        OutcomeKind.FAILED,
    ]


def test_a_feed_its_publisher_never_closes_is_read_one_poll_later_whatever_it_reads() -> None:
    newer = replace(_cut(9), content=_feed("Meslinger i Bergen og Oslo."), body_hash="new")
    newest = replace(_cut(9), content=_feed("Meslinger i tre byer."), body_hash="newest")

    came = _polled([newer, newest], never_closed=True)

    assert [kind for kind, _ in came] == [OutcomeKind.FAILED, OutcomeKind.CHANGED]


def test_a_reason_stored_before_the_text_was_named_still_counts_its_reading() -> None:
    stored = (
        "feed: the feed stops before its closing </rss> (cut off on its way, or read while it"
        " was being written); it is read as it is if the next poll finds it so too"
    )

    came = _polled([Answer.failed(f"{CONTENT_PREFIX}{stored}"), _cut(3)])

    assert [kind for kind, _ in came] == [OutcomeKind.FAILED, OutcomeKind.CHANGED]
