"""Two presses of «Send» for one bulletin at the same moment, by two editors: one is sent, the
other is refused, and the audit log claims only the words that went out."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from services.admin import bulletins
from services.admin.domain.bulletin_draft import BulletinDraft
from tests.integration.admin.bulletins_support import editor, events, form
from tests.integration.admin.harness import another_editor, running
from tests.integration.admin.test_admin_bulletins import audit


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
