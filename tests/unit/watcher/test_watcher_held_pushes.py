"""Pushes held until the page is read (domain/told.py): what each answer does with them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.watcher.domain.model import Content
from services.watcher.domain.outcome import Answer, History, OutcomeKind, Previous, SourceState
from services.watcher.domain.push import Push, WatchedMatch, change_event
from services.watcher.domain.told import RECHECK, WINDOW, deadline, holds
from shared.vocabulary import SourceKind
from tests.support.source_states import URL, decided, source_state

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
OLD = Content("Nyheter", ("Influensa i hele landet denne uka.",), frozenset(), None, None)
NEW = Content(
    "Nyheter", (*OLD.blocks, "Vaksinen er på apotek fra mandag."), frozenset(), None, None
)
PUSHED = change_event(
    Push(("helse",), URL, "Nyheter", "Vaksinen er kommet.", minor=False),
    WatchedMatch(7, URL, SourceKind.PAGE),
    uuid.uuid4(),
    NOW - timedelta(minutes=1),
)
MARK = NOW + WINDOW - timedelta(minutes=1)
HISTORY = History(
    ("helse",), NOW - timedelta(minutes=6), Previous(41, OLD.fingerprint, None, lambda: OLD)
)


def _held(**changes: object) -> SourceState:
    held = {"fingerprint": OLD.fingerprint, "told_until": MARK, "held": (PUSHED,)}
    return source_state(**{**held, **changes})


def _body(content: Content | None) -> Answer:
    return Answer(body_hash="new-bytes", etag='"v2"', last_modified=None, content=content)


def test_new_text_is_the_pushed_edit_the_push_tells_it_and_the_poll_does_not() -> None:
    outcome = decided(_held(), _body(NEW), NOW, HISTORY)

    assert outcome.kind is OutcomeKind.UNCHANGED and outcome.changes == ()
    assert outcome.released == (PUSHED,) and outcome.dropped == ()
    assert outcome.stored is not None and outcome.stored.snapshot is not None
    assert outcome.told == MARK
    assert outcome.next_check_at == NOW + timedelta(seconds=600)


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        (Answer(not_modified=True), OutcomeKind.NOT_MODIFIED),
        (_body(None), OutcomeKind.UNCHANGED),  # the same bytes
        (_body(OLD), OutcomeKind.UNCHANGED),  # other bytes, the same text
    ],
    ids=["304", "same bytes", "same text"],
)
def test_the_text_told_already_shows_the_push_repeated_it(
    answer: Answer, kind: OutcomeKind
) -> None:
    outcome = decided(_held(), answer, NOW, HISTORY if answer.content else None)

    assert outcome.kind is kind and outcome.changes == () and outcome.released == ()
    assert outcome.dropped == (PUSHED,) and outcome.told == MARK
    assert not outcome.quiet  # written with the row read again, not in a batch


def test_a_page_that_fails_keeps_its_pushes_waiting_and_is_asked_again_soon() -> None:
    outcome = decided(_held(), Answer.failed("HTTP 503 from x"), NOW)

    assert outcome.kind is OutcomeKind.FAILED
    assert outcome.released == () and outcome.told is None
    assert outcome.next_check_at == NOW + RECHECK


def test_a_pause_the_server_asked_for_is_kept_while_pushes_wait() -> None:
    outcome = decided(_held(), Answer.failed("HTTP 429 from x", retry_after=900), NOW)

    assert outcome.next_check_at == NOW + timedelta(seconds=900)


@pytest.mark.parametrize("pause", [86_400, 7_200, 3_600], ids=["a day", "two hours", "the hour"])
def test_a_longer_pause_is_kept_only_until_the_pushes_are_due(pause: int) -> None:
    outcome = decided(_held(), Answer.failed("HTTP 503 from x", retry_after=pause), NOW)

    assert outcome.released == () and outcome.next_check_at == MARK


def test_a_pause_after_the_pushes_were_sent_is_kept_whole() -> None:
    failed = Answer.failed("HTTP 429 from x", retry_after=86_400)

    outcome = decided(_held(), failed, MARK)

    assert outcome.released == (PUSHED,) and outcome.next_check_at == MARK + timedelta(days=1)


def test_a_page_unread_for_the_whole_hour_gets_its_pushes_sent() -> None:
    outcome = decided(_held(), Answer.failed("HTTP 503 from x"), MARK)

    assert outcome.released == (PUSHED,) and outcome.told == MARK
    assert outcome.notice is not None and "sent as they came" in outcome.notice.message


def test_a_mark_without_pushes_waiting_leaves_the_same_text_alone() -> None:
    state = source_state(fingerprint=OLD.fingerprint, told_until=MARK)

    outcome = decided(state, _body(None), NOW)

    assert outcome.quiet and outcome.told is None and outcome.next_check_at == NOW + RECHECK


@pytest.mark.parametrize(
    ("last_changed", "held", "waits"),
    [
        (None, False, False),
        (NOW - WINDOW, False, False),
        (NOW - WINDOW + timedelta(seconds=1), False, True),
        (NOW - timedelta(days=2), True, True),
    ],
)
def test_a_push_waits_within_the_hour_after_a_told_change_or_behind_one_waiting(
    last_changed: datetime | None, held: bool, waits: bool
) -> None:
    assert holds(last_changed, held, NOW) is waits


# A second push, 50 minutes after the first, while the page is down: the mark is renewed by it.
LATER = PUSHED.model_copy(
    update={"event_id": uuid.uuid4(), "occurred_at": PUSHED.occurred_at + timedelta(minutes=50)}
)
RENEWED = deadline(LATER)


def _two_held() -> SourceState:
    return _held(told_until=RENEWED, held=(PUSHED, LATER))


def test_a_push_is_due_an_hour_after_it_came_not_after_the_latest_push() -> None:
    assert deadline(PUSHED) == MARK < RENEWED


def test_an_unread_page_sends_each_push_when_its_own_hour_is_out() -> None:
    unread = Answer.failed("HTTP 503 from x")

    before = decided(_two_held(), unread, MARK - timedelta(seconds=1))
    outcome = decided(_two_held(), unread, MARK)

    assert before.released == () and before.next_check_at <= MARK
    assert outcome.released == (PUSHED,)  # the later push waits on, and so does the mark
    assert outcome.told is None and outcome.next_check_at == MARK + RECHECK
    assert outcome.notice is not None and outcome.notice.args == (URL, 1, 1)


def test_the_last_push_sent_uses_up_the_mark() -> None:
    state = _held(told_until=RENEWED, held=(LATER,))  # the first was sent and taken off

    outcome = decided(state, Answer.failed("HTTP 503 from x"), RENEWED)

    assert outcome.released == (LATER,) and outcome.told == RENEWED


def test_a_pause_is_kept_until_the_earliest_push_waiting_is_due_then_the_next() -> None:
    resting = Answer.failed("HTTP 503 from x", retry_after=86_400)

    first = decided(_two_held(), resting, NOW)
    second = decided(_two_held(), resting, MARK)

    assert first.released == () and first.next_check_at == MARK
    assert second.released == (PUSHED,) and second.next_check_at == RENEWED


def test_pushes_sent_before_the_mark_lapses_leave_it_for_the_new_text_it_announced() -> None:
    state = _held(told_until=RENEWED + timedelta(minutes=5), held=(PUSHED, LATER))

    outcome = decided(state, Answer.failed("HTTP 503 from x"), RENEWED)

    assert outcome.released == (PUSHED, LATER) and outcome.told is None


@pytest.mark.parametrize("late", [False, True], ids=["in time", "one push overdue"])
def test_a_page_read_settles_every_push_held_as_before(late: bool) -> None:
    at = MARK if late else NOW

    shown = decided(_two_held(), _body(NEW), at, HISTORY)
    repeated = decided(_two_held(), _body(OLD), at, HISTORY)

    assert shown.released == (PUSHED, LATER) and shown.dropped == () and shown.changes == ()
    assert repeated.dropped == (PUSHED, LATER) and repeated.released == ()
