"""Extract the entries of an RSS or Atom feed with feedparser, and of a JSON Feed."""

from __future__ import annotations

import codecs
import hashlib
import io
import re
from collections import Counter
from dataclasses import replace
from typing import Any

import feedparser

from services.watcher.domain.charsets import (
    labelled_charset,
    names_no_encoding,
    utf8_with_stray_windows_1252,
    without_undefined_charset,
)
from services.watcher.domain.feed_dates import dated, entry_date
from services.watcher.domain.feed_pages import page_not_feed
from services.watcher.domain.html_text import (
    NestedTooDeep,
    html_fragment_blocks,
    html_fragment_text,
)
from services.watcher.domain.ignore import IgnorePatterns
from services.watcher.domain.json_feed import read_json_feed
from services.watcher.domain.model import (
    DEEP_FEED_ENTRIES,
    EXTRACTION,
    FEED_STRAY_BYTES,
    SHARED_GUID_SEP,
    Content,
    ContentError,
    FeedEntry,
)
from services.watcher.domain.normalise import clean_blocks, dates_beside_labels, normalise_text
from services.watcher.domain.stamps import FIRST_STAMPS, Stamps, feed_stamps

# feedparser only strips entity declarations that start a line, and keeps «safe» ones
# (a long literal referenced many times still blows up memory). A feed has no reason
# to declare entities, so any declaration is refused before feedparser sees it.
_ENTITY_RE = re.compile(rb"<!\s*ENTITY", re.IGNORECASE)
_ENTITY_TEXT_RE = re.compile(r"<!\s*ENTITY", re.IGNORECASE)
# A character reference to a UTF-16 surrogate (U+D800 to U+DFFF, hex or decimal), or past
# U+10FFFF, the last code point (hex 110000 or more, decimal 1114112 or more).
_SURROGATE_REFERENCE = (
    r"&#(?:[xX]0*(?:[dD][89a-fA-F][0-9a-fA-F]{2}"
    r"|[1-9a-fA-F][0-9a-fA-F]{6,}|1[1-9a-fA-F][0-9a-fA-F]{4}|[2-9a-fA-F][0-9a-fA-F]{5})"
    r"|0*(?:5529[6-9]|55[3-9][0-9]{2}|56[0-9]{3}|57[0-2][0-9]{2}|573[0-3][0-9]|5734[0-3]"
    r"|[1-9][0-9]{7,}|[2-9][0-9]{6}|1[2-9][0-9]{5}|11[2-9][0-9]{4}|111[5-9][0-9]{3}"
    r"|1114[2-9][0-9]{2}|11141[2-9][0-9]|111411[2-9]));"
)
_SURROGATE_REFERENCE_BYTES = re.compile(_SURROGATE_REFERENCE.encode("ascii"))
_SURROGATE_REFERENCE_TEXT = re.compile(_SURROGATE_REFERENCE)


def _wide(body: bytes) -> tuple[str, str] | None:
    """Return a UTF-16 or UTF-32 body's text and encoding; None for ASCII-compatible bodies.

    By its byte order mark (UTF-32's first: UTF-32-LE's starts as UTF-16-LE's does), else by
    where the NULs of its first character are (XML 1.0, appendix F). Read as little-endian
    UTF-16 whatever it was, a UTF-32 or big-endian feed hid its «<!ENTITY» from the check.
    """
    marked = (encoding for mark, encoding in _WIDE_MARKS if body.startswith(mark))
    encoding = next(marked, None) or _WIDE_STARTS.get(bytes(b == 0 for b in body[:4]))
    if encoding is None:
        return None
    try:
        return body.decode(encoding), encoding
    except UnicodeDecodeError:
        return None


_WIDE_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Which of the first four bytes are NUL, for a body without a mark.
_WIDE_STARTS = {
    bytes((1, 1, 1, 0)): "utf-32-be",
    bytes((0, 1, 1, 1)): "utf-32-le",
    bytes((1, 0, 1, 0)): "utf-16-be",
    bytes((0, 1, 0, 1)): "utf-16-le",
}


def _refuse_entities(body: bytes, content_type: str | None) -> None:
    """Raise ContentError if the body declares XML entities (billion laughs, XXE)."""
    declares = _ENTITY_RE.search(body) is not None
    if not declares:
        wide = _wide(body)
        text = wide[0] if wide is not None else _as_utf7(body, content_type)
        declares = text is not None and _ENTITY_TEXT_RE.search(text) is not None
    if declares:
        raise ContentError(
            "feed: refused, the XML declares entities (<!ENTITY>): possible XML bomb"
        )


def _as_utf7(body: bytes, content_type: str | None) -> str | None:
    """Return the body's text if it says it is UTF-7, which feedparser reads: «+ADwAIQ-ENTITY»
    is «<!ENTITY» there, and no search of the bytes finds it."""
    declared = _DECLARED_RE.match(body)
    labels = [declared[1].decode("ascii")] if declared else []
    if (charset := labelled_charset(content_type)) is not None:
        labels.append(charset)
    if not any(label.lower().replace("_", "-") in ("utf-7", "utf7") for label in labels):
        return None
    return body.decode("utf-7", "replace")


def _without_surrogate_references(body: bytes) -> bytes:
    """Refer to U+FFFD where the body refers to a lone surrogate or past U+10FFFF, as HTML
    parsers read both.

    feedparser's lenient parser (used for any feed that is not well-formed XML, which such a
    reference makes a feed) encodes each referenced character as UTF-8: it failed on a
    surrogate, and raised on a number past the last code point, which lost the whole feed.
    """
    wide = _wide(body)
    if wide is None:
        return _SURROGATE_REFERENCE_BYTES.sub(b"&#xFFFD;", body) if b"&#" in body else body
    text, encoding = wide
    if "&#" not in text:
        return body
    replaced = _SURROGATE_REFERENCE_TEXT.sub("&#xFFFD;", text)
    return body if replaced == text else replaced.encode(encoding)  # as it came, if it may


# What is kept of the parser's own words when it fails.
_SAID_CHARS = 200
_DECLARED_RE = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([\w.:-]+)["']""")
_UTF8_NAMES = frozenset({"utf-8", "utf8"})


def _repaired(body: bytes, content_type: str | None) -> bytes:
    """Return a UTF-8 feed's body with its stray windows-1252 bytes made UTF-8.

    One «’» pasted from a word processor into a UTF-8 feed made feedparser read the whole
    document as windows-1252: an entry's text turned to «bÃ¦r», was told as updated, and again
    when the byte went. A feed that declares another encoding, or holds no UTF-8 at all (a
    windows-1252 feed labelled UTF-8, which feedparser reads as such), is left as it is.
    """
    if body.isascii() or _wide(body) is not None:
        return body
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return body  # the usual feed, whole UTF-8: one pass in C tells
    declared = _DECLARED_RE.match(body)
    labels = [declared[1].decode("ascii").lower()] if declared else []
    if (charset := labelled_charset(content_type)) is not None:
        labels.append(charset.lower())
    if any(label not in _UTF8_NAMES for label in labels):
        return body
    if len(body.decode("utf-8", "surrogateescape")) == len(body):
        return body  # no UTF-8 sequence in it
    return utf8_with_stray_windows_1252(body).encode()


def _declared_if_defined(body: bytes) -> bytes:
    """Return the body with an XML declaration's encoding «undefined» (names_no_encoding)
    made UTF-8, what XML reads a document that names none as."""
    declared = _DECLARED_RE.match(body)
    if declared is None or not names_no_encoding(declared[1].decode("ascii")):
        return body
    return body[: declared.start(1)] + b"utf-8" + body[declared.end(1) :]


def _entry_text(entry: Any, ignore: IgnorePatterns | None, stamps: Stamps, *, deep: bool) -> str:
    """Return an entry's content (or summary) as normalised plain text, without its stamps
    (``deep`` as html_text.html_fragment_blocks')."""
    contents = entry.get("content") or []
    markup = contents[0].get("value", "") if contents else entry.get("summary", "")
    if not markup:
        return ""
    # The markup is untrusted: it only ever becomes text, never HTML again.
    raw = html_fragment_blocks(markup, deep=deep)
    if stamps is not FIRST_STAMPS:
        raw = dates_beside_labels(raw, stamps)
    blocks, _ = clean_blocks(raw, ignore, dedupe=False, stamps=stamps)
    return " ".join(blocks)


def _entry_key(entry: Any, title: str, link: str) -> str:
    """Return the entry's guid/id, else its link, else a hash of its title."""
    ident = normalise_text(str(entry.get("id") or ""))
    if ident:
        return ident
    if link:
        return link
    return "title:" + hashlib.sha256(title.encode("utf-8")).hexdigest()[:32]


def _keyed_apart(entries: list[FeedEntry]) -> list[FeedEntry]:
    """Give entries that share a guid keys of their own; drop only exact repeats.

    Keeping the first entry of a guid made the result depend on the order of the document: a
    reordered feed swapped one entry for another under the same key (a false «new title»),
    and the others were never told. The guid with the link tells them apart whatever their
    order, else (the link shared too) the guid with a digest of their title and text.
    """
    guids = Counter(e.key for e in entries)
    if len(guids) == len(entries):
        return entries  # every guid once, as in nearly every feed: the keys stay as they were
    links = Counter((e.key, e.link) for e in entries if guids[e.key] > 1)
    kept: list[FeedEntry] = []
    taken: set[str] = set()
    for entry in entries:
        if guids[entry.key] > 1:
            apart = entry.link if links[entry.key, entry.link] == 1 else _digest(entry)
            entry = replace(entry, key=f"{entry.key}{SHARED_GUID_SEP}{apart}")
        if entry.key not in taken:  # the very same entry twice: once is enough
            taken.add(entry.key)
            kept.append(entry)
    return kept


def _digest(entry: FeedEntry) -> str:
    return hashlib.sha256(f"{entry.title}\x1f{entry.text}".encode()).hexdigest()[:16]


def _parsed(
    body: bytes, content_type: str | None, extraction: int
) -> tuple[dict[str, Any], list[Any]]:
    """Return the feed and entries feedparser reads in an RSS or Atom body; raise ContentError."""
    _refuse_entities(body, content_type)
    content_type, body = without_undefined_charset(content_type), _declared_if_defined(body)
    body = _without_surrogate_references(body)
    if extraction >= FEED_STRAY_BYTES:
        body = _repaired(body, content_type)
    headers = {"content-type": content_type} if content_type else {}
    # A stream, never bytes: feedparser treats a bytes argument as a possible file name.
    try:
        parsed = feedparser.parse(io.BytesIO(body), response_headers=headers)
    except Exception as exc:
        # feedparser reports most of what it cannot read as «bozo», but some input still makes
        # it raise (an XML declaration whose encoding is no text, a NUL where it reads the
        # encoding): raised, it crashed the poll, and the
        # source never showed as failing.
        said = f"{type(exc).__name__}: {exc}"[:_SAID_CHARS]
        raise ContentError(
            f"feed: malformed feed with no entries (feedparser failed: {said})"
        ) from exc
    if not parsed.entries:
        if (page := page_not_feed(body)) is not None:
            raise ContentError(page)
        if parsed.get("bozo"):
            reason = parsed.get("bozo_exception")
            raise ContentError(f"feed: malformed feed with no entries ({reason})")
        raise ContentError("feed: no entries")
    return parsed.feed, parsed.entries


def extract_feed(
    body: bytes,
    *,
    content_type: str | None,
    ignore: IgnorePatterns | None,
    extraction: int = EXTRACTION,
) -> Content:
    """Extract the comparable entries of an RSS, Atom or JSON feed (under the rules of
    ``extraction``)."""
    read_as_json = read_json_feed(body)
    if read_as_json is None:
        feed, raws = _parsed(body, content_type, extraction)
    else:
        feed, raws = read_as_json
        if not raws:
            raise ContentError("feed: no entries")

    stamps, deep = feed_stamps(extraction), extraction >= DEEP_FEED_ENTRIES
    # Dates are not compared (Content.fingerprint): a day read otherwise tells nobody.
    read: list[FeedEntry] = []
    for number, raw in enumerate(raws, start=1):
        try:
            entry = _entry(raw, ignore, stamps, deep=deep, extraction=extraction)
        except NestedTooDeep:
            # Not read in part, as a page is not: the text lost below libxml2's cut read as
            # empty, which was told as a change, and no later edit of the entry ever was.
            raise ContentError(nested_too_deep(f"entry number {number}")) from None
        if entry is not None:
            read.append(entry)
    entries = _keyed_apart(read)
    if not entries:
        raise ContentError("feed: no entries with a title or text")
    try:
        title = normalise_text(html_fragment_text(str(feed.get("title", "")), deep=deep))
    except NestedTooDeep:
        raise ContentError(nested_too_deep("title")) from None

    return Content(
        title=title,
        blocks=tuple(f"{e.title} – {e.text}" if e.text else e.title for e in entries),
        headings=frozenset(),
        published=dated(feed, "published", extraction=extraction),
        updated=dated(feed, "updated", extraction=extraction),
        entries=tuple(entries),
    )


def nested_too_deep(part: str) -> str:
    """Return why a feed is refused whose ``part`` (an entry, its title) nests deeper than is
    read."""
    return (
        f"feed: unparseable HTML in its {part} (its elements nest deeper than varsel reads:"
        " unclosed tags?)"
    )


def _entry(
    raw: Any, ignore: IgnorePatterns | None, stamps: Stamps, *, deep: bool, extraction: int
) -> FeedEntry | None:
    """Return an entry as read; None if it is ignored or holds neither title nor text."""
    title = normalise_text(html_fragment_text(str(raw.get("title", "")), deep=deep))
    if title and ignore is not None and ignore.matches(title):
        return None
    link = str(raw.get("link", "")).strip()
    if link and raw.get("guidislink") and not ("://" in link or link.startswith("/")):
        # No <link>, and a guid not marked isPermaLink="false" that is no address either
        # («sak-1234»): feedparser offers it as the link, which read against the feed's
        # address leads nowhere. Without one, the alert links to the feed.
        link = ""
    text = _entry_text(raw, ignore, stamps, deep=deep)
    if not title and not text:
        return None
    key = _entry_key(raw, title, link)
    published = entry_date(raw, extraction=extraction)
    return FeedEntry(key=key, title=title, link=link, text=text, published=published)
