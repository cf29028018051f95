"""A feed that ends before its root element does: cut off, or read while it was written.

feedparser reads a feed that is not well-formed XML leniently, entry by entry, and so it reads
a feed cut off mid-way (a transfer broken and sent as it was, a file its CMS was rewriting in
place while it was served) as the entries up to the cut: the last of them without the rest of
its text. Compared with the stored feed, that entry had «changed», its followers were told,
and told again when the feed was whole. What a body with no end reads as is not changed here
(the extraction stays as it was): ``decide`` holds such a reading back for one poll, when it
is new, and takes it if the next poll finds the feed so again, since some publishers never
close their feeds and their news must still come.

Only readings of the same cut text count, and a failed transfer between them keeps their
count (cut_count.py): a feed broken off at a new place at each poll was taken at the second,
its followers told of an entry that had lost its text, then told again when it was whole; and
a server that timed out between its cut feeds held the feed back for ever, its source failing.
A feed whose stored reading did not close either (its snapshot's meta, ``UNCLOSED``) is one
its publisher never closes: its text may change from one poll to the next, so any cut text
counts there, as before, or a busy feed was held back for ever. A snapshot stored before
this rule has no mark: such a feed waits, at worst, for two readings in a row that agree. A
whole reading of a marked text stores it again unmarked (cut_pages.reclosed): a cut reading
taken as the feed marked it, and every later cut was taken at the second poll again.
"""

from __future__ import annotations

import codecs
import re
from typing import Final

from services.watcher.domain.cut_count import STARTS, found, seen_before
from services.watcher.domain.cut_pages import UNCLOSED
from services.watcher.domain.failures import CONTENT_PREFIX
from services.watcher.domain.outcome import Answer, History, SourceState
from shared.vocabulary import SourceKind

HELD_POLLS: Final = 1  # cut readings held back in a row; the next one is read as it is

# What may come before the root element: a byte order mark, blanks, the XML declaration and
# other processing instructions, comments and a document type.
_PROLOGUE: Final = re.compile(
    rb"(?:\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>)*", re.DOTALL | re.IGNORECASE
)
_ROOT: Final = re.compile(rb"<([A-Za-z_][\w.:-]*)")
_BLANKS: Final = b" \t\r\n\x00"  # after the root's end: blanks, NULs of a padded file


def cut_short(body: bytes) -> str | None:
    """Return the root element an RSS or Atom body stops before closing (it seems cut off);
    None for a body that ends, and for one this cannot tell (UTF-16, no root)."""
    start = _PROLOGUE.match(body, len(codecs.BOM_UTF8) if body.startswith(codecs.BOM_UTF8) else 0)
    root = _ROOT.match(body, start.end() if start else 0)
    if root is None:
        return None
    name = root[1]
    if re.search(rb"</\s*" + re.escape(name) + rb"\s*>\Z", _without_epilogue(body[-4096:])):
        return None
    return name.decode("ascii", "replace")


def cut_feed(root: str, seen: int, text: str) -> str:
    """Return the reason a feed that stops before its closing </``root``> is held back,
    ``seen`` readings in a row of the text whose fingerprint is ``text``."""
    return (
        f"{STARTS[SourceKind.FEED]}{root}> (cut off on its way, or read while it was being"
        f" written; {found(seen, text)}; it is read as it is if the next poll finds it so too"
    )


def _without_epilogue(tail: bytes) -> bytes:
    """Return the end of a body without what may follow its root element: blanks, NULs and
    comments («<!-- generated in 0.02 s -->»)."""
    tail = tail.rstrip(_BLANKS)
    while tail.endswith(b"-->") and (opened := tail.rfind(b"<!--")) != -1:
        tail = tail[:opened].rstrip(_BLANKS)
    return tail


def held_back(state: SourceState, answer: Answer, history: History | None) -> Answer:
    """Return the answer, or in its place a failed one if it reads a feed that seems cut off
    otherwise than the stored reading, unless HELD_POLLS readings before it found it so."""
    if answer.cut is None or answer.content is None:
        return answer
    judged = answer.earlier or answer.content
    if judged.fingerprint == state.fingerprint:
        return answer  # nothing new in it
    previous = history.previous if history is not None else None
    never_closed = previous is not None and (previous.meta or {}).get(UNCLOSED)
    text = None if never_closed else judged.fingerprint
    seen = seen_before(state.last_error, SourceKind.FEED, text)
    if seen >= HELD_POLLS:
        return answer  # the feed as its publisher writes it
    return Answer.failed(f"{CONTENT_PREFIX}{cut_feed(answer.cut, seen + 1, judged.fingerprint)}")
