"""Which released changes a person's digest tells: the rule the run and the mail share (0016).

A digest tells the changes released after the person's place in the release log and up to the
run's, of a topic the person follows and released since they began following it. Minor and held
changes are never released, so they never appear here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar


class Released(Protocol):
    """What the rule reads of a released change."""

    @property
    def topics(self) -> Sequence[str]: ...

    @property
    def release_seq(self) -> int | None: ...

    @property
    def released_at(self) -> datetime | None: ...


C = TypeVar("C", bound=Released)


@dataclass(frozen=True, slots=True)
class ReleasedChange:
    """A released change as the rule reads it, kept apart from the session that loaded it."""

    topics: tuple[str, ...]
    release_seq: int | None
    released_at: datetime | None

    @classmethod
    def of(cls, change: Released) -> ReleasedChange:
        """Return what the rule reads of a change."""
        return cls(tuple(change.topics), change.release_seq, change.released_at)


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
