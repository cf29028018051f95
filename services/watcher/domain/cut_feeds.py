"""A feed that ends before its root element does: cut off, or read while it was written.

feedparser reads a feed that is not well-formed XML leniently, entry by entry, and so it reads
a feed cut off mid-way (a transfer broken and sent as it was, a file its CMS was rewriting in
place while it was served) as the entries up to the cut: the last of them without the rest of
its text. Compared with the stored feed, that entry had «changed», its followers were told,
and told again when the feed was whole. What a body with no end reads as is not changed here
(the extraction stays as it was): ``decide`` holds such a reading back for one poll, when it
is new, and takes it if the next poll finds the feed so again, since some publishers never
close their feeds and their news must still come.
"""

from __future__ import annotations

import codecs
import re
from typing import Final

from services.watcher.domain.outcome import Answer, SourceState

# What may come before the root element: a byte order mark, blanks, the XML declaration and
# other processing instructions, comments and a document type.
_PROLOGUE: Final = re.compile(
    rb"(?:\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>)*", re.DOTALL | re.IGNORECASE
)
_ROOT: Final = re.compile(rb"<([A-Za-z_][\w.:-]*)")
_BLANKS: Final = b" \t\r\n\x00"  # after the root's end: blanks, NULs of a padded file


def cut_short(body: bytes) -> str | None:
    """Return why an RSS or Atom body seems cut off (it does not end by closing its root
    element); None for a body that ends, and for one this cannot tell (UTF-16, no root)."""
    start = _PROLOGUE.match(body, len(codecs.BOM_UTF8) if body.startswith(codecs.BOM_UTF8) else 0)
    root = _ROOT.match(body, start.end() if start else 0)
    if root is None:
        return None
    name = root[1]
    if re.search(rb"</\s*" + re.escape(name) + rb"\s*>\Z", _without_epilogue(body[-4096:])):
        return None
    return (
        f"feed: the feed stops before its closing </{name.decode('ascii', 'replace')}>"
        " (cut off on its way, or read while it was being written); it is read as it is"
        " if the next poll finds it so too"
    )


def _without_epilogue(tail: bytes) -> bytes:
    """Return the end of a body without what may follow its root element: blanks, NULs and
    comments («<!-- generated in 0.02 s -->»)."""
    tail = tail.rstrip(_BLANKS)
    while tail.endswith(b"-->") and (opened := tail.rfind(b"<!--")) != -1:
        tail = tail[:opened].rstrip(_BLANKS)
    return tail


def held_back(state: SourceState, answer: Answer) -> Answer:
    """Return the answer, or in its place a failed one if it reads a feed that seems cut off
    otherwise than the stored reading, unless the poll before found it so too."""
    if answer.cut is None or answer.content is None:
        return answer
    judged = answer.earlier or answer.content
    if judged.fingerprint == state.fingerprint or state.last_error == answer.cut:
        return answer  # nothing new in it, or the feed is written so: read as it is
    return Answer.failed(answer.cut)
