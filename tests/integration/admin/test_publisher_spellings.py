"""A push names its watched source however its address is spelt, so review cannot be bypassed.

Real SQLite and PostgreSQL; the app over ASGI. The change that reaches the mailer is read from
the outbox: its ``source_url`` is what the mailer reads the source's review mode by.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from services.watcher.adapters.tables import WatchedSource
from tests.integration.admin.harness import TOPIC, Harness, running
from tests.integration.admin.publisher_support import bearer, changes_sent, publisher_token

MAINT = "https://example.org/maint"
BY_ID = "https://example.org/vis?id=3&del=1"


async def _watched(h: Harness, *urls: str) -> dict[str, int]:
    """Add sources to the watcher's table, as its sync of the catalogue does."""
    async with h.runtime.sessions() as session, session.begin():
        rows = [
            WatchedSource(url=url, kind="page", topics=[TOPIC], interval_seconds=900)
            for url in urls
        ]
        session.add_all(rows)
        await session.flush()
        return {row.url: row.id for row in rows}


@pytest.mark.parametrize(
    ("pushed", "named"),
    [
        (MAINT, MAINT),
        ("https://example.org/maint/", MAINT),
        ("HTTP://example.org/maint", MAINT),
        ("https://EXAMPLE.org:443/maint", MAINT),
        ("https://example.org/maint#top", MAINT),
        ("https://example.org/maint?utm=1", MAINT),  # a query on a page watched without one
        ("https://example.org/maint/?utm_source=nyhetsbrev&fbclid=x", MAINT),
        ("https://example.org/vis?del=1&id=3&utm_medium=e", BY_ID),
        ("https://example.org/vis/?id=3&del=1#svar", BY_ID),
        ("https://example.org/vis?id=4&del=1", None),  # another page of the same script
        ("https://example.org/maintenance", None),
        ("https://www.example.org/maint", None),  # another host
    ],
)
async def test_a_push_names_the_watched_page_its_address_spells(
    database_url: str, tmp_path: Path, pushed: str, named: str | None
) -> None:
    async with running(database_url, tmp_path) as h:
        ids = await _watched(h, "https://example.org/side", MAINT, BY_ID)
        # Both hosts on the token: which page a push names is asked here, not whose site it is.
        token = await publisher_token(h, sites=("example.org", "www.example.org"))
        change = {"topics": [TOPIC], "url": pushed, "title": "Vedlikehold"}
        async with h.client() as client:
            answer = await client.post("/api/v1/changes", json=change, headers=bearer(token))
        assert answer.status_code == 202, answer.text
        assert answer.json()["source_id"] == (ids[named] if named else None)
        [event] = await changes_sent(h)
        assert event.source_url == (named or event.url)
