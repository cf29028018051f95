"""A change a publisher pushes: what it says, its fingerprint, and the event it becomes.

Pure rules, so the publisher API, the tests and the watcher agree on them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from uuid import UUID

from services.watcher.domain.outbound import TITLE_LIMIT, carried_line, carried_text
from shared.carried_text import shows_text
from shared.events import ContentChanged
from shared.page_urls import NotAWebAddress, names_page, page_key
from shared.vocabulary import ChangeProducer, SourceKind

# A change note as long as a mail shows; a longer one is clipped, not refused.
NOTE_LIMIT = 2000


@dataclass(frozen=True, slots=True)
class Push:
    """What a publisher says about a change, as the API parsed it."""

    topics: tuple[str, ...]
    url: str
    title: str
    note: str
    minor: bool

    def fingerprint(self) -> str:
        """Return the SHA-256 of the push's fields, to tell a retry from a reused key."""
        canonical = json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class WatchedMatch:
    """The watched source a pushed address belongs to."""

    id: int
    url: str
    kind: SourceKind


def source_named(url: str, watched: Iterable[WatchedMatch]) -> WatchedMatch | None:
    """Return the watched source whose page an address names, however it is spelt.

    A source whose own query the address repeats wins over one at the same place without a
    query: ``/side?id=3`` is that page, ``/side?utm=1`` the page at ``/side``.
    """
    query = page_key(url).query
    named = []
    for source in watched:
        try:
            if names_page(url, source.url):
                named.append(source)
        except NotAWebAddress:  # the catalogue refuses such an address; one left is no match
            continue
    return min(named, key=lambda s: page_key(s.url).query != query, default=None)


def change_event(
    push: Push, source: WatchedMatch | None, event_id: UUID, now: datetime
) -> ContentChanged:
    """Return the content.changed event a push becomes, its words cleaned and clipped."""
    note = carried_text(push.note, NOTE_LIMIT).strip()
    # A title that shows nothing (zero-width characters alone) would leave the alert's subject
    # and heading blank: the page's address stands in, as for one cleaned away whole.
    title = carried_line(push.title, TITLE_LIMIT)
    return ContentChanged(
        event_id=event_id,
        occurred_at=now,
        source_id=source.id if source else None,
        source_url=source.url if source else push.url,
        kind=source.kind if source else SourceKind.PAGE,
        topics=push.topics,
        title=title if shows_text(title) else push.url,
        url=push.url,
        summary=note,
        note=note or None,
        minor=push.minor,
        producer=ChangeProducer.PUBLISHER,
    )
