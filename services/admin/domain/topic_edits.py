"""An editor's change to the topics, made on the catalogue as a file writes it (plain rows).

Pure functions: ``catalogue.edit`` hands them the rows in force and checks what they return as
a whole file would be checked, so a change that slips past them is still refused whole.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

Rows = dict[str, list[dict[str, Any]]]


class EditRefused(ValueError):
    """The change cannot be made: ``key`` names the page's text, ``field`` the form field."""

    def __init__(self, key: str, field: str | None = None, detail: str = "") -> None:
        super().__init__(detail or key)
        self.key = key
        self.field = field
        self.detail = detail


def _followed(rows: Rows) -> list[dict[str, Any]]:
    return [t for t in rows["topics"] if not t.get("retired")]


def add_topic(rows: Rows, entry: dict[str, Any]) -> Rows:
    """Add a topic after the last one people can follow (ended topics stay at the end)."""
    if any(t["slug"] == entry["slug"] for t in rows["topics"]):
        raise EditRefused("slug_taken", "slug")
    followed = _followed(rows)
    ended = [t for t in rows["topics"] if t.get("retired")]
    return {**rows, "topics": [*followed, entry, *ended]}


def fingerprint(entry: dict[str, Any]) -> str:
    """Return a digest of a topic's entry, by which a form tells the topic it was opened on."""
    return hashlib.sha256(json.dumps(entry, sort_keys=True).encode("utf-8")).hexdigest()


def replace_topic(rows: Rows, entry: dict[str, Any], seen: str | None = None) -> Rows:
    """Put an edited topic in its place; it must still be one people can follow, and still as
    ``seen`` (its fingerprint when the form was opened), so one editor's save never silently
    undoes another's made meanwhile. None checks nothing (a form from before fingerprints)."""
    current = next((t for t in _followed(rows) if t["slug"] == entry["slug"]), None)
    if current is None:
        raise EditRefused("topic_not_found")
    if seen is not None and fingerprint(current) != seen:
        raise EditRefused("topic_changed_meanwhile")
    return {**rows, "topics": [entry if t["slug"] == entry["slug"] else t for t in rows["topics"]]}


def retire_topic(rows: Rows, slug: str, successor: str | None) -> Rows:
    """End a topic, naming what to follow instead; what pointed at it points elsewhere.

    Other topics stop offering it as related; a topic that ended earlier naming it as its
    successor names this one's successor instead. A source that feeds other topics too stops
    feeding it; a source that feeds only it is refused (removing a watched page is the
    editor's own decision, on the sources page).
    """
    followed = {t["slug"] for t in _followed(rows)}
    if slug not in followed:
        raise EditRefused("topic_not_found")
    if successor is not None and (successor == slug or successor not in followed):
        raise EditRefused("successor_unknown", "successor")
    only_this = [s["url"] for s in rows["sources"] if list(s["topics"]) == [slug]]
    if only_this:
        raise EditRefused("sources_feed_only_this", None, ", ".join(only_this))
    topics = []
    for topic in rows["topics"]:
        topic = dict(topic)
        if topic["slug"] == slug:
            topic["retired"] = True
            topic.pop("related", None)
            topic.pop("successor", None)
            if successor is not None:
                topic["successor"] = successor
        elif topic.get("retired") and topic.get("successor") == slug:
            topic.pop("successor")
            if successor is not None:
                topic["successor"] = successor
        elif slug in topic.get("related", ()):
            topic["related"] = [r for r in topic["related"] if r != slug]
            if not topic["related"]:
                del topic["related"]
        topics.append(topic)
    sources = [
        {**s, "topics": [t for t in s["topics"] if t != slug]} if slug in s["topics"] else s
        for s in rows["sources"]
    ]
    return {"topics": topics, "sources": sources}


def rename_editor(rows: Rows, old: str, new: str) -> Rows:
    """Name the account ``new`` wherever a topic, ended ones too, names ``old`` as an editor."""
    topics = [
        # dict.fromkeys: a topic that named both keeps the name once.
        {**t, "editors": list(dict.fromkeys(new if e == old else e for e in t["editors"]))}
        if old in t.get("editors", ())
        else t
        for t in rows["topics"]
    ]
    return {**rows, "topics": topics}
