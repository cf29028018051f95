"""Polls put back because their host's other polls held its turns for the time they had.

Such a poll asked its page nothing, or not with the time the page takes: the host's turns
(VARSEL_PER_HOST_CONCURRENCY) went to other sources until then, so it is no failure of its
source (handlers.poll puts it back). A site with more sources than its turns serve in a poll's
window misses turns at every pass, so operators are told once a host, then once an hour while
it lasts, not at every poll; ``varsel_sources_poll_lag_seconds`` in /metrics says how late
polls are.
"""

from __future__ import annotations

import logging
import time

log = logging.getLogger(__name__)

REPEAT_SECONDS = 3600.0


class MissedTurns:
    """Which hosts' polls this process put back, told to operators sparingly."""

    __slots__ = ("_told",)

    def __init__(self) -> None:
        # Per host: when operators were last told, and the polls put back since.
        self._told: dict[str, tuple[float, int]] = {}

    def put_back(self, host: str, url: str, within: float) -> None:
        """Note that the poll of ``url`` was put back: other polls held ``host``'s turns for
        the time it had (``within`` seconds from its claim)."""
        now = time.monotonic()
        told = self._told.get(host)
        if told is None:
            log.warning(
                "watcher: the poll of %s was put back: other polls held the turns on %s for the"
                " time it had (%gs from its claim), so it asked the page nothing, or not in time."
                " No failure of the source, which is polled again when its lease ends. If polls"
                " on %s keep being put back (said again once an hour), the site has more sources"
                " than its turns serve in that time: raise VARSEL_PER_HOST_CONCURRENCY if the"
                " site can take it, or lengthen its sources' intervals;"
                " varsel_sources_poll_lag_seconds in /metrics says how late polls are",
                url,
                host,
                within,
                host,
            )
            self._told[host] = (now, 0)
            return
        at, since = told
        if now - at < REPEAT_SECONDS:
            self._told[host] = (at, since + 1)
            return
        log.warning(
            "watcher: %d more polls on %s were put back since the last such line, other polls"
            " holding the host's turns for the time they had (%gs from their claim); no"
            " failures, polled again when their lease ends. The site has more sources than its"
            " VARSEL_PER_HOST_CONCURRENCY turns serve in that time",
            since + 1,
            host,
            within,
        )
        self._told[host] = (now, 0)
