"""A watched source as a poll finds it, and what a poll of it comes to, for the decision's tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from services.watcher.domain.decide import decide
from services.watcher.domain.outcome import Answer, Health, History, Outcome, Rules, SourceState

URL = "https://www.fhi.no/nyheter/"
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
