"""The rules of review: how a change arrives, what each decision leads to, notes, reminders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.mailer.domain.review import (
    MAX_NOTE,
    OPEN,
    TOLD,
    ChangeStatus,
    Decision,
    ReviewRefused,
    clean_note,
    is_overdue,
    repeats_last,
    shown_text,
    status_after,
    status_on_arrival,
)
from shared.vocabulary import ReviewMode

T0 = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("mode", "minor", "expected"),
    [
        (ReviewMode.AUTOMATIC, False, ChangeStatus.PUBLISHED),
        (ReviewMode.REVIEW, False, ChangeStatus.WAITING),
        (ReviewMode.AUTOMATIC, True, ChangeStatus.MINOR),
        (ReviewMode.REVIEW, True, ChangeStatus.MINOR),
        (None, False, ChangeStatus.PUBLISHED),  # a push for a page nobody watches: as pushed
    ],
)
def test_a_change_arrives_published_waiting_or_minor(
    mode: ReviewMode | None, minor: bool, expected: ChangeStatus
) -> None:
    assert status_on_arrival(mode, minor=minor) is expected


@pytest.mark.parametrize("minor", [False, True])
def test_a_poll_of_a_source_removed_meanwhile_arrives_withdrawn(minor: bool) -> None:
    # The removed source's mode is not known any more: review or not, nobody is alerted.
    assert status_on_arrival(None, minor=minor, source_removed=True) is ChangeStatus.WITHDRAWN


@pytest.mark.parametrize("current", sorted(OPEN))
@pytest.mark.parametrize(
    ("decision", "expected"),
    [
        (Decision.APPROVE, ChangeStatus.APPROVED),
        (Decision.MINOR, ChangeStatus.MINOR),
        (Decision.HOLD, ChangeStatus.HELD),
    ],
)
def test_an_open_change_takes_any_decision(
    current: ChangeStatus, decision: Decision, expected: ChangeStatus
) -> None:
    assert status_after(current, decision) is expected


@pytest.mark.parametrize(
    "current", [ChangeStatus.PUBLISHED, ChangeStatus.APPROVED, ChangeStatus.MINOR]
)
@pytest.mark.parametrize("decision", list(Decision))
def test_a_decided_change_refuses_another_decision(
    current: ChangeStatus, decision: Decision
) -> None:
    with pytest.raises(ReviewRefused) as refused:
        status_after(current, decision)
    assert refused.value.reason == "already_decided"


@pytest.mark.parametrize("decision", list(Decision))
def test_a_change_withdrawn_with_its_source_refuses_every_decision_saying_why(
    decision: Decision,
) -> None:
    with pytest.raises(ReviewRefused) as refused:
        status_after(ChangeStatus.WITHDRAWN, decision)
    assert refused.value.reason == "source_removed"
    assert ChangeStatus.WITHDRAWN not in OPEN | TOLD


def test_only_the_editors_own_last_decision_sent_again_is_a_repeat() -> None:
    last = {"current": ChangeStatus.APPROVED, "version": 1, "decided_by": "ed", "note": "Ny."}
    same = {"seen": 0, "decision": Decision.APPROVE, "wanted_note": "Ny.", "actor": "ed"}
    assert repeats_last(**last, **same)  # type: ignore[arg-type]
    for other in (
        {"actor": "kari"},
        {"decision": Decision.HOLD},
        {"wanted_note": "Annen."},
        {"seen": 1},
    ):
        assert not repeats_last(**last, **{**same, **other})  # type: ignore[arg-type]
    decided_since = {**last, "version": 2}
    assert not repeats_last(**decided_since, **same)  # type: ignore[arg-type]


def test_a_note_loses_outer_spaces_keeps_paragraphs_and_has_a_limit() -> None:
    assert clean_note("  Første.  \r\n\r\n  Andre.  ") == "Første.\n\nAndre."
    assert clean_note(" \n \t ") is None
    # Control characters go; the lines stay as written.
    assert clean_note("Snudd tekst\x07.\n\nAndre\x1b avsnitt.") == "Snudd tekst.\n\nAndre avsnitt."
    assert clean_note(None) is None
    assert clean_note("x" * MAX_NOTE) == "x" * MAX_NOTE
    with pytest.raises(ReviewRefused) as refused:
        clean_note("x" * (MAX_NOTE + 1))
    assert refused.value.reason == "note_too_long"


@pytest.mark.parametrize("character", ["\ufdd0", "\ufffe", "\U0010ffff"])
def test_a_note_typed_with_a_noncharacter_is_refused_not_cleaned(character: str) -> None:
    # No page or mail can show it and the editor cannot see it: left out, the note would be
    # sent other than written, so the desk says so and keeps the decision untaken.
    with pytest.raises(ReviewRefused) as refused:
        clean_note(f"Fristen er{character} flyttet.\n\nAndre avsnitt.")
    assert refused.value.reason == "note_noncharacter"


@pytest.mark.parametrize("character", ["\u202a", "\u202e", "\u2066", "\u2069"])
def test_a_note_typed_with_a_direction_control_is_refused_not_cleaned(character: str) -> None:
    # It shows the note in another order than it is stored: left out unseen, the note would be
    # sent other than the editor read it (ADR 0023). The marks U+200E and U+200F are taken.
    with pytest.raises(ReviewRefused) as refused:
        clean_note(f"Fristen er{character} flyttet.")
    assert refused.value.reason == "note_bidi_control"
    assert clean_note("Fristen \u200fer flyttet.") == "Fristen \u200fer flyttet."


def test_mails_show_the_note_when_there_is_one() -> None:
    assert shown_text("Generert.", "Godkjent.") == "Godkjent."
    assert shown_text("Generert.", None) == "Generert."
    assert shown_text("Generert.", "") == "Generert."


def test_only_a_waiting_unreminded_change_past_the_time_is_overdue() -> None:
    after = timedelta(hours=4)
    late = T0 + after
    assert is_overdue(ChangeStatus.WAITING, T0, late, after=after, reminded_at=None)
    assert not is_overdue(
        ChangeStatus.WAITING, T0, late - timedelta(seconds=1), after=after, reminded_at=None
    )
    assert not is_overdue(ChangeStatus.WAITING, T0, late, after=after, reminded_at=late)
    assert not is_overdue(ChangeStatus.HELD, T0, late, after=after, reminded_at=None)
    assert not is_overdue(ChangeStatus.APPROVED, T0, late, after=after, reminded_at=None)
