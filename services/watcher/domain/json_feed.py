"""Read a JSON Feed (jsonfeed.org, versions 1 and 1.1) as feedparser reads RSS and Atom.

feedparser (6.0) reads no JSON: a JSON Feed failed at every poll as «malformed feed with no
entries (not well-formed (invalid token))», which told an operator nothing. Its items are
turned here into the dictionaries feedparser gives for entries (``id``, ``title`` as markup,
``link``, ``content`` or ``summary``, dates as UTC ``struct_time``), so that they are keyed,
cleaned and compared exactly as an RSS item is.
"""

from __future__ import annotations

import codecs
import html
import json
import time
from datetime import UTC, datetime
from typing import Any, Final

from services.watcher.domain.model import ContentError

VERSION_PREFIX: Final = "https://jsonfeed.org/version/"
# The version's address as a body may spell it, JSON letting «/» be escaped («\\/»).
_VERSIONS: Final = (b"jsonfeed.org/version/", b"jsonfeed.org\\/version\\/")
# An item's text, in the order a reader prefers it (the spec's content_html over content_text).
_MARKUP_FIELDS: Final = ("content_html",)
_TEXT_FIELDS: Final = ("content_text", "summary")


def read_json_feed(body: bytes) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """Return a JSON Feed's feed and entries as feedparser gives them; None if the body is no
    JSON. Raise ContentError for JSON that is no JSON Feed."""
    start = body[:64].removeprefix(codecs.BOM_UTF8).lstrip(b" \t\r\n")
    if not start.startswith((b"{", b"[")):
        return None
    try:
        document = json.loads(body)
    except ValueError:  # not JSON
        return None
    except RecursionError:  # read as XML, it failed in an XML parser's words (invalid token)
        named = any(version in body for version in _VERSIONS)
        raise ContentError(
            "feed: malformed feed with no entries "
            f"({'the JSON Feed' if named else 'its JSON'} nests deeper than varsel reads)"
        ) from None
    version = document.get("version") if isinstance(document, dict) else None
    if not isinstance(version, str) or not version.startswith(VERSION_PREFIX):
        raise ContentError("feed: the address answers JSON data, not a web feed")
    items = document.get("items")
    entries = (
        [_entry(item) for item in items if isinstance(item, dict)]
        if isinstance(items, list)
        else []
    )
    return {"title": html.escape(_text(document.get("title")))}, entries


def _entry(item: dict[str, Any]) -> dict[str, Any]:
    """Return a JSON Feed item as a feedparser entry."""
    ident = item.get("id")
    entry: dict[str, Any] = {
        # A number is allowed in 1.0 («should be a string»), and is the same item as its text.
        "id": str(ident) if isinstance(ident, str | int) and not isinstance(ident, bool) else "",
        "title": html.escape(_text(item.get("title"))),  # plain text, read as markup after
        "link": _text(item.get("url")) or _text(item.get("external_url")),
        # As written too, as feedparser keeps them: the day is the one the publisher wrote.
        "published": _text(item.get("date_published")),
        "updated": _text(item.get("date_modified")),
        "published_parsed": _utc(item.get("date_published")),
        "updated_parsed": _utc(item.get("date_modified")),
    }
    markup = next((_text(item.get(f)) for f in _MARKUP_FIELDS if _text(item.get(f))), "")
    if not markup:
        plain = next((_text(item.get(f)) for f in _TEXT_FIELDS if _text(item.get(f))), "")
        markup = html.escape(plain)
    entry["content"] = [{"value": markup}] if markup else []
    return entry


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _utc(value: object) -> time.struct_time | None:
    """Return an RFC 3339 date as feedparser's UTC struct_time; None if it is none."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).timetuple()
