"""Pages that disappear: a source that answers only 404 or 410 for long enough is gone.

So is a page that shows only a CMS's error message in place of its text, «Siden finnes ikke
lenger» or «Det oppstod en feil» answered with 200, for as long (error_texts.py).

Gone is a question for an editor, not a change: nobody is alerted until an editor confirms it
(services/watcher/command_api.py), and a page that answers again before then was never gone.
Other failures in between (a timeout, a 503) neither end nor restart the count: the page did
not come back.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.watcher.domain.outcome import Answer, Notice, SourceState


@dataclass(frozen=True, slots=True)
class Missing:
    """Since when a source has answered 404 or 410, and since when it counts as gone."""

    since: datetime | None
    gone_at: datetime | None
    notice: Notice | None = None


def missing(state: SourceState, answer: Answer, now: datetime, gone_after: timedelta) -> Missing:
    """Return what an answer tells of a source's absence."""
    if answer.error is None:
        if state.gone_at is not None:
            return Missing(None, None, _notice("watcher: %s answers again; it is not gone", state))
        return Missing(None, None)
    if not answer.missing:
        return Missing(state.missing_since, state.gone_at)
    since = state.missing_since or now
    if state.gone_at is not None or now - since < gone_after:
        return Missing(since, state.gone_at)
    return Missing(
        since,
        now,
        _notice("watcher: %s has answered only 404, 410 or an error message in place of"
                " its text since %s: gone, to be confirmed",
                state, since.isoformat(timespec="minutes")),
    )  # fmt: skip


def _notice(message: str, state: SourceState, *args: object) -> Notice:
    return Notice(logging.WARNING, message, (state.url, *args))
