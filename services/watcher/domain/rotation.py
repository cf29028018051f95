"""New text that is a version a source showed lately (returns.py), or one of those with other
rotating blocks (variants.py), and what the operator reads of it."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime

from services.watcher.domain.outcome import History, Notice
from services.watcher.domain.returns import Return, churning, recalled, rotating
from services.watcher.domain.variants import variant_of
from shared.vocabulary import SourceKind

# Logged at a rotation's return (returns.py): the operator reads what the editor should do.
_ROTATES = (
    " (the page rotates through more versions than five and changes at most polls: its"
    " editor should pick its stable part with a selector or an ignore pattern)"
)


def known_version(
    prints: Iterable[str],
    blocks: Sequence[str],
    kind: str,
    history: History,
    now: datetime,
    interval_seconds: int,
) -> Return | None:
    """Return the version of the week that new text (``prints``, its ``blocks``) is, or is
    but for the blocks that rotate on a page seen rotating (or showing it, variants.py); None:
    the text is news."""
    recent = history.recent()
    back = recalled(prints, recent, now, interval_seconds)
    # A feed's entries have their own memory (news.py); only a rotating or churning page's
    # versions are read whole, and only for text that is none of them: at most thirty rows.
    if back is not None or kind == SourceKind.FEED:
        return back
    # A page edited before any version came back whole bears no mark yet, though it rotates:
    # churning, its new text shows the sign itself (variants.back_after_five).
    marked = rotating(recent, now, interval_seconds)
    if not marked and not churning(recent, now, interval_seconds):
        return None
    taken_at = variant_of(blocks, history.versions(), now, marked=marked)
    if taken_at is None:
        return None
    return Return(taken_at, rotating=True, marked=marked, variant=True)


def returned_notice(url: str, back: Return) -> Notice:
    """Return the log line of a return: a warning when it shows the source rotating for the
    first time (its rotating mark not yet borne), then at INFO, as a fact already told, so
    that a page rotating at every poll does not fill the log with warnings, as a source
    failing for long is reminded of, not warned of at every poll (failed_polls.remind)."""
    if back.variant:
        return Notice(
            logging.INFO,
            "watcher: %s shows the text it showed at %s but for its rotating blocks; stored,"
            " nobody is alerted (an edit of the page around them is told once)",
            (url, back.taken_at.isoformat(timespec="seconds")),
        )
    return Notice(
        logging.WARNING if back.rotating and not back.marked else logging.INFO,
        "watcher: %s is back at the text it showed at %s; stored, nobody is alerted"
        + (_ROTATES if back.rotating else " (the page flips between versions)"),
        (url, back.taken_at.isoformat(timespec="seconds")),
    )
