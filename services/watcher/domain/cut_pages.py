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

Only readings of the same cut text count, and a failed transfer between them keeps their
count (cut_count.py): a transfer broken off at random breaks off elsewhere each time, and a
server that cuts pages times out between them.

Whether the stored version had its closing tags is kept in its snapshot's meta
(``UNCLOSED``, set only where it had not): a snapshot stored before this rule has none, and
is taken as closed, as nearly every page is; such a page that never closed is held at most
``HELD_POLLS`` polls once, at its first edit that cuts text from its end. A marked version is
stored again, unmarked, when a reading that closes finds its text unchanged (``reclosed``):
a cut reading taken as the page or feed (a proxy that cut it at the same byte twice) left the
mark on its text, a whole reading of that text stored nothing, and every later cut was taken
as a page or feed its publisher never closes.
"""

from __future__ import annotations

import re
from typing import Any, Final

from services.watcher.domain.cut_count import STARTS, found, seen_before
from services.watcher.domain.failures import CONTENT_PREFIX
from services.watcher.domain.outcome import Answer, History, SourceState
from shared.vocabulary import SourceKind

HELD_POLLS: Final = 2  # cut readings held back in a row; the next one is read as it is
UNCLOSED: Final = "unclosed"  # in a snapshot's meta: its HTML or XML had no closing tags
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
        f"{STARTS[SourceKind.PAGE]}, and its text is the stored text cut short (sent without a"
        " length, it ended when the server closed the connection: likely cut off on its way;"
        f" {found(seen, text)}; it is read as it is once {HELD_POLLS + 1} polls in a row"
        " found it so"
    )


def unclosed(body: bytes) -> bool:
    """Tell whether an HTML body stops before its closing </html> and </body>."""
    return _CLOSED.search(body, max(0, len(body) - _TAIL)) is None


def page_meta(meta: dict[str, Any] | None, unclosed_html: bool) -> dict[str, Any] | None:
    """Return a new snapshot's meta, marked when its page's HTML or its feed's XML had no
    closing tags."""
    return {**(meta or {}), UNCLOSED: True} if unclosed_html else meta


def reclosed(meta: dict[str, Any] | None, unclosed_body: bool) -> bool:
    """Tell whether a reading with closing tags finds the stored version marked as one without
    them: it is stored again, so that the mark no longer lets any cut reading through."""
    return not unclosed_body and bool((meta or {}).get(UNCLOSED))


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
    seen = seen_before(state.last_error, SourceKind.PAGE, judged.fingerprint)
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
