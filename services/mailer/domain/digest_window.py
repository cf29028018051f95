"""Which released changes a person's digest tells: the rule the run and the mail share (0016).

A digest tells the changes released after the person's place in the release log and up to the
run's, of a topic the person follows and released since they began following it and since their
mail became digests (less a margin), and not already told by an alert. Minor and held changes
are never released, so they never appear here.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

# A change released this long before a person's switch from alerts to digests may still have
# reached them by no alert (the fan-out read them as digest people, or clocks differ a little):
# their digests reach back so far, and the alert check drops what an alert did tell.
SWITCH_MARGIN = timedelta(minutes=10)


class Released(Protocol):
    """What the rule reads of a released change."""

    @property
    def topics(self) -> Sequence[str]: ...

    @property
    def release_seq(self) -> int | None: ...

    @property
    def released_at(self) -> datetime | None: ...

    @property
    def id(self) -> uuid.UUID: ...


C = TypeVar("C", bound=Released)


@dataclass(frozen=True, slots=True)
class ReleasedChange:
    """A released change as the rule reads it, kept apart from the session that loaded it."""

    topics: tuple[str, ...]
    release_seq: int | None
    released_at: datetime | None
    id: uuid.UUID

    @classmethod
    def of(cls, change: Released) -> ReleasedChange:
        """Return what the rule reads of a change."""
        return cls(tuple(change.topics), change.release_seq, change.released_at, change.id)


def bounded(since: Mapping[str, datetime], began: datetime | None) -> dict[str, datetime]:
    """Return a person's topic start times, none earlier than their mail became digests
    (``began``, less ``SWITCH_MARGIN``): what their alerts told is not told again."""
    if began is None:
        return dict(since)
    floor = began - SWITCH_MARGIN
    return {topic: max(started, floor) for topic, started in since.items()}


def unalerted(changes: Iterable[C], alerted: Set[uuid.UUID]) -> list[C]:
    """Return the changes no alert told the person."""
    return [change for change in changes if change.id not in alerted]


def owed(
    changes: Iterable[C], *, after: int, through: int, since: Mapping[str, datetime]
) -> list[C]:
    """Return the changes of the window ``(after, through]`` owed to a person whose open topics
    began at ``since``."""
    return [
        change
        for change in changes
        if change.release_seq is not None
        and change.released_at is not None
        and after < change.release_seq <= through
        and any(topic in since and change.released_at >= since[topic] for topic in change.topics)
    ]


class TopicIndex:
    """The window's changes by topic, newest first: a run asks of each person only whether
    anything is owed, and the newest change of a followed topic usually answers it."""

    def __init__(self, changes: Iterable[Released]) -> None:
        self._by_topic: dict[str, list[tuple[int, datetime]]] = {}
        for change in changes:
            if change.release_seq is None or change.released_at is None:
                continue
            for topic in change.topics:
                self._by_topic.setdefault(topic, []).append(
                    (change.release_seq, change.released_at)
                )
        for released in self._by_topic.values():
            released.sort(reverse=True)

    def owes_any(self, *, after: int, through: int, since: Mapping[str, datetime]) -> bool:
        """Return whether any change of the window ``(after, through]`` is owed to the person."""
        for topic, started in since.items():
            for seq, released_at in self._by_topic.get(topic, ()):
                if seq <= after or released_at < started:
                    break  # older ones are older still: before the window or the follow
                if seq <= through:
                    return True
        return False
