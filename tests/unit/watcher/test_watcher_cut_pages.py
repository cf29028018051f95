"""Whether a page's HTML reaches its closing tags, whether its text is the stored text cut
short, and whether its answer was framed by anything but the connection's end."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from multidict import CIMultiDict, CIMultiDictProxy

from services.watcher.adapters.http_headers import ended_by_close
from services.watcher.domain.cut_pages import HELD_POLLS, cut_page, cut_short, unclosed
from services.watcher.domain.failures import (
    CONTENT_PREFIX,
    Failure,
    FailureReason,
    failure_reason,
)
from services.watcher.domain.model import Content
from services.watcher.domain.outcome import Answer, History, OutcomeKind, Previous
from shared.events import SourceFailing
from tests.support.source_states import (
    FAILED_TRANSFERS,
    TRANSFER_IDS,
    decided,
    polled,
    source_state,
    worded_as_itself,
)

STORED = ("Råd om blåbær", "Ville bær er trygge å spise.", "Nytt om revebjelle", "Ikke spis.")


@pytest.mark.parametrize(
    "body",
    [
        b"<html><body><p>Tekst</p></body></html>",
        b"<html><body><p>Tekst</p></body>",  # no </html>, as many templates
        b"<html><body><p>Tekst</p></BODY >\n</html>\n<!-- 0.02 s -->\n<script>t()</script>\n",
    ],
    ids=["both", "body-only", "after-them"],
)
def test_a_page_that_reaches_its_closing_tags_is_closed(body: bytes) -> None:
    assert not unclosed(body)


@pytest.mark.parametrize(
    "body",
    [b"<html><body><p>Tekst om bl", b"<html><body><p>Tekst</p></bo", b""],
    ids=["mid-text", "mid-tag", "empty"],
)
def test_a_page_that_stops_before_them_is_unclosed(body: bytes) -> None:
    assert unclosed(body)


@pytest.mark.parametrize(
    "blocks",
    [
        STORED[:2],
        (*STORED[:3], "Ikke"),
        (*STORED[:2], "Nytt om reveb\u00c3"),  # a character's first byte read as windows-1252
    ],
    ids=["at-a-block", "mid-block", "ragged-end"],
)
def test_the_stored_text_cut_short_is_told(blocks: tuple[str, ...]) -> None:
    assert cut_short(blocks, STORED)


@pytest.mark.parametrize(
    "blocks",
    [
        STORED,  # the same text
        (*STORED, "Mer tekst."),  # longer
        ("Råd om tyttebær", "Ville bær er trygge å spise."),  # edited before the cut
        ("Ny side",),
    ],
    ids=["same", "longer", "edited", "other"],
)
def test_another_text_is_not_cut_short(blocks: tuple[str, ...]) -> None:
    assert not cut_short(blocks, STORED)


@pytest.mark.parametrize(
    ("headers", "by_close"),
    [
        ({}, True),
        ({"Content-Encoding": "identity"}, True),
        ({"Content-Length": "10"}, False),
        ({"Transfer-Encoding": "chunked"}, False),
        ({"Content-Encoding": "gzip"}, False),  # its stream's end is checked
    ],
    ids=["nothing", "identity", "length", "chunked", "gzip"],
)
def test_an_answer_framed_by_nothing_ends_by_close(headers: dict[str, str], by_close: bool) -> None:
    assert ended_by_close(CIMultiDictProxy(CIMultiDict(headers))) is by_close


@pytest.mark.parametrize("seen", [1, 2])
def test_the_reason_is_read_back_for_the_admin(seen: int) -> None:
    assert failure_reason(f"{CONTENT_PREFIX}{cut_page(seen, 'ab' * 32)}") == FailureReason(
        Failure.PAGE_CUT_SHORT, {"polls": "3"}
    )


NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WHOLE = Content("Bær", STORED, frozenset(), None, None)
CUT = Answer(
    body_hash="cut", content=Content("Bær", STORED[:2], frozenset(), None, None), unclosed=True,
    ended_by_close=True,
)  # fmt: skip
HISTORY = History(("natur",), None, Previous(41, WHOLE.fingerprint, None, lambda: WHOLE))


def _polled(
    answers: list[Answer], reasons: list[str | None] | None = None
) -> list[tuple[OutcomeKind, tuple[type, ...]]]:
    """Return what each poll of a page stored whole came to, and what it alerted."""
    state = source_state(fingerprint=WHOLE.fingerprint)
    return polled(state, answers, NOW, HISTORY, reasons)


def test_a_page_that_lost_its_end_is_read_at_the_third_poll_without_failing() -> None:
    came = _polled([CUT] * (HELD_POLLS + 1))

    assert came == [(OutcomeKind.FAILED, ())] * HELD_POLLS + [(OutcomeKind.CHANGED, ())]


def test_timeouts_before_a_cut_body_do_not_count_as_cut_readings() -> None:
    timeout = Answer.failed("timed out after 30 s")

    came = _polled([timeout, timeout, CUT, CUT, CUT])

    # The failures reach the threshold at the first cut body: the operators are told once.
    assert came[:2] == [(OutcomeKind.FAILED, ())] * 2
    assert came[2] == (OutcomeKind.FAILED, (SourceFailing,))
    assert [kind for kind, _ in came[3:]] == [OutcomeKind.FAILED, OutcomeKind.CHANGED]


def test_another_failure_between_cut_readings_starts_their_count_again() -> None:
    busy = Answer.failed("HTTP 503 from www.example.org")

    came = _polled([CUT, busy, CUT, CUT])

    assert [kind for kind, _ in came] == [OutcomeKind.FAILED] * 4


def _cut(blocks: int) -> Answer:
    """Return a reading of the stored page cut off after its first ``blocks`` blocks."""
    content = Content("Bær", STORED[:blocks], frozenset(), None, None)
    return Answer(body_hash=f"cut{blocks}", content=content, unclosed=True, ended_by_close=True)


@pytest.mark.parametrize(("reason", "failure"), FAILED_TRANSFERS, ids=TRANSFER_IDS)
def test_failed_transfers_between_readings_of_the_same_cut_text_keep_their_count(
    reason: str, failure: Failure
) -> None:
    lost = Answer.failed(reason)
    reasons: list[str | None] = []

    # A server that cuts the page and times out in turn: held for ever before.
    came = _polled([CUT, lost, CUT, lost, CUT], reasons)

    assert [kind for kind, _ in came] == [OutcomeKind.FAILED] * 4 + [OutcomeKind.CHANGED]
    # The operators were told the source failed (the transfers did), and the admin words the
    # failed transfer as what it was.
    assert SourceFailing in came[2][1]
    assert worded_as_itself(reasons[1], reason, failure)


def test_a_transfer_broken_off_elsewhere_each_time_is_never_taken_as_the_page() -> None:
    timeout = Answer.failed("timed out fetching https://example.org/p")

    came = _polled([_cut(1), _cut(2), _cut(3), timeout, _cut(1), _cut(2), timeout, _cut(3)])

    # Taken, the third told the followers the rest was removed, and the whole page again.
    assert OutcomeKind.CHANGED not in [kind for kind, _ in came]


def test_a_whole_reading_between_cut_readings_starts_their_count_again() -> None:
    timeout = Answer.failed("timed out fetching https://example.org/p")
    whole = Answer(body_hash="whole", content=WHOLE)

    came = _polled([CUT, timeout, CUT, whole, CUT, timeout, CUT])

    kinds = [kind for kind, _ in came]
    assert kinds == [OutcomeKind.FAILED] * 3 + [OutcomeKind.UNCHANGED] + [OutcomeKind.FAILED] * 3


def test_a_reason_stored_before_the_text_was_named_still_counts_its_readings() -> None:
    stored = (
        "page: the page stops before its closing </html>, and its text is the stored text cut"
        " short (sent without a length, it ended when the server closed the connection: likely"
        " cut off on its way; found so by 2 polls in a row); it is read as it is once 3 polls"
        " in a row found it so"
    )
    state = replace(source_state(fingerprint=WHOLE.fingerprint), last_error=CONTENT_PREFIX + stored)
    timeout = Answer.failed("timed out fetching https://example.org/p")

    assert decided(state, CUT, NOW, HISTORY).kind is OutcomeKind.CHANGED
    # Nothing to compare the next reading with: a failed transfer then keeps no count.
    assert decided(state, timeout, NOW, HISTORY).last_error == timeout.error
