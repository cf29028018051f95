"""The rules of review: what becomes of a change when it arrives and when an editor decides.

A source in review mode has its changes held by the mailer until an editor decides on the
editor's desk (docs/decisions/0014). Pure functions: the statements are in ``adapters/reviews``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final, Protocol, TypeVar

from shared.carried_text import carried_text, typed_invisible
from shared.vocabulary import ReviewMode

# The longest change note an editor may write; a mail is not the place for an article.
MAX_NOTE: Final = 5000


class ChangeStatus(StrEnum):
    """Where a stored change stands: sent out, waiting for an editor, or decided."""

    PUBLISHED = "published"  # went out as detected: its source is in automatic mode
    WAITING = "waiting"  # on the desk; nobody has decided yet
    HELD = "held"  # an editor keeps it back for now; it stays on the desk
    APPROVED = "approved"  # an editor let it go out, with the note they approved
    MINOR = "minor"  # recorded, nobody alerted (an editor's or the publisher's call)
    # Its source was removed from the catalogue while it waited: nobody alerted, and no editor
    # may approve it after (an alert about a page varsel no longer watches).
    WITHDRAWN = "withdrawn"


class Decision(StrEnum):
    """What an editor can do with a change on the desk."""

    APPROVE = "approve"
    MINOR = "minor"
    HOLD = "hold"


# On the desk: an editor may still decide.
OPEN: Final[frozenset[ChangeStatus]] = frozenset({ChangeStatus.WAITING, ChangeStatus.HELD})
# Told to people: alerts and digests carried it, and the topic's feed shows it.
TOLD: Final[frozenset[ChangeStatus]] = frozenset({ChangeStatus.PUBLISHED, ChangeStatus.APPROVED})

_AFTER: Final[dict[Decision, ChangeStatus]] = {
    Decision.APPROVE: ChangeStatus.APPROVED,
    Decision.MINOR: ChangeStatus.MINOR,
    Decision.HOLD: ChangeStatus.HELD,
}


class ReviewRefused(ValueError):
    """A decision cannot be taken; ``reason`` is the word the desk shows."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def status_on_arrival(
    mode: ReviewMode | None, *, minor: bool, source_removed: bool = False
) -> ChangeStatus:
    """Return how a change arrives: minor ones alert nobody, review sources wait on the desk.

    ``source_removed`` is a poll of a source the catalogue no longer holds (removed, or its
    address edited, while the poll was in flight): it is withdrawn, as removing the source
    withdrew the changes waiting then, whatever the mode it had; an alert about a page varsel
    no longer watches, unseen by the editor who removed it, is the mail nobody wanted.

    ``mode`` is None when neither the change's source nor its topics ask for review (a push for
    a page nobody watches): it goes out as before review existed, as the publisher asked.
    """
    if source_removed:
        return ChangeStatus.WITHDRAWN
    if minor:
        return ChangeStatus.MINOR
    if mode is ReviewMode.REVIEW:
        return ChangeStatus.WAITING
    return ChangeStatus.PUBLISHED


def status_after(current: ChangeStatus, decision: Decision) -> ChangeStatus:
    """Return the status a decision leads to; refuse one on a change already decided, or
    withdrawn as its source was removed."""
    if current is ChangeStatus.WITHDRAWN:
        raise ReviewRefused("source_removed")
    if current not in OPEN:
        raise ReviewRefused("already_decided")
    return _AFTER[decision]


def repeats_last(
    current: ChangeStatus,
    version: int,
    decided_by: str | None,
    note: str | None,
    *,
    seen: int,
    decision: Decision,
    wanted_note: str | None,
    actor: str,
) -> bool:
    """Tell whether a decision made on version ``seen`` is the one ``actor`` took last on the
    change (a button pressed twice, a form sent again from the browser's history): then it is
    done already, and nothing is left to do or to refuse."""
    return (
        version == seen + 1
        and decided_by == actor
        and current is _AFTER[decision]
        and note == wanted_note
    )


def clean_note(text: str | None) -> str | None:
    """Return an editor's note with its lines' outer spaces gone; None when nothing is left.

    Blank lines between paragraphs are kept: mails show a note's paragraphs as it was written.
    Control characters are not (shared/carried_text.py). A noncharacter (U+FDD0, U+FFFE) is
    refused (``note_noncharacter``): no page or mail can show one, and the editor, who cannot see
    it either, would find their note sent other than written. So is a direction control
    (``note_bidi_control``), which makes what follows it show in another order than it is stored.
    """
    if text is None:
        return None
    if (found := typed_invisible(text)) is not None:
        raise ReviewRefused(f"note_{found[0]}")
    lines = [line.strip() for line in carried_text(text.replace("\r\n", "\n")).split("\n")]
    cleaned = "\n".join(lines).strip()
    if len(cleaned) > MAX_NOTE:
        raise ReviewRefused("note_too_long")
    return cleaned or None


def shown_text(summary: str, note: str | None) -> str:
    """Return what mails and feeds show of a change: the approved note, else the summary."""
    return note if note else summary


def is_overdue(
    status: ChangeStatus,
    arrived_at: datetime,
    now: datetime,
    *,
    after: timedelta,
    reminded_at: datetime | None,
) -> bool:
    """Tell whether the topic's editors are owed their one reminder about a waiting change.

    A held change is not overdue: an editor has looked at it and chose to wait.
    """
    return status is ChangeStatus.WAITING and reminded_at is None and now - arrived_at >= after


class Addressee(Protocol):
    """A staff account with an address, as the admin's ``read_api`` gives it."""

    @property
    def name(self) -> str:
        """Return the account's user name."""
        ...

    @property
    def role(self) -> str:
        """Return the account's role."""
        ...


StaffT = TypeVar("StaffT", bound=Addressee)


def reminder_recipients(named: Collection[str], staff: Sequence[StaffT]) -> list[StaffT]:
    """Return who is reminded of a waiting change: the editors its topics name that have an
    address; only when none of them has one, every editor with an address (as before topics
    named editors), so a reminder never goes nowhere while someone could act on it."""
    chosen = [person for person in staff if person.name in named]
    return chosen or [person for person in staff if person.role == "editor"]
