"""The publisher API's idempotency keys: a change pushed twice under one key is sent once, a key
is its publisher's own, and it is remembered for its configured days.

Real SQLite and PostgreSQL; the app over ASGI. What reaches the mailer is read from the outbox.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from shared.clock import FrozenClock
from tests.integration.admin.harness import running
from tests.integration.admin.publisher_support import (
    CHANGE,
    bearer,
    changes_sent,
    publisher_token,
)
from varsel.app import create_app


async def test_the_same_key_twice_sends_once_and_says_it_was_a_replay(
    database_url: str, tmp_path: Path
) -> None:
    async with running(database_url, tmp_path) as h:
        token = await publisher_token(h)
        async with h.client() as client:
            first = await client.post("/api/v1/changes", json=CHANGE, headers=bearer(token))
            again = await client.post("/api/v1/changes", json=CHANGE, headers=bearer(token))
            other = await client.post("/api/v1/changes", json=CHANGE, headers=bearer(token, "k2"))
        assert first.status_code == again.status_code == other.status_code == 202
        assert again.json()["change_id"] == first.json()["change_id"]
        assert again.json()["replayed"] is True and again.headers["Idempotent-Replayed"] == "true"
        assert other.json()["change_id"] != first.json()["change_id"]
        assert len(await changes_sent(h)) == 2


async def test_a_key_belongs_to_its_publisher_so_another_with_the_same_key_is_sent(
    database_url: str, tmp_path: Path
) -> None:
    # Two CMSs numbering their changes alike: neither may swallow (or refuse) the other's.
    async with running(database_url, tmp_path) as h:
        wordpress, drupal = await publisher_token(h), await publisher_token(h, "Drupal")
        other_change = {**CHANGE, "title": "Ny veileder"}
        async with h.client() as client:
            first = await client.post("/api/v1/changes", json=CHANGE, headers=bearer(wordpress))
            same = await client.post("/api/v1/changes", json=CHANGE, headers=bearer(drupal))
            other = await client.post("/api/v1/changes", json=other_change, headers=bearer(drupal))
            again = await client.post("/api/v1/changes", json=CHANGE, headers=bearer(wordpress))
        assert first.status_code == same.status_code == again.status_code == 202, same.text
        assert same.json()["replayed"] is False
        assert same.json()["change_id"] != first.json()["change_id"]
        assert other.status_code == 422  # Drupal's own key, reused for another change
        assert again.json()["change_id"] == first.json()["change_id"]
        assert len(await changes_sent(h)) == 2


async def test_the_same_key_raced_sends_once(database_url: str, tmp_path: Path) -> None:
    async with running(database_url, tmp_path) as h:
        token = await publisher_token(h)
        async with h.client() as client:
            answers = await asyncio.gather(
                *(
                    client.post("/api/v1/changes", json=CHANGE, headers=bearer(token, "race"))
                    for _ in range(8)
                )
            )
        assert [a.status_code for a in answers] == [202] * 8, [a.text for a in answers]
        assert len({a.json()["change_id"] for a in answers}) == 1
        assert sorted(a.json()["replayed"] for a in answers) == [False] + [True] * 7
        assert len(await changes_sent(h)) == 1


async def test_the_same_key_with_another_change_is_refused_and_sends_nothing_more(
    database_url: str, tmp_path: Path
) -> None:
    async with running(database_url, tmp_path) as h:
        token = await publisher_token(h)
        async with h.client() as client:
            await client.post("/api/v1/changes", json=CHANGE, headers=bearer(token))
            edited = {**CHANGE, "title": "Et annet navn"}
            answer = await client.post("/api/v1/changes", json=edited, headers=bearer(token))
        assert answer.status_code == 422
        assert "different change" in answer.json()["detail"]
        assert len(await changes_sent(h)) == 1


async def test_a_key_is_remembered_for_its_configured_days_then_sends_again(
    sqlite_url: str, tmp_path: Path
) -> None:
    clock = FrozenClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    async with running(sqlite_url, tmp_path, clock, publisher_key_retention_days=2) as h:
        token = await publisher_token(h)
        watcher_app = create_app(h.runtime, ("watcher",))
        housekeeping = watcher_app.state.housekeeping["watcher"]
        async with h.client() as client:
            first = await client.post("/api/v1/changes", json=CHANGE, headers=bearer(token))
            clock.advance(timedelta(days=2) - timedelta(minutes=1))
            assert (await housekeeping())["publisher_keys"] == 0
            kept = await client.post("/api/v1/changes", json=CHANGE, headers=bearer(token))
            clock.advance(timedelta(minutes=2))
            assert (await housekeeping())["publisher_keys"] == 1
            later = await client.post("/api/v1/changes", json=CHANGE, headers=bearer(token))
        if watcher_app.state.watcher is not None:
            await watcher_app.state.watcher.stop()
        assert kept.json()["replayed"] is True
        assert later.json()["replayed"] is False
        assert later.json()["change_id"] != first.json()["change_id"]
        assert len(await changes_sent(h)) == 2
