"""The topic index at ``/``: every topic grouped by section, narrowed by a plain-text filter.

Pure rules: which topics a filter keeps and how they are grouped. The route reads the query and
the catalogue and renders what this returns, so the filter works the same with or without
JavaScript in the browser.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from shared.catalogue_entries import Topic
from shared.i18n.translator import N_

# Longer than any topic title a person would type; a longer text is a mistake or abuse.
MAX_QUERY: Final = 100

QUERY_TOO_LONG: Final = N_("The search text can be at most 100 characters long.")
QUERY_NOT_TEXT: Final = N_("The search text may only contain letters, digits and punctuation.")


class BadQuery(ValueError):
    """A filter text that is refused; ``reason`` is an English source text for the page."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class IndexTopic:
    """What the index shows of one topic."""

    slug: str
    title: str
    description: str
    # The folded texts the filter searches, so the page's script filters as the server does.
    search_text: str = ""
    # The languages the title and description are written in (bokmål where they fall back).
    title_lang: str = "nb"
    description_lang: str = "nb"


@dataclass(frozen=True, slots=True)
class IndexSection:
    """A heading and its topics; ``title`` is None for the topics no section names."""

    title: str | None
    topics: tuple[IndexTopic, ...]


def parse_query(raw: str | None) -> str:
    """Return the filter text to apply ("" for none), or raise BadQuery saying why not."""
    if raw is None:
        return ""
    if len(raw) > MAX_QUERY:
        raise BadQuery(QUERY_TOO_LONG)
    # Control characters (Unicode category C*) never come from typing in a search field.
    if any(unicodedata.category(char).startswith("C") for char in raw):
        raise BadQuery(QUERY_NOT_TEXT)
    return " ".join(raw.split())


def _folded(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def matches(topic: Topic, language: str, query: str) -> bool:
    """Tell whether every word of the query occurs in the topic's texts (any case).

    The texts searched are those in the page's language and in bokmål (the fallback shown when
    a text is missing), so a person finds a topic by the words they see on the page.
    """
    words = _folded(query).split()
    if not words:
        return True
    haystack = search_text(topic, language)
    return all(word in haystack for word in words)


def search_text(topic: Topic, language: str) -> str:
    """Return the folded texts of a topic that the filter searches."""
    texts = dict.fromkeys(
        (
            topic.slug,
            topic.title_in(language),
            topic.title_in("nb"),
            topic.section_in(language) or "",
            topic.section_in("nb") or "",
            topic.description_in(language),
            topic.description_in("nb"),
        )
    )
    return _folded(" ".join(text for text in texts if text))


def topic_index(topics: Iterable[Topic], language: str, query: str = "") -> list[IndexSection]:
    """Group the topics that match the query by section, in the catalogue's order.

    Sections come in the order their first topic has in the catalogue (the operator's order);
    topics without a section come last, under no heading of their own.
    """
    grouped: dict[str | None, list[IndexTopic]] = {}
    for topic in topics:
        if not matches(topic, language, query):
            continue
        entry = IndexTopic(
            topic.slug,
            topic.title_in(language),
            topic.description_in(language),
            search_text(topic, language),
            topic.title_language(language),
            topic.description_language(language),
        )
        grouped.setdefault(topic.section_in(language), []).append(entry)
    sections = [IndexSection(title, tuple(items)) for title, items in grouped.items() if title]
    if None in grouped:
        sections.append(IndexSection(None, tuple(grouped[None])))
    return sections
