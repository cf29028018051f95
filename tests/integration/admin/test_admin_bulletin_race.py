"""Sending one bulletin: two presses of «Send» at the same moment, by two editors, send it once
and the audit log claims only the words that went out; a conflict of any other kind, or a
bulletin id the browser chose, is never taken for a send that happened."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from services.admin import bulletins
from services.admin.domain.bulletin_draft import BulletinDraft
from tests.integration.admin.bulletins_support import editor, events, form
from tests.integration.admin.harness import another_editor, running, sign_in
from tests.integration.admin.test_admin_bulletins import STAFF_ADDRESS, audit


async def test_two_sends_of_one_bulletin_at_once_send_it_once(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked = bulletins.already_sent
    both_checked = asyncio.Barrier(2)

    async def together(session: object, draft: BulletinDraft) -> bool:
        # Each press has found the bulletin unsent before either goes on to send it.
        seen = await checked(session, draft)  # type: ignore[arg-type]
        await both_checked.wait()
        return seen

    monkeypatch.setattr(bulletins, "already_sent", together)
    async with running(database_url, tmp_path) as h, h.client() as rita:
        page = await editor(h, rita, address=None)
        async with another_editor(h) as kari:
            other = (await kari.get("/admin/bulletins")).text
            mine = form(page, subject_nb="Ord fra Rita")
            theirs = {**form(other, subject_nb="Ord fra Kari"), "bulletin_id": mine["bulletin_id"]}
            answers = await asyncio.gather(
                rita.post("/admin/bulletins", data=mine),
                kari.post("/admin/bulletins", data=theirs),
            )
            listed = await rita.get("/admin/bulletins")

    assert sorted(a.status_code for a in answers) == [200, 409]
    refused = next(a for a in answers if a.status_code == 409)
    assert "sendt allerede" in refused.text
    (event,) = await events(h, "bulletin.published.v1")
    (entry,) = await audit(h, "bulletin_sent")
    assert entry.target == mine["bulletin_id"] == event["bulletin_id"]
    sent_words = event["texts"]["nb"]["subject"]  # type: ignore[index]
    assert entry.details is not None and entry.details["subject_nb"] == sent_words
    assert entry.actor == ("rita" if sent_words == "Ord fra Rita" else "kari")
    assert listed.text.count(mine["bulletin_id"]) <= 1
    assert listed.text.count(str(sent_words)) == 1, "the sent list shows the bulletin once"


async def test_a_bulletin_id_that_is_another_events_id_is_sent_all_the_same(
    database_url: str, tmp_path: Path
) -> None:
    # The form's bulletin id is the browser's to choose: here a test's id, which the audit log
    # shows. It neither stops the send nor makes it read as sent before.
    async with running(database_url, tmp_path) as h, h.client() as rita:
        page = await editor(h, rita, address=STAFF_ADDRESS)
        assert (await rita.post("/admin/bulletins", data=form(page, action="test"))).is_success
        (tested,) = await audit(h, "bulletin_tested")
        assert tested.details is not None
        forged = str(tested.details["request"])
        sent = await rita.post("/admin/bulletins", data=form(page, bulletin_id=forged))
        assert sent.status_code == 200, sent.text
        (event,) = await events(h, "bulletin.published.v1")
        assert event["bulletin_id"] == forged != event["event_id"]
        (entry,) = await audit(h, "bulletin_sent")
        assert entry.target == forged


async def test_another_conflict_on_a_send_is_no_already_sent(
    database_url: str, tmp_path: Path
) -> None:
    async with running(database_url, tmp_path) as h:
        async with h.client() as rita:
            page = await editor(h, rita, address=None)
            assert (await rita.post("/admin/bulletins", data=form(page))).status_code == 200
        # The database refuses a second bulletin_sent entry of any bulletin: a conflict that
        # is not another send of this one.
        async with h.runtime.sessions() as session, session.begin():
            await session.execute(
                text(
                    "CREATE UNIQUE INDEX one_bulletin_sent ON admin_audit_log (action)"
                    " WHERE action = 'bulletin_sent'"
                )
            )
        transport = httpx.ASGITransport(app=h.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url=rita.base_url) as browser:
            assert (await sign_in(browser, "rita")).status_code == 303
            other = (await browser.get("/admin/bulletins")).text
            failed = await browser.post("/admin/bulletins", data=form(other, subject_nb="Ny"))
        assert failed.status_code == 500
        assert "sendt allerede" not in failed.text
        (event,) = await events(h, "bulletin.published.v1")
        assert event["texts"]["nb"]["subject"] == "Stengt i julen"  # type: ignore[index]
