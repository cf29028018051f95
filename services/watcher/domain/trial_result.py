"""What trying a source before it is saved shows (trial.py), apart from the fetch and the
parsers that make it, so the admin can name it without importing them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.watcher.domain.model import FeedEntry


class TrialRefused(Exception):
    """A trial that shows nothing: ``reason`` is a key for the page, ``str(e)`` the detail."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class SourceTrial:
    """What varsel sees at a source now."""

    url: str  # where the answer came from, after any redirects
    title: str
    published: date | None
    updated: date | None
    blocks: tuple[str, ...]  # the compared text, block by block (a page or a PDF)
    entries: tuple[FeedEntry, ...]  # a feed's items
