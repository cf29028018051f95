"""What applying a catalogue file would change: topics and sources added, changed or retired.

Pure: it compares two catalogues as the shared models validated them, so the plan printed
before an apply is exactly what the apply writes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from shared.catalogue_entries import Catalogue, Source, Topic
from shared.catalogue_file import entry_data


class Action(StrEnum):
    """What happens to one entry."""

    ADDED = "added"
    CHANGED = "changed"
    RETIRED = "retired"


@dataclass(frozen=True, slots=True)
class Change:
    """One topic (by slug) or source (by URL) and what happens to it."""

    section: str  # "topics" | "sources"
    key: str
    action: Action
    fields: tuple[str, ...] = ()  # for a change: the fields whose value differs


@dataclass(frozen=True, slots=True)
class Plan:
    """Every change an apply makes, topics first, in the file's order."""

    changes: tuple[Change, ...] = ()
    # The entries are the same but listed in another order (the topic index follows it).
    reordered: tuple[str, ...] = field(default=())

    @property
    def empty(self) -> bool:
        """Tell whether applying changes nothing."""
        return not self.changes and not self.reordered

    def count(self, action: Action) -> int:
        """Return how many entries the plan adds, changes or retires."""
        return sum(1 for c in self.changes if c.action is action)

    def summary(self) -> dict[str, Any]:
        """Return the plan as plain data (the audit log's details, the event's counts)."""
        return {
            action.value: [
                f"{c.section}:{c.key}" + (f" ({', '.join(c.fields)})" if c.fields else "")
                for c in self.changes
                if c.action is action
            ]
            for action in Action
        } | {"reordered": list(self.reordered)}


def _differing(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k)))


def _section_changes(
    section: str,
    current: Mapping[str, Topic | Source],
    wanted: Mapping[str, Topic | Source],
) -> list[Change]:
    changes: list[Change] = []
    for key, entry in wanted.items():
        old = current.get(key)
        if old is None:
            # A retired topic named again comes back: it is added, as a new one would be.
            changes.append(Change(section, key, Action.ADDED))
            continue
        fields = _differing(entry_data(old), entry_data(entry))
        if fields:
            changes.append(Change(section, key, Action.CHANGED, fields))
    changes.extend(Change(section, key, Action.RETIRED) for key in current if key not in wanted)
    return changes


def _topic_changes(current: Catalogue, wanted: Catalogue) -> list[Change]:
    """Topics added (or back), changed, or retired: ended in the file or left out of it."""
    changes = _section_changes(
        "topics", {t.slug: t for t in current.topics}, {t.slug: t for t in wanted.topics}
    )
    was_ended = {t.slug: t for t in current.ended}
    for topic in wanted.ended:
        before = was_ended.get(topic.slug)
        if before is not None:
            fields = _differing(entry_data(before), entry_data(topic))
            if fields:
                changes.append(Change("topics", topic.slug, Action.CHANGED, fields))
        elif current.topic(topic.slug) is None:
            # Declared ended from the start: nobody followed it, nobody is told.
            changes.append(Change("topics", topic.slug, Action.ADDED))
    return changes


def plan(current: Catalogue, wanted: Catalogue) -> Plan:
    """Compare the catalogue in force with the one a file declares."""
    topics = _topic_changes(current, wanted)
    sources = _section_changes(
        "sources", {s.url: s for s in current.sources}, {s.url: s for s in wanted.sources}
    )
    reordered = []
    kept_topics = [t.slug for t in wanted.topics if current.topic(t.slug) is not None]
    if kept_topics != [t.slug for t in current.topics if t.slug in set(kept_topics)]:
        reordered.append("topics")
    current_urls = [s.url for s in current.sources]
    kept_urls = [s.url for s in wanted.sources if s.url in set(current_urls)]
    if kept_urls != [u for u in current_urls if u in set(kept_urls)]:
        reordered.append("sources")
    return Plan(tuple(topics + sources), tuple(reordered))


def describe(plan: Plan) -> list[str]:
    """Return the plan as lines a person reads before it is applied."""
    if plan.empty:
        return ["no changes: the catalogue already matches the file"]
    lines = [
        f"{plan.count(Action.ADDED)} to add, {plan.count(Action.CHANGED)} to change, "
        f"{plan.count(Action.RETIRED)} to retire"
    ]
    marks = {Action.ADDED: "+", Action.CHANGED: "~", Action.RETIRED: "-"}
    for change in plan.changes:
        what = "topic" if change.section == "topics" else "source"
        line = f"  {marks[change.action]} {what} {change.key}: {change.action.value}"
        if change.fields:
            line += f" ({', '.join(change.fields)})"
        lines.append(line)
    lines.extend(f"  ~ the order of the {section} changes" for section in plan.reordered)
    return lines
