"""Pushes from a publisher's CMS, and a watched page to push for, for the watcher's tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent import futures
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.util import await_

from services.watcher import handlers
from services.watcher.command_api import Push, publish_change
from services.watcher.domain.outcome import SourceState
from services.watcher.handlers import poll
from shared.db import create_engine
from tests.integration.watcher.conftest import Harness
from tests.integration.watcher.pages import NEW_PARAGRAPH, page
from tests.integration.watcher.server import Route, ScriptedSite

LATER_PARAGRAPH = (
    "<h2>Tørke i innlandet</h2><p>Mattilsynet ber bærplukkere i Innlandet om å vente med "
    "tyttebærene til etter regnet i september.</p>"
)


async def push(
    harness: Harness,
    url: str,
    key: str,
    note: str = "Nytt om revebjelle.",
    *,
    minor: bool = False,
    topics: tuple[str, ...] = ("tema",),
    publisher: str = "cms",
    sessions: async_sessionmaker[AsyncSession] | None = None,
) -> None:
    """Push a change for ``url`` as the CMS does, with its idempotency key (on ``sessions``,
    if given, else on the watcher's)."""
    change = Push(topics=topics, url=url, title="Blåbær", note=note, minor=minor)
    async with (sessions or harness.deps.sessions)() as session, session.begin():
        await publish_change(session, change, key, publisher, harness.clock.now())


async def watched(site: ScriptedSite, harness: Harness) -> int:
    """Serve the test page at /p, watch it and take its baseline; return the source's id."""
    site.set("/p", Route(page().encode()))
    source = await harness.add_source(site.url("/p"))
    assert await poll(harness.deps, source) == "baseline"
    return source


async def told_then_down(site: ScriptedSite, harness: Harness) -> int:
    """Watch the page, tell an edit of it, then have it answer 503: pushes after it are held."""
    source = await watched(site, harness)
    harness.clock.advance(timedelta(hours=1))
    site.set("/p", Route(page(NEW_PARAGRAPH).encode()))
    assert await poll(harness.deps, source) == "changed"
    site.set("/p", Route(b"Service Unavailable", status=503))
    return source


# How long a push racing a poll may take to wait on the poll's lock (or to be done).
RACE_TIMEOUT = 10.0


def pushed_while_stored(
    harness: Harness,
    monkeypatch: pytest.MonkeyPatch,
    url: str,
    key: str,
    note: str,
    when: Callable[[SourceState], bool] = lambda _: True,
) -> list[asyncio.Future[None]]:
    """Have the CMS push for ``url`` between the next poll's read of its row and its write.

    Once, at the first poll whose row as read meets ``when``. Returns the push, to be awaited
    once that poll is done: it waits for the poll's commit if the poll holds the row's lock.
    """
    loop = asyncio.get_running_loop()
    real_decide = handlers.decide
    pushed: list[asyncio.Future[None]] = []

    def decide(state: SourceState, *args: Any, **kwargs: Any) -> Any:
        if when(state) and not pushed:
            if harness.deps.sqlite:
                # The poll decides inside its transaction, on the event loop (a small page's)
                # or on the worker thread: the push comes from a thread and a connection of
                # its own, as another process's would.
                elsewhere = futures.ThreadPoolExecutor(1, thread_name_prefix="cms")
                sent = elsewhere.submit(asyncio.run, _push_elsewhere(harness, url, key, note))
                elsewhere.shutdown(wait=False)
                # Given the time to commit, unless it waits for the poll's write lock.
                futures.wait([sent], timeout=2)
                pushed.append(asyncio.wrap_future(sent, loop=loop))
            else:
                # PostgreSQL: the poll decides in a greenlet on the loop, so the push runs only
                # while this waits, until it is seen waiting on the row's lock (or is done).
                task = loop.create_task(push(harness, url, key, note))
                await_(_blocked_or_done(harness, task))
                pushed.append(task)
        return real_decide(state, *args, **kwargs)

    monkeypatch.setattr(handlers, "decide", decide)
    return pushed


async def _push_elsewhere(harness: Harness, url: str, key: str, note: str) -> None:
    """Push on an engine of its own (for another thread's event loop)."""
    engine = create_engine(harness.engine.url.render_as_string(hide_password=False))
    try:
        await push(harness, url, key, note, sessions=async_sessionmaker(engine))
    finally:
        await engine.dispose()


async def _blocked_or_done(harness: Harness, task: asyncio.Task[None]) -> None:
    """Return once ``task`` is done or a session of the test's database waits on a lock."""
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    deadline = asyncio.get_running_loop().time() + RACE_TIMEOUT
    while not task.done():
        async with harness.engine.connect() as conn:
            if (await conn.execute(waiting)).scalar_one():
                return
        assert asyncio.get_running_loop().time() < deadline, "the push neither waited nor ended"
        await asyncio.sleep(0.01)
