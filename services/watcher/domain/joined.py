"""Pushes held for one page, joined into one change: nothing any of them asked for is lost.

Held pushes (domain/told.py) all wait for the same one read of their page, so the new text it
finds is one edit, however many saves a CMS pushed for it, and whatever topics each push named.
A follower expects one alert for one edit: the pushes sent together (the read that settles them,
their hour out while the page is down, the source paused or removed) that are not minor are one
change for their page, to the topics of them all (``one_per_edit``); a follower of two of those
topics gets that one alert (the mailer queues one alert per person and change). A minor push
beside a real edit stays a change of its own, one per set of topics, recorded and alerting
nobody: joined with the edit it would add nothing, and its note would say the edit is a typo
fix. When every push of the page is minor, they are one minor change. And a push joined with
another must not take away what the other asked for: its topics, its being more than a typo fix
(not ``minor``), its publisher's note.

So pushes are joined, never replaced: the topics of all of them, in the order they came; minor
only if every one is minor (a typo fix pushed after a real edit does not hide the edit); the
notes of those that decide the minor flag, latest first, each once, as many as fit in a note
(NOTE_LIMIT), the latest always. The title and address are the latest such push's (its page as
it now stands), the moment the earliest's, so a joined change is sent no later than its earliest
push was promised (told.deadline); its id is the latest push's, which no poll under way has read
(held_pushes.take takes by id only what its poll settled).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from services.watcher.domain.push import NOTE_LIMIT
from shared.events import ContentChanged

# Between two publishers' notes in one change: a blank line, as between paragraphs of one.
_BETWEEN = "\n\n"


def alike(first: ContentChanged, second: ContentChanged) -> bool:
    """Tell whether two pushes for one edit of a page are one change whatever is sent with them:
    both real edits (whatever their topics), or both minor with the same topics."""
    if first.minor != second.minor:
        return False
    return not first.minor or set(first.topics) == set(second.topics)


def one_change(pushes: Sequence[ContentChanged]) -> ContentChanged:
    """Return the one change that says what all ``pushes`` (as they came) asked for."""
    if len(pushes) == 1:
        return pushes[0]
    earliest, latest = pushes[0], pushes[-1]
    minor = all(push.minor for push in pushes)
    # A minor push's note says why nobody need be told; beside a real edit it says nothing.
    deciding = [push for push in pushes if push.minor == minor]
    topics = tuple(dict.fromkeys(topic for push in pushes for topic in push.topics))
    note = _notes(push.note for push in reversed(deciding))
    said = deciding[-1]
    return said.model_copy(
        update={
            "event_id": latest.event_id,
            "occurred_at": earliest.occurred_at,
            "topics": topics,
            "summary": note or "",
            "note": note,
            "minor": minor,
        }
    )


def one_per_edit(pushes: Sequence[ContentChanged]) -> tuple[ContentChanged, ...]:
    """Return the changes ``pushes`` sent together are, in the order each one's first push
    came: for each page, one of its real edits, to all their topics, and one for each set of
    topics of its minor pushes; one minor change when every push of the page is minor."""
    every_minor: dict[str, bool] = {}
    for push in pushes:
        every_minor[push.source_url] = every_minor.get(push.source_url, True) and push.minor
    groups: dict[tuple[str, bool, frozenset[str]], list[ContentChanged]] = {}
    for push in pushes:
        # Only a minor push beside a real edit keeps its own topics: the key's set is empty
        # for the others, so a page's real edits (or its minor pushes alone) are one group.
        apart = push.minor and not every_minor[push.source_url]
        topics = frozenset(push.topics) if apart else frozenset()
        groups.setdefault((push.source_url, push.minor, topics), []).append(push)
    return tuple(one_change(group) for group in groups.values())


def _notes(latest_first: Iterable[str | None]) -> str | None:
    """Return the distinct notes, latest first, as many as fit in one note; None for none."""
    kept: list[str] = []
    size = 0
    for note in latest_first:
        if not note or note in kept:
            continue
        grown = size + len(note) + (len(_BETWEEN) if kept else 0)
        if kept and grown > NOTE_LIMIT:
            break
        kept.append(note)
        size = grown
    return _BETWEEN.join(kept) or None
