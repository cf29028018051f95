"""Readings of a page or feed cut off on its way, counted in the reason of the poll that held
them back (cut_pages.py, cut_feeds.py say when each is held).

Only readings of the same cut text count, and the reason names it («its text 3fa2…», the
start of its fingerprint): a page or feed that lost its end reads the same at every poll,
while a transfer broken off at random breaks off elsewhere each time, and such readings,
taken as the page or feed, told its followers the rest was removed or changed, then told them
again when it was whole. A reading (a whole body, a 304, an edit) or a failure that read
something else (a 404, a 503, an error page) starts the count again: each says something of
the source, or that its server answers. A failed transfer, where nothing of the body came (a
timeout, a connection refused or broken off, a name not resolved), says nothing of it, and is
what a server that cuts bodies does between them: it keeps the count, carried after its own
reason (``failures.cut_note``) to the next reading, so a server alternating cut bodies with
timeouts is not held for ever, its source failing. That counts nothing towards taking a cut
text that is not there again: the next reading must still be the same cut text, or it starts
again, and a whole body ends it.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Final

from services.watcher.domain.failures import CONTENT_PREFIX, Failure, cut_note, failure_reason
from services.watcher.domain.outcome import Answer, SourceState
from shared.vocabulary import SourceKind

# How each kind's held-back reason starts, after CONTENT_PREFIX.
STARTS: Final = {
    SourceKind.PAGE: "page: the page stops before its closing </html>",
    SourceKind.FEED: "feed: the feed stops before its closing </",
}
# The readings in a row that found it so and the start of their text's fingerprint, in the
# reason and in a failed transfer's note (failures.py reads the parenthesis whole): a reason
# stored before they were counted is taken as one; one stored before the text was named
# counts for whatever cut text comes next, as it did.
_SEEN: Final = re.compile(r"found so by (\d+) polls? in a row(?:, its text ([0-9a-f]+))?\)")
_TEXT_ID: Final = 12  # hex digits of the fingerprint named
# Failures where nothing of the body came: they keep the count of cut readings.
_TRANSFER: Final = frozenset(
    {Failure.TIMED_OUT, Failure.UNREACHABLE, Failure.CLOSED_EARLY, Failure.BROKEN_BODY,
     Failure.CANNOT_RESOLVE}
)  # fmt: skip


def found(seen: int, text: str) -> str:
    """Return how a reason names ``seen`` cut readings in a row of the text whose fingerprint
    is ``text``; it closes the reason's parenthesis."""
    polls = "poll" if seen == 1 else "polls"
    return f"found so by {seen} {polls} in a row, its text {text[:_TEXT_ID]})"


def _held(last_error: str | None, kind: SourceKind) -> tuple[int, str | None] | None:
    """Return how many cut readings of a ``kind`` a stored reason counts and the start of
    their text's fingerprint (None in a reason stored before it was named); None if none."""
    if last_error is None:
        return None
    if last_error.startswith(f"{CONTENT_PREFIX}{STARTS[kind]}"):
        said = _SEEN.search(last_error)
        return (1, None) if said is None else (int(said.group(1)), said.group(2))
    note = cut_note(kind)
    at = last_error.rfind(note)  # a failed transfer's, after its own reason
    said = _SEEN.fullmatch(last_error, at + len(note)) if at >= 0 else None
    return None if said is None else (int(said.group(1)), said.group(2))


def seen_before(last_error: str | None, kind: SourceKind, text: str | None) -> int:
    """Return how many readings before this poll held a ``kind`` back as cut off with the
    text whose fingerprint is ``text``, with nothing but failed transfers between; ``text``
    None counts them whatever their text."""
    held = _held(last_error, kind)
    if held is None:
        return 0
    seen, held_text = held
    if text is not None and held_text is not None and not text.startswith(held_text):
        return 0  # another cut: broken off elsewhere, as a transfer is, not at its end
    return seen


def cut_count_kept(state: SourceState, answer: Answer) -> Answer:
    """Return the answer, its reason carrying the count of the cut readings before it if it
    is a failed transfer that came after them (see the module)."""
    if answer.error is None:
        return answer
    for kind in STARTS:
        held = _held(state.last_error, kind)
        if held is not None:
            break
    else:
        return answer  # no cut readings
    seen, text = held
    if text is None:
        return answer  # none whose text a next one can be compared with
    said = failure_reason(answer.error)
    if said is None or said.failure not in _TRANSFER:
        return answer
    return replace(answer, error=f"{answer.error}{cut_note(kind)}{found(seen, text)}")
