"""What is wrong with a catalogue, problem by problem: a kind and the values it names, so that a
page words each in its reader's language while a terminal reads the English lines; both are
made at once, from the same findings (``shared.catalogue_checks.parse_catalogue``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

import regex
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from shared.page_urls import without_credentials
from shared.source_rules import compile_ignore


class Trouble(StrEnum):
    """A kind of problem a catalogue can have, as a page words it in its reader's language."""

    UNKNOWN_SECTIONS = "unknown_sections"
    NO_TOPICS = "no_topics"
    TOPIC_FIELD = "topic_field"
    TOPIC_TWICE = "topic_twice"
    RELATED_UNKNOWN = "related_unknown"
    RELATED_ITSELF = "related_itself"
    RELATED_ENDED = "related_ended"
    RELATED_TOO_MANY = "related_too_many"
    SUCCESSOR_NOT_ENDED = "successor_not_ended"
    SUCCESSOR_UNKNOWN = "successor_unknown"
    SOURCES_NOT_ENTRIES = "sources_not_entries"
    SOURCE_FIELD = "source_field"
    SOURCE_URL = "source_url"
    SOURCE_KIND = "source_kind"
    SOURCE_NO_TOPICS = "source_no_topics"
    SOURCE_INTERVAL = "source_interval"
    SOURCE_IGNORE = "source_ignore"
    SOURCE_SELECTOR = "source_selector"
    SOURCE_MODE = "source_mode"
    SOURCE_TOPICS_ENDED = "source_topics_ended"
    SOURCE_TOPICS_UNKNOWN = "source_topics_unknown"
    SOURCE_TWICE = "source_twice"


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem of a catalogue: its kind and the values it names (the entry, the value)."""

    trouble: Trouble
    values: dict[str, str] = field(default_factory=dict)


# The fields of a source whose wrong value a page names, and how it words each.
_SOURCE_FIELDS: Final = {
    "url": Trouble.SOURCE_URL,
    "kind": Trouble.SOURCE_KIND,
    "interval": Trouble.SOURCE_INTERVAL,
    "mode": Trouble.SOURCE_MODE,
}


def entry_name(entry: Any, index: int, *keys: str) -> str:
    """Return what names a catalogue entry: the first of ``keys`` it holds, else its place
    («#2»), which is all an entry written as no table (topics = ["x"]) has. An address is
    named without a name and password it holds, which would stand wherever it is read."""
    named = entry if isinstance(entry, Mapping) else {}
    return without_credentials(
        str(next((named[key] for key in keys if named.get(key)), f"#{index + 1}"))
    )


def field_of(error: ErrorDetails) -> str:
    """Return the field a validation error is about (``ignore.0``), or «entry» for the whole."""
    return ".".join(str(part) for part in error["loc"]) or "entry"


def source_problems(errors: ValidationError, index: int, entry: Any) -> list[Problem]:
    """Return each wrong field of a source entry as a problem naming the source and value."""
    name = entry_name(entry, index, "url")
    problems = []
    for err in errors.errors():
        where = field_of(err)
        given = err.get("input")
        if where in _SOURCE_FIELDS:
            problems.append(
                Problem(
                    _SOURCE_FIELDS[where],
                    {"source": name, "value": without_credentials(str(given))},
                )
            )
        elif where == "topics":
            problems.append(Problem(Trouble.SOURCE_NO_TOPICS, {"source": name}))
        elif where.startswith("ignore") and (pattern := _wrong_pattern(given)) is not None:
            problems.append(Problem(Trouble.SOURCE_IGNORE, {"source": name, "value": pattern}))
        else:
            problems.append(Problem(Trouble.SOURCE_FIELD, {"source": name, "field": where}))
    return problems


def _wrong_pattern(given: Any) -> str | None:
    """Return the first ignore pattern that does not compile (or is no text), if any."""
    for pattern in given if isinstance(given, list | tuple) else [given]:
        if not isinstance(pattern, str):
            return str(pattern)
        try:
            compile_ignore(pattern)
        except regex.error:
            return pattern
    return None


def topic_problems(errors: ValidationError, index: int, entry: Any) -> list[Problem]:
    """Return each wrong field of a topic entry as a problem naming the topic and field."""
    name = entry_name(entry, index, "slug")
    return [
        Problem(Trouble.TOPIC_FIELD, {"topic": name, "field": field_of(err)})
        for err in errors.errors()
    ]


class Problems:
    """What is wrong with a catalogue: each line for a terminal, each problem for a page."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.problems: list[Problem] = []

    def add(self, line: str, *problems: Problem) -> None:
        """Note a line for the terminal and the problems it says, for a page."""
        self.lines.append(line)
        self.problems.extend(problems)


def listed(values: list[str]) -> str:
    """Return values as a problem names several (slugs of topics, sections)."""
    return ", ".join(values)
