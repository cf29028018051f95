"""A poll's failure and its end: the health a failed poll leaves its source in, when it is
polled again after a server asked for a pause, what is logged of a long run of failures, and
what a useful answer tells of a source that failed before it.

The failure branch of decide.py: pure as it is, and tested through decide
(tests/unit/watcher/test_watcher_decide.py).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from services.watcher.domain.outcome import Health, Notice, Outcome, OutcomeKind, SourceState
from shared.events import SourceFailing, SourceRecovered

ERROR_COLUMN = 2000  # what is kept of a failure's reason
# A source failing for long is logged again at 1, 2, 4, 8... failures in a row, and once an
# hour when doubling would wait longer: a short interval must not flood the log.
REMIND_SECONDS = 3600
# The longest pause a server's Retry-After gets (see after_the_pause).
PAUSE_LIMIT = timedelta(days=1)


def failed_poll(
    state: SourceState, reason: str, now: datetime, due: datetime, threshold: int
) -> Outcome:
    """Return what a failed poll comes to: one more failure in a row, the source called
    failing at ``threshold`` (told once), and its validators and stored text kept."""
    failures = state.consecutive_failures + 1
    error = reason[:ERROR_COLUMN]
    status = state.status
    alerts: tuple[SourceFailing, ...] = ()
    notice = None
    if failures == threshold:
        status = Health.FAILING
        # Told once: stored with the status it flips.
        alerts = (
            SourceFailing(
                source_id=state.id,
                source_url=state.url,
                title=state.title or state.url,
                failures=failures,
                last_error=error,
            ),
        )
        notice = Notice(
            logging.ERROR,
            "watcher: source %s is failing after %d attempts in a row: %s",
            (state.url, failures, error),
        )
    elif remind(failures, state.interval_seconds):
        notice = Notice(
            logging.WARNING,
            "watcher: poll of %s failed (%d in a row): %s",
            (state.url, failures, error),
        )
    return Outcome(
        kind=OutcomeKind.FAILED,
        source_id=state.id,
        checked_at=now,
        next_check_at=due,
        status=status,
        consecutive_failures=failures,
        last_error=error,
        etag=state.etag,
        last_modified=state.last_modified,
        body_hash=state.body_hash,
        alerts=alerts,
        notice=notice,
    )


def after_the_pause(due: datetime, pause: float | None, now: datetime) -> datetime:
    """Return when to poll after a 429 or 503: not before the pause its server asked for.

    Polled at its interval all the same, a site that asked for an hour's rest (a rate limit,
    a planned outage) was asked again every minute, and may have shut the poller out. The
    pause is kept up to a day: a longer one leaves a source unread longer than any failure
    warrants, and the operator sees the status in the reason.
    """
    if pause is None:
        return due
    # Compared as seconds: a timedelta of a pause past what one holds would raise.
    return max(due, now + timedelta(seconds=min(pause, PAUSE_LIMIT.total_seconds())))


def remind(failures: int, interval_seconds: int) -> bool:
    """Tell whether the n-th failure in a row is logged: at 1, 2, 4, 8..., then hourly."""
    per_hour = max(1, REMIND_SECONDS // max(interval_seconds, 1))
    doubling = failures & (failures - 1) == 0
    return (doubling and failures < per_hour) or failures % per_hour == 0


def healed(state: SourceState) -> tuple[tuple[SourceRecovered, ...], Notice | None]:
    """Return what a useful answer tells of a source that failed before it."""
    if state.failing:
        recovered = SourceRecovered(
            source_id=state.id,
            source_url=state.url,
            title=state.title or state.url,
            failures=max(state.consecutive_failures, 1),
            last_error=state.last_error or "unknown error",
        )
        notice = Notice(
            logging.WARNING,
            "watcher: source %s has recovered after %d failed polls",
            (state.url, recovered.failures),
        )
        return (recovered,), notice
    if state.consecutive_failures:
        return (), Notice(
            logging.INFO,
            "watcher: poll of %s answered again after %d failures",
            (state.url, state.consecutive_failures),
        )
    return (), None
