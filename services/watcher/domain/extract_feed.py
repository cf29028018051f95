"""Extract the entries of an RSS or Atom feed with feedparser."""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Sequence
from typing import Any

import feedparser

from services.watcher.domain.dates import date_from_struct
from services.watcher.domain.html_text import html_fragment_blocks, html_fragment_text
from services.watcher.domain.model import Content, ContentError, FeedEntry
from services.watcher.domain.normalise import clean_blocks, normalise_text

# feedparser only strips entity declarations that start a line, and keeps «safe» ones
# (a long literal referenced many times still blows up memory). A feed has no reason
# to declare entities, so any declaration is refused before feedparser sees it.
_ENTITY_RE = re.compile(rb"<!\s*ENTITY", re.IGNORECASE)
_WIDE_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")


def _refuse_entities(body: bytes) -> None:
    """Raise ContentError if the body declares XML entities (billion laughs, XXE)."""
    declares = _ENTITY_RE.search(body) is not None
    if not declares and (body.startswith(_WIDE_BOMS) or b"\x00" in body[:4]):
        for encoding in ("utf-16", "utf-32"):
            try:
                text = body.decode(encoding)
            except UnicodeDecodeError:
                continue
            declares = re.search(r"<!\s*ENTITY", text, re.IGNORECASE) is not None
            break
    if declares:
        raise ContentError(
            "feed: refused, the XML declares entities (<!ENTITY>): possible XML bomb"
        )


def _entry_text(entry: Any, ignore: Sequence[re.Pattern[str]]) -> str:
    """Return an entry's content (or summary) as normalised plain text."""
    contents = entry.get("content") or []
    markup = contents[0].get("value", "") if contents else entry.get("summary", "")
    if not markup:
        return ""
    # The markup is untrusted: it only ever becomes text, never HTML again.
    blocks, _ = clean_blocks(html_fragment_blocks(markup), ignore, dedupe=False)
    return " ".join(blocks)


def _entry_key(entry: Any, title: str, link: str) -> str:
    """Return the entry's guid/id, else its link, else a hash of its title."""
    ident = normalise_text(str(entry.get("id") or ""))
    if ident:
        return ident
    if link:
        return link
    return "title:" + hashlib.sha256(title.encode("utf-8")).hexdigest()[:32]


def extract_feed(
    body: bytes, *, content_type: str | None, ignore: Sequence[re.Pattern[str]]
) -> Content:
    """Extract the comparable entries of an RSS or Atom feed."""
    _refuse_entities(body)
    headers = {"content-type": content_type} if content_type else {}
    # A stream, never bytes: feedparser treats a bytes argument as a possible file name.
    parsed = feedparser.parse(io.BytesIO(body), response_headers=headers)
    if not parsed.entries:
        if parsed.get("bozo"):
            reason = parsed.get("bozo_exception")
            raise ContentError(f"feed: malformed feed with no entries ({reason})")
        raise ContentError("feed: no entries")

    entries: list[FeedEntry] = []
    seen: set[str] = set()
    for raw in parsed.entries:
        title = normalise_text(html_fragment_text(str(raw.get("title", ""))))
        if title and any(p.search(title) for p in ignore):
            continue
        link = str(raw.get("link", "")).strip()
        text = _entry_text(raw, ignore)
        if not title and not text:
            continue
        key = _entry_key(raw, title, link)
        if key in seen:
            continue  # the same guid twice in one document: keep the first
        seen.add(key)
        published = date_from_struct(raw.get("published_parsed") or raw.get("updated_parsed"))
        entries.append(FeedEntry(key=key, title=title, link=link, text=text, published=published))
    if not entries:
        raise ContentError("feed: no entries with a title or text")

    feed = parsed.feed
    return Content(
        title=normalise_text(html_fragment_text(str(feed.get("title", "")))),
        blocks=tuple(f"{e.title} – {e.text}" if e.text else e.title for e in entries),
        headings=frozenset(),
        published=date_from_struct(feed.get("published_parsed")),
        updated=date_from_struct(feed.get("updated_parsed")),
        entries=tuple(entries),
    )
