"""Whether a change no watched source claims must wait for review, by the topics it names.

A CMS may push a change for an address no source watches (a new page, a spelling no match
finds) to a topic whose every source an editor put in review mode. That editor expects nothing
about the topic to reach its followers unseen, so such a change waits on the desk too.
"""

from __future__ import annotations

from collections.abc import Iterable

from shared.catalogue import Catalogue
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
