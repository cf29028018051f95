"""What the operator reads of a source back at a version it showed lately (returns.py)."""

from __future__ import annotations

import logging

from services.watcher.domain.outcome import Notice
from services.watcher.domain.returns import Return

# Logged at a rotation's return (returns.py): the operator reads what the editor should do.
_ROTATES = (
    " (the page rotates through more versions than five and changes at most polls: its"
    " editor should pick its stable part with a selector or an ignore pattern)"
)


def returned_notice(url: str, back: Return) -> Notice:
    """Return the log line of a return: a warning when it shows the source rotating for the
    first time (its rotating mark not yet borne), then at INFO, as a fact already told, so
    that a page rotating at every poll does not fill the log with warnings, as a source
    failing for long is reminded of, not warned of at every poll (decide._remind)."""
    return Notice(
        logging.WARNING if back.rotating and not back.marked else logging.INFO,
        "watcher: %s is back at the text it showed at %s; stored, nobody is alerted"
        + (_ROTATES if back.rotating else " (the page flips between versions)"),
        (url, back.taken_at.isoformat(timespec="seconds")),
    )
