"""What the API tests share: a change to push, a publisher's token and a staff member's, and what
reached the mailer."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import select

from services.admin.adapters import publisher_tokens
from services.admin.domain.accounts import digest
from services.admin.publishing import PREFIX, issue
from services.watcher.adapters.tables import WatchedSource
from shared.events import ContentChanged, decode_event
from shared.outbox import OutboxRow
from tests.integration.admin.harness import TOPIC, Harness

WATCHED = "https://example.org/side"
CHANGE: dict[str, Any] = {
    "topics": [TOPIC],
    "url": WATCHED,
    "title": "Ny rapport om global helse",
    "note": "Kapittel 3 er skrevet om etter høringen.",
}


SITES = ("example.org",)  # WATCHED's


async def publisher_token(
    h: Harness, name: str = "WordPress", sites: tuple[str, ...] = SITES
) -> str:
    async with h.runtime.sessions() as session, session.begin():
        _, token = await issue(session, name, "operatør", h.runtime.clock.now(), sites=sites)
    return token


async def token_before_sites(h: Harness, name: str = "Gammel CMS") -> str:
    """Return a token as one issued before tokens had sites is stored: with none (every site)."""
    token = f"{PREFIX}{secrets.token_urlsafe(32)}"
    async with h.runtime.sessions() as session, session.begin():
        now = h.runtime.clock.now()
        await publisher_tokens.add(session, name, digest(token), "operatør", now, None)
    return token


def bearer(token: str, key: str | None = "key-1") -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return headers


async def staff_bearer(h: Harness) -> dict[str, str]:
    """Return the headers of the admin API for «ops», an account the test has made."""
    _, token = await h.token("ops")
    return {"Authorization": f"Bearer {token}"}


async def changes_sent(h: Harness) -> list[ContentChanged]:
    async with h.runtime.sessions() as session:
        rows = await session.scalars(
            select(OutboxRow).where(OutboxRow.event_type == ContentChanged.type_name())
        )
        events = [decode_event(row.event_type, row.payload) for row in rows]
    return [e for e in events if isinstance(e, ContentChanged)]


async def watched_source(h: Harness) -> int:
    """Add the catalogue's source to the watcher's table, as its first sync does."""
    async with h.runtime.sessions() as session, session.begin():
        row = WatchedSource(url=WATCHED, kind="page", topics=[TOPIC], interval_seconds=900)
        session.add(row)
        await session.flush()
        return row.id
