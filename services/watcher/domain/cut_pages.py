"""A page cut off on its way where nothing says where its body ends.

A server that sends no Content-Length and no chunks ends a body by closing the connection
(HTTP/1.0's way, still used by old servers and some proxies). A transfer broken off there
looks like a whole, shorter page: parsed leniently, its text is the stored text cut short,
and every follower was told the rest had been removed, then told it again when the page was
whole. Length, chunks and a compressed stream each show such a cut in the fetcher; this one
shows only in what arrived.

So a page is held back for a poll when all of these hold: its body ended by the connection
closing; its HTML stops before its closing </html> and </body>, which the stored version had;
and its text is the stored text cut short. The poll fails («cut off on the way»), nobody is
told, the stored version stays, and the page is read again at the next poll. A page held
back ``HELD_POLLS`` polls in a row is read as it is at the next one that finds it so: a page
that really lost its closing tags with its last paragraphs is not stuck. A page that never
had them is read as it comes: a cut cannot be told there from an edit, and an edit must not be
held.

The cut readings in a row are counted in the failure's own reason («found so by 2 polls in a
row»), not by the source's failures in a row: those count timeouts and 503s too, and a flaky
server that timed out twice, then sent a cut body, had it taken after one hold. Two holds, one
fewer than the default failure threshold (VARSEL_FAILURE_THRESHOLD, 3): a page that really
lost its end does not tell the operators the source is failing, then recovered, on the way.

Only readings of the same cut text count, and the reason names it («its text 3fa2…», the
start of its fingerprint): a page that lost its end reads the same at every poll, while a
transfer broken off at random breaks off elsewhere each time, and three such readings, taken
as the page, told its followers the rest was removed, then told them again when it was whole.
A reading (a whole page, a 304, an edit) or a failure that read something else (a 404, a 503,
an error page) starts the count again: each says something of the page, or that its server
answers. A failed transfer, where nothing of the page came (a timeout, a connection refused or
broken off, a name not resolved), says nothing of it, and is what a server that cuts pages
does between them: it keeps the count, carried after its own reason (``CUT_NOTE``) to the
next reading, so a server alternating cut bodies with timeouts is not held for ever, its
source failing. That counts nothing towards taking a cut text that is not there again: the
next reading must still be the same cut text, or it starts again, and a whole page ends it.

Whether the stored version had its closing tags is kept in its snapshot's meta
(``UNCLOSED``, set only where it had not): a snapshot stored before this rule has none, and
is taken as closed, as nearly every page is; such a page that never closed is held at most
``HELD_POLLS`` polls once, at its first edit that cuts text from its end.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, Final

from services.watcher.domain.failures import CONTENT_PREFIX, CUT_NOTE, Failure, failure_reason
from services.watcher.domain.outcome import Answer, History, SourceState

HELD_POLLS: Final = 2  # cut readings held back in a row; the next one is read as it is
UNCLOSED: Final = "unclosed"  # in a page snapshot's meta: its HTML had no </html> nor </body>
_CUT_PAGE_START: Final = "page: the page stops before its closing </html>"
# The readings in a row that found it so and the start of their text's fingerprint, in the
# reason and in a failed transfer's note (failures.py reads the parenthesis whole): a reason
# stored before they were counted is taken as one; one stored before the text was named
# counts for whatever cut text comes next, as it did.
_SEEN: Final = re.compile(r"found so by (\d+) polls? in a row(?:, its text ([0-9a-f]+))?\)")
_TEXT_ID: Final = 12  # hex digits of the fingerprint named
# Failures where nothing of the page came: they keep the count of cut readings (see the module).
_TRANSFER: Final = frozenset(
    {Failure.TIMED_OUT, Failure.UNREACHABLE, Failure.CLOSED_EARLY, Failure.BROKEN_BODY,
     Failure.CANNOT_RESOLVE}
)  # fmt: skip
# A closing tag of the document near its end; a page's last bytes after them (a comment, a
# script a proxy adds) do not hide them.
_CLOSED: Final = re.compile(rb"</\s*(?:html|body)\s*>", re.IGNORECASE)
_TAIL: Final = 8192
# The last characters of a cut text may differ from the stored: a character whose bytes were
# split (read as a stray byte), an entity cut in two («&nbs»).
_RAGGED: Final = 8


def cut_page(seen: int, text: str) -> str:
    """Return the reason a page seemingly cut off is held back, ``seen`` readings in a row of
    the text whose fingerprint is ``text``."""
    return (
        f"{_CUT_PAGE_START}, and its text is the stored text cut short (sent without a length,"
        " it ended when the server closed the connection: likely cut off on its way;"
        f" {_found(seen, text)}; it is read as it is once {HELD_POLLS + 1} polls in a row"
        " found it so"
    )


def _found(seen: int, text: str) -> str:
    polls = "poll" if seen == 1 else "polls"
    return f"found so by {seen} {polls} in a row, its text {text[:_TEXT_ID]})"


def _held(last_error: str | None) -> tuple[int, str | None] | None:
    """Return how many cut readings a stored reason counts and the start of their text's
    fingerprint (None in a reason stored before it was named); None if it counts none."""
    if last_error is None:
        return None
    if last_error.startswith(f"{CONTENT_PREFIX}{_CUT_PAGE_START}"):
        found = _SEEN.search(last_error)
        return (1, None) if found is None else (int(found.group(1)), found.group(2))
    at = last_error.rfind(CUT_NOTE)  # a failed transfer's, after its own reason
    found = _SEEN.fullmatch(last_error, at + len(CUT_NOTE)) if at >= 0 else None
    return None if found is None else (int(found.group(1)), found.group(2))


def _seen(last_error: str | None, text: str) -> int:
    """Return how many readings before this poll held the page back as cut off with the text
    whose fingerprint is ``text``, with nothing but failed transfers between."""
    held = _held(last_error)
    if held is None:
        return 0
    seen, held_text = held
    if held_text is not None and not text.startswith(held_text):
        return 0  # another cut: broken off elsewhere, as a transfer is, not at the page's end
    return seen


def cut_count_kept(state: SourceState, answer: Answer) -> Answer:
    """Return the answer, its reason carrying the count of the cut readings before it if it
    is a failed transfer that came after them (see the module)."""
    if answer.error is None:
        return answer
    held = _held(state.last_error)
    if held is None or held[1] is None:
        return answer  # no cut readings, or none whose text a next one can be compared with
    said = failure_reason(answer.error)
    if said is None or said.failure not in _TRANSFER:
        return answer
    return replace(answer, error=f"{answer.error}{CUT_NOTE}{_found(held[0], held[1])}")


def unclosed(body: bytes) -> bool:
    """Tell whether an HTML body stops before its closing </html> and </body>."""
    return _CLOSED.search(body, max(0, len(body) - _TAIL)) is None


def page_meta(meta: dict[str, Any] | None, unclosed_html: bool) -> dict[str, Any] | None:
    """Return a new snapshot's meta, marked when its page's HTML had no closing tags."""
    return {**(meta or {}), UNCLOSED: True} if unclosed_html else meta


def held_back_page(state: SourceState, answer: Answer, history: History | None) -> Answer:
    """Return the answer, or in its place a failed one if it reads a page that seems cut off
    on its way (see the module), unless HELD_POLLS readings in a row before it were so."""
    if not (answer.unclosed and answer.ended_by_close) or answer.content is None:
        return answer
    if history is None:
        return answer
    previous = history.previous
    if previous is None or (previous.meta or {}).get(UNCLOSED):
        return answer  # no stored version, or one without closing tags either
    judged = answer.earlier or answer.content
    if judged.fingerprint == state.fingerprint:
        return answer  # the cut fell after the text: nothing lost
    seen = _seen(state.last_error, judged.fingerprint)
    if seen >= HELD_POLLS:
        return answer  # so for that long: the page as its publisher now writes it
    if not cut_short(judged.blocks, previous.content.blocks):
        return answer
    return Answer.failed(f"{CONTENT_PREFIX}{cut_page(seen + 1, judged.fingerprint)}")


def cut_short(blocks: tuple[str, ...], stored: tuple[str, ...]) -> bool:
    """Tell whether a text is a stored text cut short: shorter, and the same up to its last
    few characters."""
    text, whole = "\n".join(blocks), "\n".join(stored)
    if len(text) >= len(whole):
        return False
    kept = text[: len(text) - _RAGGED]
    return bool(kept) and whole.startswith(kept)
