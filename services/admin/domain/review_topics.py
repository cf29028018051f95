"""Whether a change no watched source claims exactly must wait for review.

A CMS may push a change for an address no source watches (a new page, a spelling no match
finds) to a topic whose every source an editor put in review mode. That editor expects nothing
about the topic to reach its followers unseen, so such a change waits on the desk too. So does
one at the place of a review source whatever its query: a review page's address with one more
parameter (``/side?id=3&lang=en``) is that page as likely as another.
"""

from __future__ import annotations

from collections.abc import Iterable

from shared.catalogue_entries import Catalogue
from shared.page_urls import NotAWebAddress, page_key
from shared.vocabulary import ReviewMode


def reviewed_topics(catalogue: Catalogue, topics: Iterable[str]) -> list[str]:
    """Return those of ``topics`` that have sources, all of them in review mode, in order."""
    wanted = list(dict.fromkeys(topics))
    modes: dict[str, set[ReviewMode]] = {slug: set() for slug in wanted}
    for source in catalogue.sources:
        for slug in source.topics:
            if slug in modes:
                modes[slug].add(source.mode)
    return [slug for slug in wanted if modes[slug] == {ReviewMode.REVIEW}]


def mode_by_topics(catalogue: Catalogue, topics: Iterable[str]) -> ReviewMode | None:
    """Return review if one of the topics is fed only by review sources, else None (unknown).

    One such topic holds the whole change, also for its other topics' followers: a delay for
    them is better than an unreviewed alert about a topic its editor reviews.
    """
    return ReviewMode.REVIEW if reviewed_topics(catalogue, topics) else None


def mode_by_place(catalogue: Catalogue, url: str) -> ReviewMode | None:
    """Return review if a review source is at the address's place (host and path), else None.

    The query is left out on purpose: which parameters make another page is the site's secret.
    """
    try:
        place = page_key(url).place
    except NotAWebAddress:
        return None
    for source in catalogue.sources:
        if source.mode == ReviewMode.REVIEW:
            try:
                if page_key(source.url).place == place:
                    return ReviewMode.REVIEW
            except NotAWebAddress:  # the catalogue refuses such an address; one left is no match
                continue
    return None
