"""What a mail shows about a change, and how a digest groups changes by topic."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from services.mailer.domain.text import checked_url, safe_url
from shared.vocabulary import SourceKind


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangeView:
    """One detected change of a watched page, as a mail shows it. Text fields are untrusted."""

    title: str
    # None when the link cannot be made safe (relative, javascript:, broken): the mail then goes
    # without it, since a publisher's odd link must never cost anyone the alert itself.
    url: str | None
    topic_slugs: tuple[str, ...]
    topic_titles: tuple[str, ...]
    published: date | None = None
    updated: date | None = None
    summary: str = ""
    occurred_at: datetime
    kind: SourceKind = SourceKind.PAGE

    def __post_init__(self) -> None:
        # Feeds may carry raw "æøå" in links; mails need plain ASCII URLs.
        object.__setattr__(self, "url", safe_url(self.url) if self.url else None)
        if len(self.topic_slugs) != len(self.topic_titles):
            raise ValueError("topic_slugs and topic_titles must have the same length")
        if self.occurred_at.tzinfo is None or self.occurred_at.utcoffset() is None:
            raise ValueError("occurred_at must be timezone-aware")


@dataclass(frozen=True, slots=True)
class DigestItem:
    """A change shown in one digest section; ``also_in`` names the person's other topics."""

    change: ChangeView
    also_in: tuple[str, ...] = ()
    # The page's other changes told by the same mail, newest first: the latest version is shown
    # once, but a morning's edit must not hide behind an afternoon's typo fix.
    earlier: tuple[ChangeView, ...] = ()

    @property
    def times(self) -> int:
        """Return how many changes of the page the item tells."""
        return 1 + len(self.earlier)


@dataclass(frozen=True, slots=True)
class DigestSection:
    """One topic in a digest: the items shown (newest first) and how many were left out."""

    topic_title: str
    items: tuple[DigestItem, ...]
    hidden: int = 0  # changes (not pages) left out

    more_url: str | None = None

    def __post_init__(self) -> None:
        if self.hidden < 0:
            raise ValueError("hidden cannot be negative")
        if self.more_url is not None:
            checked_url("more_url", self.more_url)

    @property
    def total(self) -> int:
        """Return how many changes the section covers, shown or not."""
        return sum(item.times for item in self.items) + self.hidden


def by_page(changes: Iterable[ChangeView]) -> list[tuple[ChangeView, ...]]:
    """Group changes by page (by URL), each group newest first; later input wins a tie.

    A feed item is known by its link and its title, since items without a link of their own
    link to their feed; a change whose link was left out cannot be told apart, so each is kept.
    """
    pages: dict[tuple[str, str] | int, list[tuple[int, ChangeView]]] = {}
    for index, change in enumerate(changes):
        pages.setdefault(page_of(change.url, change.title, change.kind) or index, []).append(
            (index, change)
        )
    return [
        tuple(c for _, c in sorted(page, key=lambda ic: (ic[1].occurred_at, ic[0]), reverse=True))
        for page in pages.values()
    ]


def page_of(url: str | None, title: str, kind: str) -> tuple[str, str] | None:
    """Return what tells a change's page apart from others (its link, and a feed item's
    title), or None if nothing does (no link)."""
    if not url:
        return None
    return (url, title if kind == SourceKind.FEED else "")


def latest_per_page(changes: Iterable[ChangeView]) -> list[ChangeView]:
    """Keep only the latest version of each page (by URL); later input wins a tie."""
    return [page[0] for page in by_page(changes)]


def build_digest_sections(
    changes: Iterable[ChangeView],
    topics: Mapping[str, str],
    *,
    per_topic_limit: int = 20,
    more_url: Callable[[str], str | None] | None = None,
) -> list[DigestSection]:
    """Group a person's changes by topic, newest first, each page once, at most N per topic.

    A page changed more than once is shown in its latest version with its earlier changes
    beside it (``DigestItem.earlier``), and counts as that many changes. ``topics`` maps the
    person's topic slugs to titles, in the order the sections should appear. A page in several
    of the person's topics is shown under the first of them and names the others. Sections
    with more than ``per_topic_limit`` items keep a count of the changes left out and
    ``more_url(slug)`` (if given) so the mail can link to them instead of dropping them
    silently.
    """
    if per_topic_limit < 1:
        raise ValueError("per_topic_limit must be at least 1")
    grouped: dict[str, list[DigestItem]] = {slug: [] for slug in topics}
    for change, *earlier in by_page(changes):
        followed = [slug for slug in topics if slug in change.topic_slugs]
        if not followed:
            continue  # not one of this person's topics: never mail it
        first, others = followed[0], followed[1:]
        also_in = tuple(topics[slug] for slug in others)
        grouped[first].append(DigestItem(change, also_in, tuple(earlier)))
    sections: list[DigestSection] = []
    for slug, items in grouped.items():
        if not items:
            continue
        items.sort(key=lambda item: item.change.occurred_at, reverse=True)
        sections.append(
            DigestSection(
                topic_title=topics[slug],
                items=tuple(items[:per_topic_limit]),
                hidden=sum(item.times for item in items[per_topic_limit:]),
                more_url=more_url(slug) if more_url is not None else None,
            )
        )
    return sections
