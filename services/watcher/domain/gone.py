"""Pages that disappear: a source that answers only 404 or 410 for long enough is gone.

So is a page that shows only its CMS's word that it is not there, «Siden finnes ikke lenger»
answered with 200, for as long (error_texts.py). A page that shows only a generic error
message («Det oppstod en feil») for as long is put to its editor the same way, as what it is:
a page that has shown an error message for days may be broken, not removed, and the editor,
who checks it, is told so (``Absence``), not that it no longer exists.

Gone is a question for an editor, not a change: nobody is alerted until an editor confirms it
(services/watcher/command_api.py), and a page that answers again before then was never gone.
Other failures in between (a timeout, a 503) neither end nor restart the count: the page did
not come back.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from services.watcher.domain.failures import Failure, failure_reason
from services.watcher.domain.outage_notices import says_not_found
from services.watcher.domain.outcome import Answer, Notice, SourceState

_GONE_STATUSES = frozenset({"404", "410"})


class Absence(StrEnum):
    """What a page counted towards gone showed at its last poll that counted."""

    NOT_FOUND = "not_found"  # 404 or 410
    NOT_THERE = "not_there"  # its CMS's word, with 200, that the page is not there
    ERROR_MESSAGE = "error_message"  # a generic error message in place of its text


@dataclass(frozen=True, slots=True)
class Missing:
    """Since when a source has answered 404 or 410, and since when it counts as gone."""

    since: datetime | None
    gone_at: datetime | None
    notice: Notice | None = None


def absence(reason: str | None) -> tuple[Absence, str | None] | None:
    """Return what a failed poll's stored reason tells of a page counted towards gone, with
    the message it showed; None for a reason of another kind (a timeout in between).

    Read back from the reason, as the admin reads every failure (failures.py): the source's
    row keeps no other trace of which answers made the count.
    """
    said = failure_reason(reason) if reason is not None else None
    if said is None:
        return None
    if said.failure is Failure.HTTP_STATUS and said.values["status"] in _GONE_STATUSES:
        return Absence.NOT_FOUND, None
    if said.failure is not Failure.ERROR_TEXT:
        return None
    message = said.values["said"]
    return (Absence.NOT_THERE if says_not_found(message) else Absence.ERROR_MESSAGE), message


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
    shown = absence(answer.error)
    if shown is not None and shown[0] is Absence.ERROR_MESSAGE:
        notice = _notice(
            "watcher: %s has shown an error message in place of its text for %d days (since"
            " %s): %r; put to its editor to check",
            state, (now - since).days, since.isoformat(timespec="minutes"), shown[1],
        )  # fmt: skip
        return Missing(since, now, notice)
    return Missing(
        since,
        now,
        _notice("watcher: %s has answered only 404, 410 or its word that it is not there"
                " since %s: gone, to be confirmed",
                state, since.isoformat(timespec="minutes")),
    )  # fmt: skip


def _notice(message: str, state: SourceState, *args: object) -> Notice:
    return Notice(logging.WARNING, message, (state.url, *args))
