"""The catalogue of topics and watched sources: validation of each entry, and the TOML format.

The catalogue lives in the database (the admin service owns it, docs/decisions/0011); a TOML file
is how it is applied (``varsel catalogue apply``, ``VARSEL_CONFIG`` at start) and exported.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, Final

import regex
import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from shared.carried_text import carried_text, shows_text
from shared.catalogue_addresses import ADDRESS_FAULTS, address_fault, is_absolute_http, page_of
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
from shared.intervals import format_interval, parse_interval
from shared.page_urls import PageKey
from shared.source_rules import compile_ignore, selector_problem
from shared.vocabulary import LANGUAGES, ReviewMode, SourceKind

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# Validation context of entries read back from the database: they were checked when written,
# by the rules of their day, and load as they are so that a file can replace them.
STORED: Final = {"stored": True}


class CatalogueError(Exception):
    """The catalogue file is missing or wrong; the message names the file, entry and problem.

    The message is English, for a terminal; ``problems`` says the same one by one, for a page
    that words each in its reader's language (empty where only the message can say it: a file
    that cannot be read, TOML that cannot be parsed).
    """

    def __init__(self, message: str, problems: Iterable[Problem] = ()) -> None:
        super().__init__(message)
        self.problems = tuple(problems)


def is_slug(value: str) -> bool:
    """Tell whether a text has the shape of a topic slug: lower-case letters, digits, hyphens."""
    # fullmatch, not «^…$»: «$» also matches before a final line break, which no slug has.
    return _SLUG.fullmatch(value) is not None


def _checked_address(value: str, info: ValidationInfo) -> str:
    if (fault := address_fault(value)) is not None and not (info.context or {}).get("stored"):
        raise ValueError(ADDRESS_FAULTS[fault])
    return value


def _texts_per_language(value: dict[str, str], what: str, info: ValidationInfo) -> dict[str, str]:
    """Check a text given per language: known languages, no blank text, bokmål present.

    A direction override pasted with the words (U+202E, from a document in a right-to-left
    script) would make the rest of a title read backwards on the public pages and in mails:
    it is left out, with control characters, as from a bulletin's words (shared/carried_text).
    """
    value = {language: carried_text(text) for language, text in value.items()}
    unknown = set(value) - set(LANGUAGES)
    if unknown:
        raise ValueError(f"unknown language(s) {sorted(unknown)}; use {list(LANGUAGES)}")
    # Zero-width characters alone are blank since a later release: a stored text loads as it
    # was saved (STORED), so the catalogue still loads and an edit can replace it.
    shows = (lambda text: bool(text.strip())) if (info.context or {}).get("stored") else shows_text
    blank = sorted(language for language, text in value.items() if not shows(text))
    if blank:
        raise ValueError(f"the {what} in {blank} is empty; leave the language out instead")
    if "nb" not in value:
        raise ValueError(
            f"a {what} needs at least a Norwegian bokmål text: {what} = {{ nb = '…' }}"
        )
    return value


class Topic(BaseModel):
    """Something people can subscribe to: usually one page and what belongs to it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    slug: str
    title: dict[str, str]
    page: str | None = None
    related: tuple[str, ...] = ()
    # The heading the topic index groups it under (a publisher or a theme); None: "Other".
    section: dict[str, str] | None = None
    # A sentence or two saying what the topic covers; empty when the title says enough.
    description: dict[str, str] = Field(default_factory=dict)
    # An ended topic: its followers get one last mail, its sign-up page answers 410. A topic
    # left out of the file ends too; keeping it with `retired = true` can name a successor.
    retired: bool = False
    # The topic to follow instead (a slug), named in that last mail and on the page.
    successor: str | None = None
    # Staff account names the review reminder goes to (accounts live apart: not checked here).
    editors: tuple[Annotated[str, Field(min_length=1, max_length=100)], ...] = ()

    @field_validator("slug")
    @classmethod
    def _slug_shape(cls, value: str) -> str:
        if not is_slug(value):
            raise ValueError("a slug is lower-case letters, digits and single hyphens")
        return value

    @field_validator("page")
    @classmethod
    def _page_address(cls, value: str | None, info: ValidationInfo) -> str | None:
        return None if value is None else _checked_address(value, info)

    @field_validator("title")
    @classmethod
    def _has_norwegian_title(cls, value: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        return _texts_per_language(value, "title", info)

    @field_validator("section")
    @classmethod
    def _has_norwegian_section(
        cls, value: dict[str, str] | None, info: ValidationInfo
    ) -> dict[str, str] | None:
        return None if value is None else _texts_per_language(value, "section", info)

    @field_validator("description")
    @classmethod
    def _has_norwegian_description(
        cls, value: dict[str, str], info: ValidationInfo
    ) -> dict[str, str]:
        return value if not value else _texts_per_language(value, "description", info)

    def title_in(self, language: str) -> str:
        """Return the title in a language, falling back to bokmål."""
        return self.title.get(language) or self.title["nb"]

    def section_in(self, language: str) -> str | None:
        """Return the section heading in a language, falling back to bokmål; None if unset."""
        if self.section is None:
            return None
        return self.section.get(language) or self.section["nb"]

    def description_in(self, language: str) -> str:
        """Return the description in a language, falling back to bokmål; empty if unset."""
        return self.description.get(language) or self.description.get("nb", "")


class Source(BaseModel):
    """A page, feed or PDF the watcher polls."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str
    kind: SourceKind
    topics: tuple[str, ...] = Field(min_length=1)
    interval: int = 900
    selector: str | None = None
    ignore: tuple[str, ...] = ()
    # A paused source keeps its place and state in the catalogue but is not polled.
    paused: bool = False
    # "review": each change waits on the editor's desk until an editor decides (docs 0014).
    mode: ReviewMode = ReviewMode.AUTOMATIC

    @field_validator("url")
    @classmethod
    def _absolute_http(cls, value: str, info: ValidationInfo) -> str:
        if not is_absolute_http(value):
            raise ValueError("must be an absolute http:// or https:// URL")
        return _checked_address(value, info)

    @field_validator("interval", mode="before")
    @classmethod
    def _interval(cls, value: Any) -> int:
        return parse_interval(value)

    @field_validator("ignore")
    @classmethod
    def _patterns_compile(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in value:
            try:
                compile_ignore(pattern)
            except regex.error as exc:
                raise ValueError(
                    f"ignore pattern {pattern!r} is not a regular expression: {exc}"
                ) from exc
        return value


class Catalogue(BaseModel):
    """All topics and sources, cross-checked."""

    model_config = ConfigDict(frozen=True)

    topics: tuple[Topic, ...]
    sources: tuple[Source, ...] = ()
    # Topics that have ended (``retired``): nobody can sign up for them any more.
    ended: tuple[Topic, ...] = ()

    def topic(self, slug: str) -> Topic | None:
        """Return the topic with this slug, if any."""
        return next((t for t in self.topics if t.slug == slug), None)

    def ended_topic(self, slug: str) -> Topic | None:
        """Return the ended topic with this slug, if any."""
        return next((t for t in self.ended if t.slug == slug), None)

    @property
    def slugs(self) -> frozenset[str]:
        """Return every topic slug."""
        return frozenset(t.slug for t in self.topics)


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
        for related in topic.related:
            if related not in slugs:
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


def read_catalogue_text(path: Path, setting: str | None = "VARSEL_CONFIG") -> str:
    """Read a catalogue file's text; raise CatalogueError naming the file if it cannot be read.

    ``setting`` is the variable that named the file, if one did (None: the operator gave it).
    """
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        where = f" (set {setting})" if setting else ""
        raise CatalogueError(f"{path}: configuration file not found{where}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogueError(f"{path}: cannot read configuration file: {exc}") from exc


def parse_catalogue_text(text: str, origin: str) -> Catalogue:
    """Parse and validate a catalogue written in TOML; CatalogueError names the origin."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"{origin}: not valid TOML: {exc}") from exc
    return parse_catalogue(data, origin)


def load_catalogue(path: Path, setting: str | None = "VARSEL_CONFIG") -> Catalogue:
    """Read and validate the catalogue file (``setting``: as read_catalogue_text)."""
    return parse_catalogue_text(read_catalogue_text(path, setting), str(path))


def entry_data(entry: Topic | Source) -> dict[str, Any]:
    """Return an entry as plain data, leaving out what has its default (as a file would)."""
    data = entry.model_dump(mode="json", exclude_defaults=True)
    # The model keeps the interval in seconds; a file says it with its unit.
    if isinstance(entry, Source) and "interval" in data:
        data["interval"] = format_interval(entry.interval)
    return data


def dump_catalogue(catalogue: Catalogue) -> str:
    """Write a catalogue in the TOML format ``parse_catalogue_text`` reads back unchanged."""
    document = {
        "topics": [entry_data(t) for t in (*catalogue.topics, *catalogue.ended)],
        "sources": [entry_data(s) for s in catalogue.sources],
    }
    if not document["sources"]:
        del document["sources"]
    # tomli-w writes TOML that tomllib reads back; a hand-written writer would need its quoting.
    return tomli_w.dumps(document)
