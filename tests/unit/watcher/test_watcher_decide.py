"""The watcher's one decision, as a table: a source's state and an answer in, the outcome out."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from services.watcher.domain.decide import JITTER, decide, draw_jitter
from services.watcher.domain.model import EXTRACTION, Content, FeedEntry
from services.watcher.domain.outcome import (
    Answer,
    Health,
    History,
    Outcome,
    OutcomeKind,
    Previous,
    Rules,
    SourceState,
)
from services.watcher.domain.told import RECHECK
from shared.events import SourceFailing, SourceRecovered
from tests.support.source_states import RULES, URL, source_state

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
THRESHOLD = 3


def _content(*blocks: str, title: str = "Nyheter") -> Content:
    return Content(title, blocks, frozenset(), None, None)


OLD = _content("Folkehelseinstituttet melder om influensa i hele landet denne uka.")
NEW = _content(
    "Folkehelseinstituttet melder om influensa i hele landet denne uka.",
    "Vaksinen er nå tilgjengelig på alle apotek fra mandag.",
)


def _state(**changes: object) -> SourceState:
    return source_state(**{"fingerprint": OLD.fingerprint, **changes})


def _history(previous: Content | None = OLD) -> History:
    snapshot = None
    if previous is not None:
        snapshot = Previous(41, previous.fingerprint, None, lambda: previous)
    return History(("helse",), NOW - timedelta(days=3), snapshot)


def _body(content: Content | None) -> Answer:
    return Answer(body_hash="new-bytes", etag='"v2"', last_modified=None, content=content)


def _decide(
    state: SourceState,
    answer: Answer,
    history: History | None = None,
    *,
    read_under: Rules = RULES,
    jitter: float = 1.0,
) -> Outcome:
    return decide(
        state,
        answer,
        read_under=read_under,
        history=history,
        now=NOW,
        jitter=jitter,
        failure_threshold=THRESHOLD,
        gone_after=timedelta(days=3),
    )


FAILING = {"status": Health.FAILING, "consecutive_failures": 4, "last_error": "HTTP 503"}

# state changes, answer, history, expected kind, status, failures, alerts, changes, snapshot
CASES = [
    ("304", {}, Answer(not_modified=True), None, OutcomeKind.NOT_MODIFIED, Health.OK, 0, (), 0, 0),
    ("same bytes", {}, _body(None), None, OutcomeKind.UNCHANGED, Health.OK, 0, (), 0, 0),
    ("first content", {"fingerprint": None, "body_hash": None}, _body(OLD), _history(None),
     OutcomeKind.BASELINE, Health.OK, 0, (), 0, 1),
    ("new bytes, same text", {}, _body(OLD), _history(), OutcomeKind.UNCHANGED, Health.OK, 0,
     (), 0, 0),
    ("a real change", {}, _body(NEW), _history(), OutcomeKind.CHANGED, Health.OK, 0, (), 1, 1),
    ("a failure", {}, Answer.failed("HTTP 500 from x"), None, OutcomeKind.FAILED, Health.OK, 1,
     (), 0, 0),
    ("the failure that reaches the threshold", {"consecutive_failures": 2},
     Answer.failed("HTTP 500 from x"), None, OutcomeKind.FAILED, Health.FAILING, 3,
     (SourceFailing,), 0, 0),
    ("a failure past the threshold", FAILING, Answer.failed("HTTP 500 from x"), None,
     OutcomeKind.FAILED, Health.FAILING, 5, (), 0, 0),
    ("a failing source answers 304", FAILING, Answer(not_modified=True), None,
     OutcomeKind.NOT_MODIFIED, Health.OK, 0, (SourceRecovered,), 0, 0),
    ("a failing source changed", FAILING, _body(NEW), _history(), OutcomeKind.CHANGED,
     Health.OK, 0, (SourceRecovered,), 1, 1),
    ("a new source fails", {"status": Health.NEW}, Answer.failed("timed out"), None,
     OutcomeKind.FAILED, Health.NEW, 1, (), 0, 0),
]  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "answer", "history", "kind", "status", "failures", "alerts", "events", "snaps"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_each_answer_comes_to_one_outcome(
    changes: dict[str, object],
    answer: Answer,
    history: History | None,
    kind: OutcomeKind,
    status: Health,
    failures: int,
    alerts: tuple[type, ...],
    events: int,
    snaps: int,
) -> None:
    outcome = _decide(_state(**changes), answer, history)

    assert outcome.kind is kind
    assert (outcome.status, outcome.consecutive_failures) == (status, failures)
    assert tuple(type(alert) for alert in outcome.alerts) == alerts
    assert len(outcome.changes) == events
    snapshot = outcome.stored.snapshot if outcome.stored else None
    assert (snapshot is not None) == bool(snaps)
    assert outcome.checked_at == NOW
    assert outcome.next_check_at == NOW + timedelta(minutes=10)
    if status is not Health.FAILING and kind is not OutcomeKind.FAILED:
        assert outcome.last_error is None


def test_the_next_poll_is_spread_by_the_jitter_drawn() -> None:
    early = _decide(_state(), Answer(not_modified=True), jitter=0.9)
    assert early.next_check_at == NOW + timedelta(seconds=540)
    assert all(JITTER[0] <= draw_jitter() <= JITTER[1] for _ in range(100))


@pytest.mark.parametrize(
    ("pause", "next_poll"),
    [
        (None, timedelta(minutes=10)),  # none asked: the interval
        (60.0, timedelta(minutes=10)),  # shorter than the interval: the interval
        (3600.0, timedelta(hours=1)),
        (30 * 86400.0, timedelta(days=1)),  # a month: a day at most
    ],
)
def test_a_failure_whose_server_asks_for_a_pause_is_polled_again_after_it(
    pause: float | None, next_poll: timedelta
) -> None:
    answer = Answer.failed("HTTP 429 from https://x.no/p", retry_after=pause)

    outcome = _decide(_state(), answer)

    assert outcome.kind is OutcomeKind.FAILED
    assert outcome.next_check_at == NOW + next_poll


def test_content_read_under_old_rules_rebaselines_without_an_alert() -> None:
    state = _state(rules=Rules("page", "main", ()), **FAILING)

    outcome = _decide(state, _body(NEW), _history(), read_under=RULES)

    assert outcome.kind is OutcomeKind.RULES_CHANGED
    assert (outcome.changes, outcome.alerts, outcome.stored) == ((), (), None)
    assert outcome.body_hash is None  # the same bytes are read again under the new rules
    assert outcome.next_check_at == NOW  # at once
    # The health is the row's: only a useful answer read under its rules says it recovered.
    assert (outcome.status, outcome.consecutive_failures) == (Health.FAILING, 4)
    assert (outcome.etag, outcome.last_modified) == (state.etag, state.last_modified)


# OLD and NEW as today's rules read them: with the page's headings, which older rules lost.
OLD_READ_NOW = _content("Influensa", *OLD.blocks)
NEW_READ_NOW = _content("Influensa", *NEW.blocks)


def test_an_upgrade_that_reads_the_same_page_otherwise_alerts_nobody() -> None:
    # Stored under older rules; the page's bytes moved but its text did not (by those rules).
    answer = replace(_body(OLD_READ_NOW), earlier=OLD)

    outcome = _decide(_state(extraction=None), answer, _history())

    assert outcome.kind is OutcomeKind.UNCHANGED
    assert outcome.changes == ()
    stored = outcome.stored
    assert stored is not None and stored.snapshot is not None
    # Today's reading is stored, so the next poll compares like with like.
    assert stored.fingerprint == stored.snapshot.fingerprint == OLD_READ_NOW.fingerprint
    assert stored.previous_id == 41 and stored.last_changed_at == NOW - timedelta(days=3)


def test_a_real_change_found_at_an_upgrade_is_told_as_the_older_rules_see_it() -> None:
    answer = replace(_body(NEW_READ_NOW), earlier=NEW)

    outcome = _decide(_state(extraction=1), answer, _history())

    assert outcome.kind is OutcomeKind.CHANGED
    (event,) = outcome.changes
    assert "Vaksinen" in event.summary and "Influensa" not in event.summary
    stored = outcome.stored
    assert stored is not None and stored.snapshot is not None
    assert stored.fingerprint == NEW_READ_NOW.fingerprint and stored.last_changed_at == NOW


def test_a_reading_under_older_rules_is_not_judged_once_the_row_moved_on_from_them() -> None:
    # The poll read its claim as stored under older rules; before it stored, another reading
    # (a poll after a lapsed lease) stored the same text under today's rules.
    answer = replace(_body(OLD_READ_NOW), earlier=OLD)
    state = _state(extraction=EXTRACTION, fingerprint=OLD_READ_NOW.fingerprint)

    outcome = _decide(state, answer, _history(OLD_READ_NOW))

    assert outcome.kind is OutcomeKind.UNCHANGED
    assert outcome.changes == ()


def test_a_source_stored_under_older_rules_is_read_under_them_again() -> None:
    assert _state(extraction=None).older_extraction(2) == 1
    assert _state(extraction=1).older_extraction(2) == 1
    assert _state(extraction=2).older_extraction(2) is None
    assert _state(extraction=None, fingerprint=None).older_extraction(2) is None  # no baseline
    # Feeds have versions of their rules since FEED_STRAY_BYTES, PDFs since PRINT_STAMPS.
    assert _state(rules=Rules("feed", None, ())).older_extraction(2) == 1
    assert _state(rules=Rules("pdf", None, ())).older_extraction(2) == 1


BEFORE = Rules("page", "main", ())  # the rules an editor changed since the text was stored


def test_rules_an_editor_changed_are_those_the_next_text_is_read_under_again() -> None:
    current = _state(extraction=EXTRACTION, rules_before=BEFORE)
    assert current.read_before(EXTRACTION) == (BEFORE, EXTRACTION)
    assert _state(extraction=1, rules_before=BEFORE).read_before(EXTRACTION) == (BEFORE, 1)
    assert _state(extraction=1).read_before(EXTRACTION) == (RULES, 1)  # an upgrade only
    assert _state(extraction=EXTRACTION).read_before(EXTRACTION) is None
    assert _state(fingerprint=None, rules_before=BEFORE).read_before(EXTRACTION) is None


def test_new_text_the_rules_an_editor_changed_cannot_read_is_stored_unjudged() -> None:
    state = _state(extraction=EXTRACTION, rules_before=BEFORE)

    outcome = _decide(state, _body(NEW), _history())  # no reading under them

    assert outcome.kind is OutcomeKind.UNCHANGED
    assert outcome.changes == ()
    stored = outcome.stored
    assert stored is not None and stored.snapshot is not None
    assert stored.fingerprint == NEW.fingerprint and stored.last_changed_at == NOW - timedelta(3)


def test_new_text_the_changed_rules_read_alike_is_judged_as_todays() -> None:
    state = _state(extraction=EXTRACTION, rules_before=BEFORE)
    answer = _body(NEW)

    outcome = _decide(state, replace(answer, earlier=answer.content), _history())

    assert outcome.kind is OutcomeKind.CHANGED
    (event,) = outcome.changes
    assert "Vaksinen" in event.summary


def test_a_change_is_told_with_the_sources_topics_and_remembers_when() -> None:
    outcome = _decide(_state(), _body(NEW), _history())

    (event,) = outcome.changes
    assert (event.source_id, event.topics, event.url) == (7, ("helse",), URL)
    assert "Vaksinen" in event.summary
    assert event.diff_url is None  # linked once the snapshot has its id
    stored = outcome.stored
    assert stored is not None and stored.previous_id == 41 and stored.last_changed_at == NOW
    assert (outcome.etag, outcome.body_hash) == ('"v2"', "new-bytes")
    linked = outcome.linked_changes("https://admin.example/diff")
    assert linked[0].diff_url == "https://admin.example/diff"
    assert linked[0].event_id == event.event_id


def test_same_text_keeps_the_title_and_last_change_and_reads_no_snapshot() -> None:
    def undecodable() -> Content:
        raise AssertionError("the snapshot was decoded")

    history = History(("helse",), NOW - timedelta(days=3), Previous(41, "x", None, undecodable))

    outcome = _decide(_state(title="Gammel tittel"), _body(replace(OLD, title="Ny")), history)

    assert outcome.kind is OutcomeKind.UNCHANGED
    assert outcome.stored is not None
    assert (outcome.stored.title, outcome.stored.last_changed_at) == (
        "Gammel tittel",
        NOW - timedelta(days=3),
    )
    assert outcome.stored.snapshot is None


def test_a_feed_whose_entries_were_all_told_stores_a_snapshot_but_alerts_nobody() -> None:
    told = FeedEntry("k1", "Sak en om folkehelse", "https://fhi.no/1", "Tekst om saken.", None)
    old = Content("Feed", (), frozenset(), None, None, (told,))
    reordered = replace(old, title="Feed, nytt navn")
    state = _state(rules=Rules("feed", None, ()), fingerprint="something else")
    history = History(("helse",), None, Previous(41, "older", None, lambda: old))

    outcome = _decide(state, _body(reordered), history, read_under=Rules("feed", None, ()))

    assert outcome.kind is OutcomeKind.UNCHANGED
    assert outcome.changes == ()
    assert outcome.stored is not None and outcome.stored.snapshot is not None
    assert outcome.stored.last_changed_at is None


def test_a_failures_reason_is_kept_short_and_the_validators_stay() -> None:
    outcome = _decide(_state(), Answer.failed("x" * 5000))

    assert outcome.last_error == "x" * 2000
    assert (outcome.etag, outcome.body_hash) == ('"v1"', "old-bytes")


def test_new_content_without_its_history_is_refused_rather_than_taken_for_a_baseline() -> None:
    with pytest.raises(ValueError, match="history"):
        _decide(_state(), _body(NEW), None)


def test_only_a_healthy_304_or_same_bytes_is_quiet() -> None:
    assert _decide(_state(), Answer(not_modified=True)).quiet
    assert _decide(_state(consecutive_failures=2), _body(None)).quiet
    assert not _decide(_state(**FAILING), Answer(not_modified=True)).quiet
    assert not _decide(_state(), Answer.failed("HTTP 500")).quiet
    assert not _decide(_state(), _body(OLD), _history()).quiet


def _logged_failures(interval: int, polls: int) -> list[int]:
    state, logged = _state(interval_seconds=interval), []
    for _ in range(polls):
        outcome = _decide(state, Answer.failed("HTTP 503"))
        if outcome.notice is not None and outcome.notice.level >= logging.WARNING:
            logged.append(outcome.consecutive_failures)
        state = replace(
            state, status=outcome.status, consecutive_failures=outcome.consecutive_failures
        )
    return logged


def test_repeated_failures_are_logged_ever_more_rarely_then_hourly() -> None:
    # Every 2 s: the change of state, then 1, 2, 4 ... and once an hour (1,800 polls).
    assert _logged_failures(2, 4000) == [1, 2, 3, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 1800, 3600]
    # Hourly polls: every failure is an hour after the last, so each is logged.
    assert _logged_failures(3600, 5) == [1, 2, 3, 4, 5]


def test_the_state_changes_are_told_once_each() -> None:
    reached = _decide(_state(consecutive_failures=2), Answer.failed("HTTP 503"))
    assert reached.notice is not None and reached.notice.level == logging.ERROR
    assert "is failing after 3 attempts" in reached.notice.message % reached.notice.args

    healed = _decide(_state(**FAILING), Answer(not_modified=True))
    assert healed.notice is not None and "recovered" in healed.notice.message
    (alert,) = healed.alerts
    assert isinstance(alert, SourceRecovered)
    assert (alert.failures, alert.last_error) == (4, "HTTP 503")
    assert _decide(_state(), Answer(not_modified=True)).notice is None


def test_new_text_a_publisher_pushed_is_stored_untold_and_uses_up_the_mark() -> None:
    mark = NOW + timedelta(minutes=30)

    outcome = _decide(_state(told_until=mark), _body(NEW), _history())

    assert outcome.kind is OutcomeKind.UNCHANGED
    assert outcome.changes == ()
    assert outcome.stored is not None and outcome.stored.snapshot is not None
    assert outcome.told == mark
    assert outcome.next_check_at == NOW + timedelta(seconds=600)  # back to its interval


def test_the_same_text_after_a_push_keeps_the_mark_and_asks_again_soon() -> None:
    outcome = _decide(_state(told_until=NOW + timedelta(minutes=30)), _body(OLD), _history())

    assert outcome.told is None
    assert outcome.next_check_at == NOW + RECHECK


def test_a_lapsed_mark_holds_back_nothing() -> None:
    outcome = _decide(_state(told_until=NOW), _body(NEW), _history())

    assert outcome.kind is OutcomeKind.CHANGED
    assert len(outcome.changes) == 1
    assert outcome.told is None
