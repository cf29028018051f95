"""Pushes held for one page, joined into one change: nothing any of them asked for is lost.

Held pushes (domain/told.py) all wait for the same one read of their page, so the new text it
finds is one edit, however many saves a CMS pushed for it. A follower expects one alert for one
edit: the pushes sent together (the read that settles them, their hour out while the page is
down, the source paused or removed) are one change for each set of topics and minor flag
(``one_per_edit``). And a push joined with another must not take away what the other asked for:
its topics, its being more than a typo fix (not ``minor``), its publisher's note.

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
    """Tell whether two pushes ask the same of their page's followers: the same topics, both
    minor or neither. Such pushes for one edit are one change."""
    return set(first.topics) == set(second.topics) and first.minor == second.minor


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
    """Return one change for each source's group of ``pushes`` alike (``alike``), in the order
    the groups' first pushes came: pushes settled by one read of their page told one edit."""
    groups: dict[tuple[str, frozenset[str], bool], list[ContentChanged]] = {}
    for push in pushes:
        groups.setdefault((push.source_url, frozenset(push.topics), push.minor), []).append(push)
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
