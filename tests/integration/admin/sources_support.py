"""An editor signed in at the admin's sources and topics, with the catalogue stored as start-up
stores it, and a form sent from the sources page as a browser sends it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from services.admin import catalogue as commands
from tests.integration.admin.harness import Harness, csrf_token, running, sign_in

KNOWN = "https://example.org/side"  # the harness catalogue's one source


@asynccontextmanager
async def signed_in_editor(
    url: str, tmp_path: Path, **settings: Any
) -> AsyncIterator[tuple[Harness, httpx.AsyncClient]]:
    """A harness with the catalogue stored as start-up stores it, and an editor signed in."""
    async with running(url, tmp_path, **settings) as h:
        await commands.apply_at_start(
            h.runtime.sessions, tmp_path / "catalogue.toml", h.runtime.clock.now()
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
