"""An editor signed in at the admin's sources and topics, with the catalogue stored as start-up
stores it, and a form sent from the sources page as a browser sends it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from services.admin import catalogue as commands
from services.watcher.adapters.tables import WatchedSource
from services.watcher.command_api import Push, publish_change
from tests.integration.admin.harness import TOPIC, Harness, csrf_token, running, sign_in

KNOWN = "https://example.org/side"  # the harness catalogue's one source


@asynccontextmanager
async def signed_in_editor(
    url: str, tmp_path: Path, **settings: Any
) -> AsyncIterator[tuple[Harness, httpx.AsyncClient]]:
    """A harness with the catalogue stored as start-up stores it, and an editor signed in."""
    async with running(url, tmp_path, **settings) as h:
        await commands.apply_at_start(
            h.runtime.sessions,
            tmp_path / "catalogue.toml",
            h.runtime.clock.now(),
            allow_private=True,
        )
        await h.user("ed", "editor")
        async with h.client() as client:
            await sign_in(client, "ed")
            yield h, client


async def post_from_sources(
    client: httpx.AsyncClient, path: str, data: dict[str, object]
) -> httpx.Response:
    """Send a form to path with the sources page's CSRF token, as the page's forms send it."""
    page = await client.get("/admin/sources?lang=en")
    assert page.status_code == 200
    return await client.post(f"{path}?lang=en", data={**data, "csrf_token": csrf_token(page.text)})


async def pushed_after_a_told_change(h: Harness, now: datetime, notes: dict[str, str]) -> None:
    """Watch the source, a change of it told five minutes before ``now``; then push for it,
    once per key in ``notes`` with its note: each waits for the page to be read."""
    async with h.runtime.sessions() as session, session.begin():
        session.add(
            WatchedSource(
                url=KNOWN,
                kind="page",
                topics=[TOPIC],
                interval_seconds=900,
                status="ok",
                active=True,
                last_changed_at=now - timedelta(minutes=5),
            )
        )
    for key, note in notes.items():
        await push_for_the_source(h, now, key, note)


async def push_for_the_source(h: Harness, now: datetime, key: str, note: str) -> None:
    """Push a change for the source as its CMS does, under the idempotency key ``key``."""
    push = Push(topics=(TOPIC,), url=KNOWN, title="Side", note=note, minor=False)
    async with h.runtime.sessions() as session, session.begin():
        await publish_change(session, push, key, "cms", now)
