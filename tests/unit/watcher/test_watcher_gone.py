"""When a page that answers 404 or 410 counts as gone (domain/gone.py), as a table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.watcher.domain.gone import Absence, absence, missing
from services.watcher.domain.outcome import Answer, Health, Rules, SourceState

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
WINDOW = timedelta(days=3)
EARLIER = NOW - timedelta(days=1)
LONG_AGO = NOW - timedelta(days=3)


def _state(missing_since: datetime | None = None, gone_at: datetime | None = None) -> SourceState:
    return SourceState(
        id=1, url="https://www.example.no/side", rules=Rules("page", None, ()),
        interval_seconds=3600, status=Health.FAILING, consecutive_failures=5, last_error="x",
        title="Side", etag=None, last_modified=None, body_hash="b", fingerprint="f",
        missing_since=missing_since, gone_at=gone_at,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("since", "gone", "answer", "expected"),
    [
        (None, None, Answer.failed("HTTP 404", missing=True), (NOW, None)),
        (EARLIER, None, Answer.failed("HTTP 410", missing=True), (EARLIER, None)),
        (LONG_AGO, None, Answer.failed("HTTP 404", missing=True), (LONG_AGO, NOW)),
        (LONG_AGO, EARLIER, Answer.failed("HTTP 404", missing=True), (LONG_AGO, EARLIER)),
        # Other failures leave the count as it is: the page did not come back.
        (EARLIER, None, Answer.failed("HTTP 503"), (EARLIER, None)),
        (None, None, Answer.failed("timed out"), (None, None)),
        # Any useful answer: not missing, not gone.
        (LONG_AGO, EARLIER, Answer(not_modified=True), (None, None)),
        (EARLIER, None, Answer(body_hash="b"), (None, None)),
    ],
)
def test_missing_and_gone(
    since: datetime | None,
    gone: datetime | None,
    answer: Answer,
    expected: tuple[datetime | None, datetime | None],
) -> None:
    result = missing(_state(since, gone), answer, NOW, WINDOW)
    assert (result.since, result.gone_at) == expected


def test_becoming_gone_and_coming_back_are_logged_once() -> None:
    became = missing(_state(LONG_AGO), Answer.failed("HTTP 404", missing=True), NOW, WINDOW)
    assert became.notice is not None and "gone" in became.notice.message
    still = missing(_state(LONG_AGO, NOW), Answer.failed("HTTP 404", missing=True), NOW, WINDOW)
    assert still.notice is None
    back = missing(_state(LONG_AGO, NOW), Answer(not_modified=True), NOW, WINDOW)
    assert back.notice is not None and "again" in back.notice.message


ERROR_TEXT = "no usable content: page shows an error message in place of its content: {!r}"


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("HTTP 404 from https://www.example.no/side", (Absence.NOT_FOUND, None)),
        ("HTTP 410 from https://www.example.no/side", (Absence.NOT_FOUND, None)),
        (
            ERROR_TEXT.format("Siden finnes ikke lenger. Ordningen ble avviklet."),
            (Absence.NOT_THERE, "Siden finnes ikke lenger. Ordningen ble avviklet."),
        ),
        (ERROR_TEXT.format("Sida finst ikkje"), (Absence.NOT_THERE, "Sida finst ikkje")),
        (ERROR_TEXT.format("Det oppstod en feil"), (Absence.ERROR_MESSAGE, "Det oppstod en feil")),
        (
            ERROR_TEXT.format("Something went wrong. Try again later."),
            (Absence.ERROR_MESSAGE, "Something went wrong. Try again later."),
        ),
        # A poll since that failed otherwise does not tell.
        ("timed out fetching https://www.example.no/side", None),
        ("HTTP 503 from https://www.example.no/side", None),
        (None, None),
    ],
    ids=["404", "410", "not-there", "nn-not-there", "error", "en-error", "timeout", "503", "none"],
)
def test_what_a_gone_page_showed_is_read_back_from_its_reason(
    reason: str | None, expected: tuple[Absence, str | None] | None
) -> None:
    assert absence(reason) == expected


def test_an_error_message_shown_for_days_is_logged_as_one_not_as_a_page_gone() -> None:
    said = Answer.failed(ERROR_TEXT.format("Det oppstod en feil"), missing=True)

    became = missing(_state(LONG_AGO), said, NOW, WINDOW)

    assert became.gone_at == NOW  # put to its editor all the same
    assert became.notice is not None
    logged = became.notice.message % became.notice.args
    assert "has shown an error message in place of its text for 3 days" in logged
    assert "'Det oppstod en feil'" in logged and "gone" not in logged
