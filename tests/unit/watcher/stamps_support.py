"""A page that holds one stamp beside its content, read as the watcher reads it."""

from __future__ import annotations

from services.watcher.domain.content import compare, parse_content
from services.watcher.domain.model import STAMP_WORDINGS
from tests.support.feeds import rss

STAMPED_PAGE = (
    "<!doctype html><html><head><title>Vaksine</title></head><body><main><h1>Vaksine</h1>"
    "<p>Folkehelseinstituttet anbefaler at alle over 65 år tar vaksine hvert år.</p>"
    "{stamp}</main></body></html>"
)
PAGE_CONTENT = (
    "Vaksine",
    "Folkehelseinstituttet anbefaler at alle over 65 år tar vaksine hvert år.",
)


def stamped_blocks(stamp: str, extraction: int | None = None) -> tuple[str, ...]:
    """Return the blocks of STAMPED_PAGE with this stamp, read now or by an older version."""
    body = STAMPED_PAGE.format(stamp=stamp).encode()
    if extraction is None:
        return parse_content("page", body).blocks
    return parse_content("page", body, extraction=extraction).blocks


def moves_alone(before: str, after: str, older: int = STAMP_WORDINGS - 1) -> None:
    """Assert that the page reads as its content alone, and the stamp's move is no change;
    and that the rules of ``older`` left the stamp standing."""
    old, new = (
        parse_content("page", STAMPED_PAGE.format(stamp=s).encode()) for s in (before, after)
    )
    assert new.blocks == PAGE_CONTENT
    assert old.fingerprint == new.fingerprint
    assert compare(old, new).changed is False
    # Stored under an older version, a page is judged by it once more: there the stamp stood.
    assert stamped_blocks(before, older) != PAGE_CONTENT


def stays_content(text: str, moved: str) -> None:
    """Assert that a paragraph holding a stamp's words is read whole, and its move is a change."""
    assert stamped_blocks(f"<p>{text}</p>")[-1] == text
    old, new = (
        parse_content("page", STAMPED_PAGE.format(stamp=f"<p>{t}</p>").encode())
        for t in (text, moved)
    )
    assert compare(old, new).changed is True


ENTRY_TEXT = "Gravide bør ta vaksinen mot kikhoste."


def entry_stamp_moves_alone(before: str, after: str, older: int) -> None:
    """Assert that a feed entry whose stamp block moves alone is no update, and that the rules
    of ``older`` left the stamp in its text."""
    items = [("Ny veileder om kikhoste", "https://example.no/kikhoste")]
    old, new = (
        parse_content("feed", rss(items, [f"<p>{ENTRY_TEXT}</p>{s}"], guids=["a"]))
        for s in (before, after)
    )
    assert [e.text for e in new.entries] == [ENTRY_TEXT]
    assert compare(old, new).changed is False
    body = rss(items, [f"<p>{ENTRY_TEXT}</p>{before}"], guids=["a"])
    (entry,) = parse_content("feed", body, extraction=older).entries
    assert entry.text != ENTRY_TEXT
