"""The words every service shares: how often people hear, in which language, of what kind of source.

Each is declared once, here, as a string enum: it compares equal to the text stored in the
database and carried in events, so the wire format stays plain strings while code names values
(``Frequency.DAILY``) instead of spelling them. Words only one service uses live in that
service's ``domain``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final, Self


class _Word(StrEnum):
    """A closed set of words, read from text that may hold anything."""

    @classmethod
    def parse(cls, value: str | None) -> Self | None:
        """Return the member a text names, or None if it names none."""
        try:
            return cls(value) if value is not None else None
        except ValueError:
            return None


class Frequency(_Word):
    """How often a person hears of changes: one setting for all their alerts."""

    IMMEDIATE = "immediate"
    DAILY = "daily"
    WEEKLY = "weekly"

    @property
    def is_digest(self) -> bool:
        """Tell whether changes wait for a digest rather than going out at once."""
        return self is not Frequency.IMMEDIATE


FREQUENCIES: Final[tuple[Frequency, ...]] = tuple(Frequency)
DIGEST_FREQUENCIES: Final[tuple[Frequency, ...]] = (Frequency.DAILY, Frequency.WEEKLY)


class Language(_Word):
    """A language pages and mails are written in; the first is the default."""

    NB = "nb"  # Norwegian bokmål
    NN = "nn"  # Norwegian nynorsk
    EN = "en"

    @classmethod
    def of(cls, value: str | None) -> Language:
        """Return the language a stored or requested code names, falling back to the default."""
        return cls.parse(value) or DEFAULT_LANGUAGE


DEFAULT_LANGUAGE: Final = Language.NB
LANGUAGES: Final[tuple[Language, ...]] = tuple(Language)


class ReviewMode(_Word):
    """Whether a source's changes go out as detected or wait for an editor on the desk."""

    AUTOMATIC = "automatic"
    REVIEW = "review"


class SourceKind(_Word):
    """What the watcher reads at a source's address."""

    PAGE = "page"
    FEED = "feed"
    PDF = "pdf"


class ChangeProducer(_Word):
    """Who told varsel of a change: its own poll, or a publisher (a CMS) pushing it."""

    WATCHER = "watcher"
    PUBLISHER = "publisher"
