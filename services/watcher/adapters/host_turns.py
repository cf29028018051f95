"""Each host's turns: how many of its pages are asked at once, how far apart, and whether a
poll that met its deadline lost its time to the wait for a turn or to its own page (ADR 0026)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import TypeVar

from services.watcher.adapters.fetch_errors import FetchDeadline, FetchError

# The share of a hop's time a wait for its host's turn must take to be what its page lacked
# (HostTurns._turn_took): a wait of a few milliseconds behind a sibling is not.
TURN_SHARE = 0.1

_Answer = TypeVar("_Answer")


class NoTurn(FetchDeadline):
    """``deadline`` came while the fetch waited for ``host``'s turn, or after a turn it waited
    for came too late: the host's other fetches (``per_host`` at a time) held its turns for
    the time this one had, so its page was not asked, or not with the time it takes."""

    def __init__(self, host: str, url: str) -> None:
        super().__init__(f"{host}'s turns were taken until too late to fetch {url}")
        self.host = host


class HostTurns:
    """At most ``per_host`` requests to a host at a time, their starts ``min_gap_seconds``
    apart, each within twice ``timeout``."""

    def __init__(self, *, per_host: int, timeout: float, min_gap_seconds: float = 0.0) -> None:
        self._hosts: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(per_host)
        )
        self._min_gap = min_gap_seconds
        self._last_start: dict[str, float] = {}
        self._timeout = timeout

    async def _pace(self, host: str) -> None:
        loop = asyncio.get_running_loop()
        wait = self._last_start.get(host, 0.0) + self._min_gap - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        self._last_start[host] = loop.time()

    async def hop(
        self,
        host: str,
        url: str,
        ask: Callable[[str, dict[str, str]], Awaitable[_Answer]],
        headers: dict[str, str],
        deadline: float | None,
    ) -> _Answer:
        """Ask once (``ask(url, headers)``), in the host's turn, within twice the timeout and
        by ``deadline``.

        One timer a request: the poll's deadline and the request's own limit are folded into
        the earlier of the two, where a timeout around the whole fetch as well cost a second
        timer every poll (docs/benchmarks.md, «Watcher»). Only a wait for the host's turn,
        rare, has a timer of its own.

        ``deadline`` reached in a hop that waited for its turn raises NoTurn when the turn
        never came, or when the wait is what took the page's time (``_turn_took``): the host's
        other fetches spent it, not its page (a turn freed at the deadline comes with none).
        A hop that took its turn at once, or after a wait too short to matter, and ran past
        ``deadline`` is the page's own.
        """
        slot = self._hosts[host]
        waits = deadline is not None and slot.locked()
        loop = asyncio.get_running_loop()
        asked = loop.time() if waits else 0.0
        try:
            if waits:
                async with asyncio.timeout_at(deadline):
                    await slot.acquire()
            else:
                await slot.acquire()
        except TimeoutError as exc:
            raise NoTurn(host, url) from exc
        try:
            if self._min_gap > 0:
                await self._pace(host)
            turn = loop.time()
            limit = turn + self._timeout * 2
            ends_first = deadline is not None and deadline < limit
            try:
                # A deadline on this task, not wait_for's extra task per request.
                async with asyncio.timeout_at(deadline if ends_first else limit):
                    return await ask(url, headers)
            except TimeoutError as exc:
                if ends_first and waits and self._turn_took(asked, turn, deadline):
                    raise NoTurn(host, url) from exc
                if ends_first:
                    raise FetchDeadline(f"timed out fetching {url}") from exc
                raise FetchError(f"timed out after {self._timeout * 2:g}s fetching {url}") from exc
        finally:
            slot.release()

    def _turn_took(self, asked: float, turn: float, deadline: float | None) -> bool:
        """Tell whether the wait for a host's turn, from ``asked`` to ``turn``, is what left
        a hop that then met ``deadline`` too little time for its page.

        So it is when the hop had the request's own limit before it waited (the turn alone
        cut that short), or when the wait took a real share (TURN_SHARE) of the time it had.
        A poll that began late (it waited for a free slot of the process) and waited a moment
        behind a sibling had its time for its own page: had its page hung, put back at every
        lease, it would never be counted as failing (docs/decisions/0026).
        """
        if deadline is None:
            return False
        before = deadline - asked
        return before >= self._timeout * 2 or turn - asked >= before * TURN_SHARE
