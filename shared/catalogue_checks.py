"""Checking catalogue data as a whole: each entry, then what entries refer to, every problem named.

Every problem is said twice, from the same findings: an English line for a terminal
(``varsel catalogue apply``) and a ``Problem`` a page words in its reader's language.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError

from shared.catalogue_addresses import page_of
from shared.catalogue_entries import MAX_RELATED, Catalogue, Source, Topic
from shared.catalogue_problems import (
    Problem,
    Problems,
    Trouble,
    entry_name,
    field_of,
    listed,
    source_problems,
    topic_problems,
)
from shared.page_urls import PageKey
from shared.source_rules import selector_problem


class CatalogueError(Exception):
    """The catalogue file is missing or wrong; the message names the file, entry and problem.

    The message is English, for a terminal; ``problems`` says the same one by one, for a page
    that words each in its reader's language (empty where only the message can say it: a file
    that cannot be read, TOML that cannot be parsed).
    """

    def __init__(self, message: str, problems: Iterable[Problem] = ()) -> None:
        super().__init__(message)
        self.problems = tuple(problems)


def _describe(errors: ValidationError, section: str, index: int, entry: Any) -> str:
    name = entry_name(entry, index, "slug", "url")
    problems = "; ".join(f"{field_of(err)}: {err['msg']}" for err in errors.errors())
    return f"[[{section}]] entry {index + 1} ({name}): {problems}"


def parse_catalogue(data: Mapping[str, Any], origin: str) -> Catalogue:
    """Validate catalogue data; raise CatalogueError naming the origin, entry and problem."""
    found = Problems()
    topics: list[Topic] = []
    sources: list[Source] = []
    unknown_sections = set(data) - {"topics", "sources"}
    if unknown_sections:
        found.add(
            f"unknown section(s) {sorted(unknown_sections)}; expected [[topics]], [[sources]]",
            Problem(Trouble.UNKNOWN_SECTIONS, {"value": listed(sorted(unknown_sections))}),
        )
    raw_topics = data.get("topics", [])
    if not isinstance(raw_topics, list) or not raw_topics:
        found.add("there must be at least one [[topics]] entry", Problem(Trouble.NO_TOPICS))
        raw_topics = []
    for index, entry in enumerate(raw_topics):
        try:
            topics.append(Topic.model_validate(entry))
        except ValidationError as exc:
            found.add(_describe(exc, "topics", index, entry), *topic_problems(exc, index, entry))
    every_slug = [t.slug for t in topics]
    for slug in {s for s in every_slug if every_slug.count(s) > 1}:
        found.add(
            f"[[topics]] slug {slug!r} is declared more than once",
            Problem(Trouble.TOPIC_TWICE, {"topic": slug}),
        )
    ended = [t for t in topics if t.retired]
    topics = [t for t in topics if not t.retired]
    slugs = [t.slug for t in topics]
    _cross_check_topics(found, topics, ended, slugs)
    raw_sources = data.get("sources", [])
    if not isinstance(raw_sources, list):
        found.add(
            "sources must be written as [[sources]] entries", Problem(Trouble.SOURCES_NOT_ENTRIES)
        )
        raw_sources = []
    for index, entry in enumerate(raw_sources):
        try:
            source = Source.model_validate(entry)
        except ValidationError as exc:
            found.add(_describe(exc, "sources", index, entry), *source_problems(exc, index, entry))
            continue
        _check_source(found, index, source, slugs, every_slug)
        sources.append(source)
    _check_pages(found, sources)
    if found.lines:
        raise CatalogueError(
            f"{origin}: " + "\n  ".join(["invalid configuration", *found.lines]), found.problems
        )
    return Catalogue(topics=tuple(topics), sources=tuple(sources), ended=tuple(ended))


def _check_source(
    found: Problems, index: int, source: Source, slugs: list[str], every_slug: list[str]
) -> None:
    """Name what a valid source entry refers to that cannot be: its selector, its topics."""
    where = f"[[sources]] entry {index + 1} ({source.url})"
    # Checked here, where a file or an editor's form comes in, not on the model: a source
    # stored before still loads, and a wrong selector no longer fails its every poll.
    if source.selector is not None and (problem := selector_problem(source.selector)):
        found.add(
            f"{where}: selector {source.selector!r} is not a CSS selector: {problem}",
            Problem(Trouble.SOURCE_SELECTOR, {"source": source.url, "value": source.selector}),
        )
    missing = [t for t in source.topics if t not in slugs]
    if missing and (gone := [t for t in missing if t in every_slug]):
        found.add(
            f"{where}: topic(s) {gone} are retired",
            Problem(Trouble.SOURCE_TOPICS_ENDED, {"source": source.url, "value": listed(gone)}),
        )
    elif missing:
        found.add(
            f"{where}: unknown topic(s) {missing}",
            Problem(
                Trouble.SOURCE_TOPICS_UNKNOWN, {"source": source.url, "value": listed(missing)}
            ),
        )


def _check_pages(found: Problems, sources: list[Source]) -> None:
    """Name each source of a page another source watches already, whatever its spelling."""
    first: dict[PageKey | str, str] = {}
    named: set[str] = set()
    for source in sources:
        page = page_of(source.url)
        if page not in first:
            first[page] = source.url
            continue
        url = first[page]
        if source.url in named:
            continue
        named.add(source.url)
        found.add(
            f"[[sources]] url {source.url!r} is declared more than once"
            if url == source.url
            else f"[[sources]] url {source.url!r} is the page {url!r} watches, under another "
            "spelling: it would be polled twice and each of its changes mailed twice",
            Problem(Trouble.SOURCE_TWICE, {"source": source.url}),
        )


def _cross_check_topics(
    found: Problems, topics: list[Topic], ended: list[Topic], slugs: list[str]
) -> None:
    """Name what topics refer to that is not a topic people can follow."""
    for topic in topics:
        if len(set(topic.related)) > MAX_RELATED:
            found.add(
                f"[[topics]] {topic.slug}: names {len(set(topic.related))} related topics; "
                f"at most {MAX_RELATED} are offered",
                Problem(Trouble.RELATED_TOO_MANY, {"topic": topic.slug, "limit": str(MAX_RELATED)}),
            )
        for related in topic.related:
            if related == topic.slug:
                # Its sign-up page would offer the topic itself as one to follow as well.
                found.add(
                    f"[[topics]] {topic.slug}: names itself as a related topic; a topic is "
                    "not related to itself",
                    Problem(Trouble.RELATED_ITSELF, {"topic": topic.slug}),
                )
            elif related in {t.slug for t in ended}:
                found.add(
                    f"[[topics]] {topic.slug}: related topic {related!r} has ended and is "
                    "not a topic people can follow",
                    Problem(Trouble.RELATED_ENDED, {"topic": topic.slug, "value": related}),
                )
            elif related not in slugs:
                found.add(
                    f"[[topics]] {topic.slug}: related topic {related!r} is not declared",
                    Problem(Trouble.RELATED_UNKNOWN, {"topic": topic.slug, "value": related}),
                )
        if topic.successor is not None:
            found.add(
                f"[[topics]] {topic.slug}: only a retired topic has a successor "
                "(add retired = true, or leave the successor out)",
                Problem(Trouble.SUCCESSOR_NOT_ENDED, {"topic": topic.slug}),
            )
    for topic in ended:
        if topic.successor is not None and topic.successor not in slugs:
            found.add(
                f"[[topics]] {topic.slug}: successor {topic.successor!r} is not a topic "
                "people can follow",
                Problem(Trouble.SUCCESSOR_UNKNOWN, {"topic": topic.slug, "value": topic.successor}),
            )
