"""Turn a real change into ContentChanged events; remember feed entries already told."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Sequence
from datetime import date, timedelta
from typing import Any, Protocol

from services.watcher.domain.model import SHARED_GUID_SEP, ChangeSummary, Content, FeedEntry
from services.watcher.domain.outbound import (
    TITLE_LIMIT,
    absolute_link,
    carried_line,
    carried_text,
)
from services.watcher.domain.recurring import DATED, dated_marks, published_again
from shared.carried_text import clip
from shared.events import ContentChanged
from shared.vocabulary import SourceKind

# How many feed entry keys a snapshot remembers; far more than any feed shows at once,
# so an entry that fell off the end and comes back is still known.
SEEN_LIMIT = 1000
# More new entries than this in one poll is no feed's pace but an archive come to light (a feed
# rebuilt or lengthened, a site moved): they are told as one change that names the first of
# them, not as a mail to every follower for each.
FEED_BURST = 10
# Set in the meta of feed snapshots whose entries sharing a guid were keyed apart
# (extract_feed); one stored before knew only the first entry of such a guid.
_APART = "apart"


class NewsSource(Protocol):
    """What a change event says of the source it comes from."""

    @property
    def id(self) -> int:
        """The source's id."""

    @property
    def url(self) -> str:
        """The address polled."""

    @property
    def kind(self) -> str:
        """What is read there (a SourceKind)."""

    @property
    def topics(self) -> Sequence[str]:
        """The topics whose subscribers hear of a change."""


def _mark(entry: FeedEntry) -> str:
    """Return a short digest of what is compared in an entry."""
    payload = f"{entry.title}\x1f{entry.text}".encode()
    return hashlib.sha256(payload).hexdigest()[:16]


def seen_entries(meta: dict[str, Any] | None, content: Content) -> dict[str, str]:
    """Return the remembered entry keys (key -> mark) of a snapshot, oldest first."""
    seen: dict[str, str] = {}
    stored = (meta or {}).get("seen")
    if isinstance(stored, dict):
        seen.update({str(k): str(v) for k, v in stored.items()})
    for entry in content.entries:
        seen.pop(entry.key, None)
        seen[entry.key] = _mark(entry)
    return seen


def dated_entries(meta: dict[str, Any] | None, content: Content, today: date) -> dict[str, str]:
    """Return each text's latest dated appearance (recurring.py) known to a snapshot."""
    return dated_marks(meta, ((_mark(entry), entry) for entry in content.entries), today)


def snapshot_meta(
    previous: dict[str, str], content: Content, dated: dict[str, str], today: date
) -> dict[str, Any] | None:
    """Return the meta JSON of a new feed snapshot: the bounded memory of seen entries, and of
    the dates their texts last appeared on by ``today`` (``dated``, the previous snapshot's)."""
    if not content.entries:
        return None
    seen = dict(previous)
    for entry in content.entries:
        seen.pop(entry.key, None)
        seen[entry.key] = _mark(entry)
    # Dicts keep insertion order: the entries seen longest ago are forgotten first.
    kept = list(seen.items())[-SEEN_LIMIT:]
    meta: dict[str, Any] = {"seen": dict(kept), _APART: True}
    latest = dated_entries({DATED: dated}, content, today)
    if latest:
        meta[DATED] = latest
    return meta


def keyed_apart(meta: dict[str, Any] | None) -> bool:
    """Tell whether a feed snapshot keyed apart the entries that share a guid."""
    return bool((meta or {}).get(_APART))


def diff_url(admin_url: str, source_id: int, old_snapshot_id: int, new_snapshot_id: int) -> str:
    """Return the admin page that shows what changed between two snapshots."""
    return f"{admin_url}/sources/{source_id}/diff?from={old_snapshot_id}&to={new_snapshot_id}"


_DIFF_URL = re.compile(r"/sources/(\d{1,18})/diff\?from=(\d{1,18})&to=(\d{1,18})$")


def snapshots_of_diff_url(url: str) -> tuple[int, int, int] | None:
    """Return (source id, older snapshot id, newer snapshot id) of a ``diff_url``, or None."""
    match = _DIFF_URL.search(url)
    return (int(match[1]), int(match[2]), int(match[3])) if match else None


def change_events(
    source: NewsSource,
    new: Content,
    change: ChangeSummary,
    seen: dict[str, str],
    diff: str | None = None,
    *,
    apart_before: bool = True,
    read_from: str | None = None,
    only: Collection[str] | None = None,
    dated: dict[str, str] | None = None,
    today: date | None = None,
    older: Content | None = None,
) -> list[ContentChanged]:
    """Return the events for a change; a feed gets one per entry nobody was told about.

    ``read_from`` is the address the feed was read from, where redirects led (the source's own
    by default): its relative links lead from there, as a feed reader follows them. ``only``
    names the entries that may be told (by key): a feed judged under older rules (decide) tells
    only those they see as new or changed, in today's reading, its text and not their notes.
    ``apart_before`` is False when the snapshot compared with was stored before entries
    sharing a guid were keyed apart: those entries, now read apart under a guid it knew, are
    no news (they are as old as that snapshot), so the upgrade alone alerts nobody. A new
    entry with the text of one told before is a re-issue and no news, unless ``dated`` (the
    snapshot's, ``dated_entries``) shows its text published again (recurring.py) by ``today``:
    judged under older rules, as ``older`` (their reading) dates it, as the snapshot was dated.
    """
    if not change.changed:
        return []
    topics = tuple(source.topics)
    if source.kind != SourceKind.FEED:
        summary = carried_text(change.summary)
        return [_of_the_source(source, new, new.published, new.updated, summary, diff)]
    told = set(seen.values())
    as_dated = {e.key: e for e in older.entries} if older is not None else {}
    events = []
    for entry in new.entries:
        if only is not None and entry.key not in only:
            continue
        mark = _mark(entry)
        # Unchanged, back after falling off the end, or re-issued under a new key (or under
        # the key of another entry, where a feed numbers its entries by their place); but a
        # text its publisher dated anew, under a new key and link, is published again.
        reissued = seen.get(entry.key) != mark and mark in told
        if reissued and dated is not None and today is not None:
            reissued = not published_again(as_dated.get(entry.key, entry), mark, dated, today)
        if seen.get(entry.key) == mark or reissued:
            continue
        guid, apart, _ = entry.key.partition(SHARED_GUID_SEP)
        if apart and not apart_before and guid in seen:
            continue  # read apart for the first time, under a guid told before
        events.append(
            ContentChanged(
                source_id=source.id,
                source_url=source.url,
                kind=SourceKind.FEED,
                topics=topics,
                title=carried_line(entry.title or new.title, TITLE_LIMIT) or source.url,
                # Not a web address, even resolved against the feed's: the feed is the link.
                url=absolute_link(read_from or source.url, entry.link) or source.url,
                published=entry.published,
                updated=None,
                # What changed in an updated entry; the text of a new one. Judged under older
                # rules, the notes are in that reading's words («bÃ¦r»): today's text tells it.
                summary=carried_text(
                    (change.notes.get(entry.key) if only is None else None) or clip(entry.text, 600)
                ),
                diff_url=diff,
            )
        )
    return events


def one_for_a_burst(
    source: NewsSource, new: Content, events: list[ContentChanged]
) -> list[ContentChanged]:
    """Return a feed's events as they are, or, past ``FEED_BURST`` of them, one change naming
    the first ``FEED_BURST`` titles in the feed's order and then «…», dated as the newest."""
    if source.kind != SourceKind.FEED or len(events) <= FEED_BURST:
        return events
    titles = [f"«{e.title}»" for e in events[:FEED_BURST]]
    newest = max((e.published for e in events if e.published is not None), default=None)
    summary = carried_text("\n".join([*titles, "…"]))
    return [_of_the_source(source, new, newest, None, summary, None)]


def _of_the_source(
    source: NewsSource,
    new: Content,
    published: date | None,
    updated: date | None,
    summary: str,
    diff: str | None,
) -> ContentChanged:
    """Return a change told of the source as a whole (a page, or a feed's burst): its title
    and its own address."""
    return ContentChanged(
        source_id=source.id,
        source_url=source.url,
        kind=source.kind,
        topics=tuple(source.topics),
        title=carried_line(new.title, TITLE_LIMIT) or source.url,
        url=source.url,
        published=published,
        updated=updated,
        summary=summary,
        diff_url=diff,
    )


def without_future_dates(events: Sequence[ContentChanged], today: date) -> list[ContentChanged]:
    """Return the events with any date later than tomorrow left out: a feed that dates an item
    «31 December 9999», or a page a year ahead, is mistaken, and the mail would say so as fact.

    Tomorrow, not today: a publisher east of here is a day ahead for some hours.
    """
    latest = today + timedelta(days=1)
    kept = []
    for event in events:
        late = {
            name: None
            for name, value in (("published", event.published), ("updated", event.updated))
            if value is not None and value > latest
        }
        kept.append(event.model_copy(update=late) if late else event)
    return kept
