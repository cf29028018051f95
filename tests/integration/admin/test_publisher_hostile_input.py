"""The publisher API against bodies a careless or hostile CMS sends: each is a 400 that says
why, nothing is sent, and no answer is a 500.

Real SQLite and PostgreSQL (PostgreSQL refuses a NUL in any text, SQLite keeps it); the app over
ASGI, which hands an error the app did not answer to the test, as a server's log would show it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from services.admin.adapters.tables import AdminAuditEntry
from tests.integration.admin.harness import running
from tests.integration.admin.publisher_support import CHANGE, bearer, changes_sent, publisher_token


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        # PostgreSQL refuses the NUL when the watched sources are searched for the page.
        ("https://example.org/side\x00", "control character"),
        ("https://example.org/si\x07de", "control character"),
        # Every follower would get the password in their alert, and the feed would show it.
        ("https://cms:hemmelig@example.org/side", "password"),
        # A direction override shows the address backwards: the alert names another page.
        ("https://example.org/\u202eedis", "invisible"),
        ("https://example.org/si\u200bde", "invisible"),
    ],
)
async def test_an_address_no_catalogue_may_hold_is_refused_and_sends_nothing(
    database_url: str, tmp_path: Path, url: str, reason: str
) -> None:
    async with running(database_url, tmp_path) as h:
        token = await publisher_token(h)
        async with h.client() as client:
            answer = await client.post(
                "/api/v1/changes", json={**CHANGE, "url": url}, headers=bearer(token)
            )
        assert answer.status_code == 400, answer.text
        problems = {p["field"]: p["reason"] for p in answer.json()["errors"]}
        assert reason in problems["url"], problems
        assert "hemmelig" not in answer.text
        assert await changes_sent(h) == []
        async with h.runtime.sessions() as session:
            assert (await session.scalars(select(AdminAuditEntry.action))).all() == []
