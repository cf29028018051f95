"""A watched source as a poll finds it, and what a poll of it comes to, for the decision's tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from services.watcher.domain.decide import decide
from services.watcher.domain.failures import Failure, failure_reason
from services.watcher.domain.outcome import (
    Answer,
    Health,
    History,
    Outcome,
    OutcomeKind,
    Rules,
    SourceState,
)

URL = "https://www.fhi.no/nyheter/"
# Failed transfers, where nothing of the body came, as the fetcher words them, and their kind.
FAILED_TRANSFERS: list[tuple[str, Failure]] = [
    ("timed out after 30s fetching https://example.org/p", Failure.TIMED_OUT),
    ("cannot fetch https://example.org/p: Cannot connect to host", Failure.UNREACHABLE),
    ("example.org closed the connection before answering in full", Failure.CLOSED_EARLY),
    ("broken body from https://example.org/p: payload is not completed", Failure.BROKEN_BODY),
    ("cannot resolve example.org: Name or service not known", Failure.CANNOT_RESOLVE),
]
TRANSFER_IDS = ["timeout", "unreachable", "closed-early", "broken-body", "unresolved"]
RULES = Rules("page", None, ())


def source_state(**changes: object) -> SourceState:
    """Return a healthy page source, with ``changes`` made (its ``fingerprint``, say)."""
    state = SourceState(
        id=7,
        url=URL,
        rules=RULES,
        interval_seconds=600,
        status=Health.OK,
        consecutive_failures=0,
        last_error=None,
        title="Nyheter",
        etag='"v1"',
        last_modified="Mon, 02 Mar 2026 07:00:00 GMT",
        body_hash="old-bytes",
        fingerprint=None,
    )
    return replace(state, **changes)  # type: ignore[arg-type]


def decided(
    state: SourceState, answer: Answer, now: datetime, history: History | None = None
) -> Outcome:
    """Return what a poll comes to, read under the source's own rules, three failures allowed."""
    return decide(
        state,
        answer,
        read_under=state.rules,
        history=history,
        now=now,
        jitter=1.0,
        failure_threshold=3,
        gone_after=timedelta(days=3),
    )


def polled(
    state: SourceState,
    answers: list[Answer],
    now: datetime,
    history: History,
    reasons: list[str | None] | None = None,
) -> list[tuple[OutcomeKind, tuple[type, ...]]]:
    """Return what each poll of a source came to, ten minutes apart, and what it alerted,
    each poll finding the source as the one before left its health; each poll's stored
    reason is added to ``reasons``."""
    came = []
    for n, answer in enumerate(answers):
        outcome = decided(state, answer, now + timedelta(minutes=10 * n), history)
        came.append((outcome.kind, tuple(type(alert) for alert in outcome.alerts)))
        if reasons is not None:
            reasons.append(outcome.last_error)
        state = replace(
            state,
            status=outcome.status,
            consecutive_failures=outcome.consecutive_failures,
            last_error=outcome.last_error,
        )
    return came


def worded_as_itself(stored: str | None, reason: str, failure: Failure) -> bool:
    """Tell whether a stored reason starts with a failed transfer's own, and reads back for
    the admin as that transfer's kind, whatever it carries after it."""
    if stored is None or not stored.startswith(reason):
        return False
    told = failure_reason(stored)
    return told is not None and told == failure_reason(reason) and told.failure is failure
