"""A content.changed.v1 as a poll of a source produces it, for the tests of what reads it."""

from __future__ import annotations

POLLED = {
    "source_id": 3,
    "source_url": "https://www.fhi.no/om/",
    "kind": "page",
    "topics": ("norge-i-verden",),
    "title": "Norge i verden",
    "url": "https://www.fhi.no/om/",
    "summary": "Nytt avsnitt.",
}
