"""The catalogue's entries: a topic people can follow, a source the watcher polls, and the whole.

Each entry is checked on its own here; ``catalogue_checks`` checks what entries say of each other.
The catalogue lives in the database (the admin service owns it, docs/decisions/0011); a TOML file
is how it is applied and exported (``catalogue_file``).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Final

import regex
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from shared.carried_text import carried_text, shows_text
from shared.catalogue_addresses import address_refusal, is_absolute_http
from shared.intervals import parse_interval
from shared.source_rules import compile_ignore
from shared.vocabulary import LANGUAGES, ReviewMode, SourceKind

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# Validation context of entries read back from the database: they were checked when written,
# by the rules of their day, and load as they are so that a file can replace them.
STORED: Final = {"stored": True}


def is_slug(value: str) -> bool:
    """Tell whether a text has the shape of a topic slug: lower-case letters, digits, hyphens."""
    # fullmatch, not «^…$»: «$» also matches before a final line break, which no slug has.
    return _SLUG.fullmatch(value) is not None


def _checked_address(value: str, info: ValidationInfo) -> str:
    if (refused := address_refusal(value)) is not None and not (info.context or {}).get("stored"):
        raise ValueError(refused)
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


# The most related topics one topic may offer: its sign-up page lists each under «Ønsker du også
# varsler om:», and a longer list is no suggestion any more. The topic form and the file agree.
MAX_RELATED: Final = 100


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

    def title_language(self, language: str) -> str:
        """Return the language ``title_in(language)`` is written in: bokmål where it falls back,
        so that a page can mark it (WCAG 3.1.2, language of parts)."""
        return language if self.title.get(language) else "nb"

    def description_language(self, language: str) -> str:
        """Return the language ``description_in(language)`` is written in, as title_language."""
        return language if self.description.get(language) else "nb"

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
