"""Rendered mails kept for reuse: people with the same mail, language and topics share one.

A fan-out renders an alert once per (change, language, topic) and a digest run once per
(period, language, topics, changes); ``RenderedMail.personalise`` then makes each person's copy
in microseconds. The cache is bounded: a batch needs a handful of entries, not thousands.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from cachetools import LRUCache

from services.mailer.domain.mime import RenderedMail

CACHE_SIZE = 256


class RenderCache:
    """The most recently used rendered mails, by what makes two mails the same."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self._mails: LRUCache[Hashable, RenderedMail] = LRUCache(maxsize=size)

    def get(self, key: Hashable, render: Callable[[], RenderedMail]) -> RenderedMail:
        """Return the mail rendered for ``key``, rendering it first if it is not kept."""
        mail = self._mails.get(key)
        if mail is None:
            mail = self._mails[key] = render()
        return mail
