"""A change a publisher pushes: what it says, its fingerprint, and the event it becomes.

Pure rules, so the publisher API, the tests and the watcher agree on them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import datetime
from uuid import UUID

from services.watcher.domain.outbound import TITLE_LIMIT, carried_text
from shared.events import ContentChanged
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


def change_event(
    push: Push, source: WatchedMatch | None, event_id: UUID, now: datetime
) -> ContentChanged:
    """Return the content.changed event a push becomes, its words cleaned and clipped."""
    note = carried_text(push.note, NOTE_LIMIT).strip()
    return ContentChanged(
        event_id=event_id,
        occurred_at=now,
        source_id=source.id if source else None,
        source_url=source.url if source else push.url,
        kind=source.kind if source else SourceKind.PAGE,
        topics=push.topics,
        title=carried_text(push.title, TITLE_LIMIT).strip() or push.url,
        url=push.url,
        summary=note,
        note=note or None,
        minor=push.minor,
        producer=ChangeProducer.PUBLISHER,
    )
