"""What one poll of a source knows, and what it comes to: the values ``decide`` reads and returns.

The write paths store an ``Outcome`` as it is; none of them decides anything of its own.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal

from services.watcher.domain.model import Content
from services.watcher.domain.returns import Recent
from services.watcher.domain.variants import Versions
from services.watcher.domain.websub import HubLink
from shared.events import ContentChanged, SourceFailing, SourceRecovered


class OutcomeKind(StrEnum):
    """What a poll came to; compares equal to the words the poller has always reported."""

    BASELINE = "baseline"  # the first content of a source: remembered, nobody is alerted
    CHANGED = "changed"  # a real change: events for the subscribers
    UNCHANGED = "unchanged"  # new bytes or the same bytes, nothing anyone would call news
    NOT_MODIFIED = "not-modified"  # the server answered 304
    RULES_CHANGED = "rules-changed"  # extraction rules changed mid-poll: polled again under them
    FAILED = "failed"  # no usable answer: counted, never a change
    GONE = "gone"  # the source was removed while it was polled


class Health(StrEnum):
    """A source's status column."""

    NEW = "new"
    OK = "ok"
    FAILING = "failing"


# Not frozen: built for every claimed row, where a frozen dataclass costs four times as much
# to build (object.__setattr__ per field); nothing changes it after it is made.
@dataclass(slots=True)
class Rules:
    """How a source's bodies are read; content is only compared under the rules it was read by."""

    kind: str
    selector: str | None
    ignore: tuple[str, ...]


def rules_text(rules: Rules) -> str:
    """Return rules as the source row keeps the ones its stored text was read under."""
    return json.dumps([rules.kind, rules.selector, list(rules.ignore)], ensure_ascii=False)


def rules_read(text: str) -> Rules:
    """Return the rules ``rules_text`` wrote."""
    kind, selector, ignore = json.loads(text)
    return Rules(kind, selector, tuple(ignore))


# Not frozen: a frozen dataclass costs a microsecond more to build, and one is built for
# every poll; nothing changes it after it is made.
@dataclass(slots=True)
class SourceState:
    """A source row as the poll found it: its rules, health, schedule and validators."""

    id: int
    url: str
    rules: Rules
    interval_seconds: int
    status: Health
    consecutive_failures: int
    last_error: str | None
    title: str | None
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    fingerprint: str | None  # of the content last stored; None before the baseline
    push_until: datetime | None = None  # a WebSub hub pushes this feed till then (websub.pace)
    missing_since: datetime | None = None  # the first 404 or 410 of the answers since (gone.py)
    gone_at: datetime | None = None  # when it had answered only 404 or 410 for long enough
    extraction: int | None = None  # the rules the fingerprint was read under; None: version 1
    last_checked_at: datetime | None = None  # the last poll's time (revalidation.py)
    told_until: datetime | None = None  # a push told its next new text till then (told.py)
    held: tuple[ContentChanged, ...] = ()  # pushes waiting for the page to be read (told.py)
    # The rules the stored text was read under, where an editor has changed them since.
    rules_before: Rules | None = None
    # A reading that changed only in its numbers, waiting to be read the same again
    # (numbers_only.py): its fingerprint.
    pending_print: str | None = None

    @property
    def failing(self) -> bool:
        """Tell whether operators have been told this source is failing."""
        return self.status is Health.FAILING

    def older_extraction(self, current: int) -> int | None:
        """Return the version of the rules its fingerprint was read under, if older.

        New bytes of such a source are also read under that version, and judged by it once
        (docs/decisions/0017); a PDF's rules first changed at model.PRINT_STAMPS.
        """
        if self.fingerprint is None:
            return None
        version = self.extraction or 1
        return version if version < current else None

    def read_before(self, current: int) -> tuple[Rules, int] | None:
        """Return the rules and the version of them its stored text was read under, where
        either is not today's (an editor's change of its rules, an upgrade of extraction).

        New bytes are then also read so, and judged by that reading (docs/decisions/0017).
        """
        version = self.older_extraction(current)
        if self.rules_before is None or self.fingerprint is None:
            return None if version is None else (self.rules, version)
        return self.rules_before, current if version is None else version

    def read_too_long(self, body_hash: str) -> bool:
        """Tell whether a body is byte for byte the one the last poll gave up reading (too
        costly to read again: it would fail as it failed, after as long)."""
        return self.body_hash == unread_mark(body_hash)

    def has_bytes(self, body_hash: str | None) -> bool:
        """Tell whether a body is byte for byte the one last read: no need to parse it."""
        return (
            body_hash is not None and self.fingerprint is not None and body_hash == self.body_hash
        )


# What stands in the body_hash column for bytes read past their budget: a body hash, no hex
# digest (so has_bytes never takes it for bytes read), as long as one (the column's width).
_UNREAD = "!"


def unread_mark(body_hash: str) -> str:
    """Return what marks the body of ``body_hash`` as read past its budget (read_too_long)."""
    return _UNREAD + body_hash[len(_UNREAD) :]


class Previous:
    """The latest snapshot of a source; its content is decoded only when a comparison needs it.

    Most new bodies have the fingerprint already stored (a date or an advert changed), so the
    snapshot's content is not read for them at all.
    """

    __slots__ = ("_content", "_decode", "fingerprint", "id", "meta")

    def __init__(
        self, id: int, fingerprint: str, meta: dict[str, Any] | None, decode: Callable[[], Content]
    ) -> None:
        self.id = id
        self.fingerprint = fingerprint
        self.meta = meta
        self._decode = decode
        self._content: Content | None = None

    @property
    def content(self) -> Content:
        """Return the snapshot's content, decoded on first use."""
        if self._content is None:
            self._content = self._decode()
        return self._content


def _none_recent() -> Recent:
    return ()


def _no_versions() -> Versions:
    return ()


@dataclass(frozen=True, slots=True)
class History:
    """What comparing new content needs besides the row's state: read with it, under its lock."""

    topics: tuple[str, ...]
    last_changed_at: datetime | None
    previous: Previous | None  # None: no snapshot yet
    # The fingerprints of the latest snapshots, read only when new text differs from the
    # latest (returns.py): most new bodies hold the stored text and never ask.
    recent: Callable[[], Recent] = _none_recent
    # The blocks of the same snapshots, read only for a rotating source's new text that is
    # none of them (variants.py): an edit of its stable part, or a new teaser.
    versions: Callable[[], Versions] = _no_versions


# Not frozen: a frozen dataclass costs a microsecond more to build, and one is built for
# every poll; nothing changes it after it is made.
@dataclass(slots=True)
class Answer:
    """What one fetch brought back; new bytes come parsed, a failure as its reason."""

    not_modified: bool = False
    body_hash: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    content: Content | None = None
    error: str | None = None  # operator-readable: the fetch failed or the body was unusable
    hub: HubLink | None = None  # the WebSub hub a feed's new body advertises
    missing: bool = False  # the server said 404 Not Found or 410 Gone
    moved_to: str | None = None  # the address a 200 came from after redirects, if another
    # The body read under the older rules the stored fingerprint was read under, where those
    # read it otherwise: what is judged news (docs/decisions/0017); ``content`` is stored.
    earlier: Content | None = None
    pushed: bool = False  # a WebSub hub's push, not a poll: never taken if older (decide)
    retry_after: float | None = None  # seconds a 429 or 503 asked to wait before the next poll
    # A failure's body read past its budget: its unread_mark, kept in place of the body hash.
    unread: str | None = None
    # The root element a feed's body stops before closing (cut_feeds.py): its new reading
    # waits for the next poll.
    cut: str | None = None
    # A page's HTML stops before its closing </html> and </body>, or a feed's its root's; its
    # body ended by the connection closing (no length, no chunks): a cut may look whole
    # (cut_pages.py).
    unclosed: bool = False
    ended_by_close: bool = False
    body_bytes: int | None = None  # the size of the body ``content`` was read from, if known

    @classmethod
    def failed(
        cls,
        reason: str,
        *,
        missing: bool = False,
        retry_after: float | None = None,
        unread: str | None = None,
    ) -> Answer:
        """Return the answer of a fetch or parse that failed (``missing``: a 404 or 410;
        ``retry_after``: the pause the server asked for; ``unread``: see the field)."""
        return cls(error=reason, missing=missing, retry_after=retry_after, unread=unread)


@dataclass(frozen=True, slots=True)
class NewSnapshot:
    """Content to keep as the source's latest snapshot."""

    fingerprint: str
    title: str
    published: date | None
    updated: date | None
    content: Content
    meta: dict[str, Any] | None  # the bounded memory of feed entries already told


@dataclass(frozen=True, slots=True)
class Stored:
    """What new content leaves on the source row, and the snapshot to add if it is new."""

    fingerprint: str
    title: str | None
    last_changed_at: datetime | None
    snapshot: NewSnapshot | None
    previous_id: int | None  # the snapshot a diff of this one starts from
    returned_at: datetime | None = None  # set when the text is back at a recent version


@dataclass(frozen=True, slots=True)
class Notice:
    """A line for the operator's log (``message`` in %-style, never holding personal data)."""

    level: int
    message: str
    args: tuple[object, ...]


# Not frozen: a frozen dataclass costs a microsecond more to build, and one is built for
# every poll; nothing changes it after it is made.
@dataclass(slots=True)
class Outcome:
    """Everything a poll changes: the row's new columns, the events to record, the log line."""

    kind: OutcomeKind
    source_id: int
    checked_at: datetime
    next_check_at: datetime
    status: Health
    consecutive_failures: int
    last_error: str | None
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    stored: Stored | None = None  # set when new content was compared
    changes: tuple[ContentChanged, ...] = ()  # their diff link is set once the snapshot has an id
    alerts: tuple[SourceFailing | SourceRecovered, ...] = ()  # for operators
    notice: Notice | None = None
    missing_since: datetime | None = None  # see SourceState
    gone_at: datetime | None = None
    moved_to: str | None = None  # stored with new content only
    # The push's mark (SourceState.told_until) this outcome used up (told.py).
    told: datetime | None = None
    released: tuple[ContentChanged, ...] = ()  # held pushes sent now, as they came (told.py)
    dropped: tuple[ContentChanged, ...] = ()  # held pushes that repeated a change told already
    # The reading waiting to be confirmed (SourceState.pending_print): False keeps the row's.
    pending: str | Literal[False] | None = False

    @property
    def quiet(self) -> bool:
        """Tell whether only the schedule and validators change on a healthy row.

        Such outcomes are written in batches (group_writes) without reading the row again.
        """
        return (
            self.stored is None
            and not self.changes
            and self.told is None
            and not self.released
            and not self.dropped
            and not self.alerts
            and self.status is Health.OK
            and self.kind in (OutcomeKind.NOT_MODIFIED, OutcomeKind.UNCHANGED)
        )

    def linked_changes(self, diff_url: str | None) -> list[ContentChanged]:
        """Return the change events pointing at the diff of the snapshot just stored."""
        if diff_url is None:
            return list(self.changes)
        return [event.model_copy(update={"diff_url": diff_url}) for event in self.changes]
