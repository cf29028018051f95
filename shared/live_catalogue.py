"""The catalogue as a running process sees it: replaced whole when an editor changes it.

Apart from the catalogue's entries (shared/catalogue_entries.py) and file: what services ask of
it, and the one object each process keeps and reads at the moment it needs a topic.
"""

from __future__ import annotations

from typing import Protocol

from shared.catalogue_entries import Catalogue, Source, Topic


class CatalogueView(Protocol):
    """What services ask of the catalogue; a ``Catalogue`` or the process's ``LiveCatalogue``."""

    @property
    def topics(self) -> tuple[Topic, ...]:
        """Return every topic people can follow."""
        ...

    @property
    def sources(self) -> tuple[Source, ...]:
        """Return every source."""
        ...

    @property
    def slugs(self) -> frozenset[str]:
        """Return every topic slug."""
        ...

    def topic(self, slug: str) -> Topic | None:
        """Return the topic with this slug, if any."""
        ...

    def ended_topic(self, slug: str) -> Topic | None:
        """Return the ended topic with this slug, if any."""
        ...


class LiveCatalogue:
    """The catalogue as this process last read it; replaced whole when its version moves.

    Services keep this object, never a copy of what it holds, and ask it at the moment they
    need a topic, so a change an editor made reaches them without a restart.
    """

    def __init__(self, catalogue: Catalogue, version: int = 0) -> None:
        self._current = catalogue
        self._version = version

    @property
    def current(self) -> Catalogue:
        """Return the catalogue as last read."""
        return self._current

    @property
    def version(self) -> int:
        """Return the version last read (0 before the database was read)."""
        return self._version

    def replace(self, catalogue: Catalogue, version: int) -> None:
        """Take a newer catalogue (one assignment each, so readers see the old or the new)."""
        self._current = catalogue
        self._version = version

    @property
    def topics(self) -> tuple[Topic, ...]:
        """Return every topic people can follow."""
        return self._current.topics

    @property
    def sources(self) -> tuple[Source, ...]:
        """Return every source."""
        return self._current.sources

    @property
    def slugs(self) -> frozenset[str]:
        """Return every topic slug."""
        return self._current.slugs

    def topic(self, slug: str) -> Topic | None:
        """Return the topic with this slug, if any."""
        return self._current.topic(slug)

    def ended_topic(self, slug: str) -> Topic | None:
        """Return the ended topic with this slug, if any."""
        return self._current.ended_topic(slug)
