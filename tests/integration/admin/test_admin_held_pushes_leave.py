"""Pushes that wait for a watched page to be read (docs/publishing.md, «A push for an edit told
already») are never left waiting for a poll that will not come: pausing the source sends them
as they came, and so does removing it (or saving it under another address), as a push just
after the removal is sent. A review source's would have waited on the desk, which the removal
clears: those are withdrawn after the editor was asked, each kept on the desk and in the audit
log as withdrawn. Ending a source's review mode puts the pushes taken in under it on the desk.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from services.admin.adapters.tables import AdminAuditEntry
from services.mailer.adapters.tables import ChangeRecord, Delivery
from services.watcher.adapters.tables import WatchedSource
from shared.clock import FrozenClock
from shared.outbox import OutboxRow
from tests.integration.admin.desk_support import PERSON, desk_running, relay
from tests.integration.admin.harness import TOPIC, Harness, csrf_token, sign_in
from tests.integration.admin.sources_support import (
    KNOWN,
    post_from_sources,
    push_for_the_source,
    pushed_after_a_told_change,
    signed_in_editor,
)

NOW = datetime(2026, 11, 17, 9, 30, tzinfo=UTC)
ASKED = "has changes its publisher pushed that wait for varsel to read the page (2)"
REVIEWED = "review, so these would have waited on the desk: "
# The two pushes waiting, for one edit of the page, are sent as one change, both notes kept.
JOINED = "Nytt k2.\n\nNytt k1."
ON_DESK = "One change from the publishing system now waits on the editor"


@asynccontextmanager
async def _held_twice(
    database_url: str, tmp_path: Path, *, review: bool = False
) -> AsyncIterator[tuple[Harness, httpx.AsyncClient]]:
    """An editor signed in (the source in review mode, if ``review``); two pushes for the source
    wait for its page to be read."""
    async with signed_in_editor(database_url, tmp_path, clock=FrozenClock(NOW)) as (h, client):
        if review:
            await _to_review(client)
        await pushed_after_a_told_change(h, NOW, {"k1": "Nytt k1.", "k2": "Nytt k2."})
        assert await _sent(h) == []
        yield h, client


async def _to_review(client: httpx.AsyncClient) -> None:
    """Put the source in review mode through the sources form, as an editor does."""
    form = {"original": KNOWN, "url": KNOWN, "kind": "page", "topics": TOPIC, "mode": "review"}
    saved = await post_from_sources(client, "/admin/sources", form)
    assert saved.status_code == 303, saved.text


async def _sent(h: Harness) -> list[str]:
    """Return the notes of the changes in the outbox, as the mailer will read them."""
    async with h.runtime.sessions() as session:
        rows = await session.scalars(
            select(OutboxRow.payload).where(OutboxRow.event_type.like("content.changed%"))
        )
        return sorted(json.loads(payload)["note"] for payload in rows.all())


async def _row(h: Harness) -> WatchedSource:
    async with h.runtime.sessions() as session:
        return (await session.scalars(select(WatchedSource))).one()


async def test_pausing_a_source_sends_the_pushes_that_waited_for_its_page(
    database_url: str, tmp_path: Path
) -> None:
    async with _held_twice(database_url, tmp_path) as (h, client):
        paused = await post_from_sources(
            client, "/admin/sources/pause", {"url": KNOWN, "paused": "true"}
        )
        assert paused.status_code == 303, paused.text

        assert await _sent(h) == [JOINED]
        row = await _row(h)
        assert row.held_pushes is None and not row.active
        # A push that comes before the watcher follows the catalogue is sent at once too.
        await push_for_the_source(h, NOW, "k3", "Nytt k3.")
        assert await _sent(h) == [JOINED, "Nytt k3."]
        assert (await _row(h)).held_pushes is None


async def test_removing_a_source_sends_the_pushes_that_waited_for_its_page(
    database_url: str, tmp_path: Path
) -> None:
    async with _held_twice(database_url, tmp_path) as (h, client):
        # Nothing is withdrawn, so nothing is asked: the publisher's reports are told.
        removed = await post_from_sources(client, "/admin/sources/remove", {"url": KNOWN})
        assert removed.status_code == 303, removed.text

        await _sent_as_they_came(h)
        # As a push that comes after the removal is, for a page nobody watches.
        await push_for_the_source(h, NOW, "k3", "Nytt k3.")
        assert await _sent(h) == [JOINED, "Nytt k3."]
        assert (await _row(h)).held_pushes is None


async def test_saving_a_source_under_another_address_sends_them(
    database_url: str, tmp_path: Path
) -> None:
    form = {"url": KNOWN + "/ny", "kind": "page", "topics": TOPIC, "original": KNOWN}
    async with _held_twice(database_url, tmp_path) as (h, client):
        saved = await post_from_sources(client, "/admin/sources", form)
        assert saved.status_code == 303, saved.text
        await _sent_as_they_came(h)


async def test_the_pushes_a_removal_sends_alert_the_followers_as_a_push_after_it_would(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with desk_running(sqlite_url, tmp_path) as h:
        await h.sign_up(PERSON, frequency="immediate")
        await h.confirm(PERSON)
        await h.user("ed", "editor")
        await pushed_after_a_told_change(h, h.runtime.clock.now(), {"k1": "Nytt k1."})
        async with h.client() as client:
            await sign_in(client, "ed")
            removed = await post_from_sources(client, "/admin/sources/remove", {"url": KNOWN})
        assert removed.status_code == 303, removed.text
        await relay(h)

        async with h.runtime.sessions() as session:
            changes = (await session.scalars(select(ChangeRecord))).all()
            kinds = set((await session.scalars(select(Delivery.kind))).all())
        assert [(c.note, c.status) for c in changes] == [("Nytt k1.", "published")]
        assert kinds == {"confirm", "alert"}


async def _sent_as_they_came(h: Harness) -> None:
    assert await _sent(h) == [JOINED]
    row = await _row(h)
    assert row.held_pushes is None and not row.active
    async with h.runtime.sessions() as session:
        assert (await session.scalars(select(ChangeRecord))).all() == []  # none withdrawn
        withdrawals = select(AdminAuditEntry).where(AdminAuditEntry.action == "change_withdrawn")
        assert (await session.scalars(withdrawals)).all() == []


async def test_removing_a_review_source_asks_first_then_withdraws_the_pushes_that_waited(
    database_url: str, tmp_path: Path
) -> None:
    async with _held_twice(database_url, tmp_path, review=True) as (h, client):
        asked = await post_from_sources(client, "/admin/sources/remove", {"url": KNOWN})
        assert asked.status_code == 200 and ASKED in asked.text and REVIEWED in asked.text
        assert "waiting on the editor's desk" not in asked.text  # none is on the desk
        assert (await _row(h)).held_pushes is not None, "asking withdraws nothing"

        removed = await client.post(
            "/admin/sources/remove?lang=en",
            data={"csrf_token": csrf_token(asked.text), "url": KNOWN, "withdraw": "yes"},
        )
        assert removed.status_code == 303, removed.text
        await _withdrawn_by_the_editor(h)


async def test_saving_a_review_source_under_another_address_asks_first_then_withdraws_them(
    database_url: str, tmp_path: Path
) -> None:
    form = {"url": KNOWN + "/ny", "kind": "page", "topics": TOPIC, "original": KNOWN}
    form["mode"] = "review"
    async with _held_twice(database_url, tmp_path, review=True) as (h, client):
        asked = await post_from_sources(client, "/admin/sources", form)
        assert asked.status_code == 200 and ASKED in asked.text and REVIEWED in asked.text
        saved = await client.post(
            "/admin/sources?lang=en",
            data={**form, "csrf_token": csrf_token(asked.text), "withdraw": "yes"},
        )
        assert saved.status_code == 303, saved.text
        await _withdrawn_by_the_editor(h)


async def _withdrawn_by_the_editor(h: Harness) -> None:
    assert await _sent(h) == []  # nobody is alerted
    row = await _row(h)
    assert row.held_pushes is None and not row.active
    async with h.runtime.sessions() as session:
        changes = (await session.scalars(select(ChangeRecord))).all()
        audited = (
            await session.scalars(
                select(AdminAuditEntry).where(AdminAuditEntry.action == "change_withdrawn")
            )
        ).all()
    assert sorted(c.note or "" for c in changes) == ["Nytt k1.", "Nytt k2."]
    assert {(c.status, c.decided_by) for c in changes} == {("withdrawn", "ed")}
    assert sorted(a.target for a in audited) == sorted(str(c.id) for c in changes)
    assert {a.actor for a in audited} == {"ed"}


async def test_ending_review_puts_the_pushes_taken_in_under_it_on_the_desk(
    database_url: str, tmp_path: Path
) -> None:
    form = {"original": KNOWN, "url": KNOWN, "kind": "page", "topics": TOPIC}
    async with _held_twice(database_url, tmp_path, review=True) as (h, client):
        saved = await post_from_sources(client, "/admin/sources", {**form, "mode": "automatic"})
        # A redirect, so a reload reads the list and does not send the form again.
        assert saved.status_code == 303, saved.text
        # The editor is told where the pushes went, on the page the redirect leads to.
        shown = await client.get(saved.headers["location"])
        assert shown.status_code == 200
        assert 'role="status"' in shown.text and 'id="to-desk"' in shown.text
        assert ON_DESK in shown.text and 'href="/admin/desk' in shown.text
        assert "minor change" not in shown.text

        assert await _sent(h) == []  # nobody is alerted unseen, now or when the page is read
        row = await _row(h)
        assert row.held_pushes is None and row.active
        async with h.runtime.sessions() as session:
            changes = (await session.scalars(select(ChangeRecord))).all()
        assert [(c.note, c.status) for c in changes] == [(JOINED, "waiting")]


@pytest.mark.parametrize(("lang", "said"), [("nb", "Ett varsel fra"), ("nn", "Eitt varsel frå")])
async def test_the_editor_is_told_in_their_language_and_only_when_pushes_went_to_the_desk(
    database_url: str, tmp_path: Path, lang: str, said: str
) -> None:
    form = {"original": KNOWN, "url": KNOWN, "kind": "page", "topics": TOPIC, "mode": "review"}
    async with signed_in_editor(database_url, tmp_path, clock=FrozenClock(NOW)) as (h, client):
        await _to_review(client)
        await _to_automatic(client, form, lang)  # nothing waited: the list says nothing more
        await _to_review(client)
        await pushed_after_a_told_change(h, NOW, {"k1": "Nytt k1."})
        ended = await _to_automatic(client, form, lang, told=True)
    assert f"{said} publiseringsl" in ended and "redaksjonsdesken" in ended


async def _to_automatic(
    client: httpx.AsyncClient, form: dict[str, str], lang: str, *, told: bool = False
) -> str:
    """Save the form in automatic mode; return the page its redirect leads to."""
    page = await client.get(f"/admin/sources?lang={lang}")
    data = {**form, "mode": "automatic", "csrf_token": csrf_token(page.text)}
    saved = await client.post(f"/admin/sources?lang={lang}", data=data)
    assert saved.status_code == 303, saved.text
    assert f"lang={lang}" in saved.headers["location"]
    shown = await client.get(saved.headers["location"])
    assert shown.status_code == 200
    assert ('id="to-desk"' in shown.text) is told
    return shown.text
