"""The editor's desk over HTTP: a review source's change waits, an editor decides, the log says so.

A real database (SQLite, and PostgreSQL for the race), the app with the public pages, the admin
and the mailer, driven over ASGI as a browser would (tests/integration/admin/desk_support.py).
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from sqlalchemy import func, select

from services.admin import read_api as admin_read
from services.mailer.adapters.tables import Delivery
from tests.integration.admin.desk_support import (
    SOURCE,
    audit,
    decide,
    desk_running,
    detected,
    editor_at_desk,
    relay,
    released,
    to_review,
)
from tests.integration.admin.harness import OTHER, TOPIC, Harness, csrf_token, sign_in
from tests.support.catalogues import apply_file
from tests.support.form_errors import field_marks, summary_links


async def _count(h: Harness, table: type[Delivery]) -> int:
    async with h.runtime.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def test_an_editor_approves_a_held_change_with_a_note_and_the_log_records_it(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with editor_at_desk(sqlite_url, tmp_path, follower="daily") as (h, client):
        change_id = await detected(h)
        assert await released(h) == 0, "nothing is owed before approval"

        listing = await client.get("/admin/desk?lang=en")
        assert listing.status_code == 200
        assert "Ny veileder" in listing.text and "Waiting for review" in listing.text
        page = await client.get(f"/admin/desk/{change_id}?lang=en")
        assert page.status_code == 200
        assert "Generert sammendrag." in page.text
        assert '<th scope="row">Daily</th><td>1</td>' in page.text
        assert '<th scope="row">In all</th><td>1</td>' in page.text

        approved = await decide(client, change_id, "approve", "Fristen er flyttet.")
        assert approved.status_code == 303, approved.text
        after = await client.get(approved.headers["location"])
        assert "Approved and being sent" in after.text and "Fristen er flyttet." in after.text
        assert 'name="decision"' not in after.text, "a decided change has no form"
        await relay(h)  # the approval's event reaches the mailer, which fans it out
        assert await released(h) == 1
        for language, sent in (
            ("en", "Approved and sent"),
            ("nb", "Godkjent og sendt ut"),
            ("nn", "Godkjend og send ut"),
        ):
            shown = await client.get(f"/admin/desk/{change_id}?lang={language}")
            assert sent in shown.text, language
            listed = await client.get(f"/admin/desk?lang={language}")
            assert sent in listed.text, language

        again = await decide(client, change_id, "approve", "Igjen", version="1")
        assert again.status_code == 409
        assert "Another editor decided on this change first" in again.text
        await relay(h)
        assert await released(h) == 1

        (entry,) = await audit(h, "change_approved")
        assert (entry.actor, entry.target) == ("ed", str(change_id))
        assert entry.details == {"version": 1}
        (refused,) = await audit(h, "change_decision_refused")
        assert refused.details == {"reason": "already_decided"}
        assert "ed" in {e.actor for e in await audit(h, "catalogue_")}, "the switch is audited"


async def test_two_editors_deciding_at_once_one_wins_the_other_gets_409(
    database_url: str, tmp_path: Path
) -> None:
    async with desk_running(database_url, tmp_path) as h:
        await h.user("ed", "editor")
        await h.user("op", "operator")
        async with h.client() as first, h.client() as second:
            await sign_in(first, "ed")
            await sign_in(second, "op")
            await to_review(h, first)
            change_id = await detected(h)
            pages = [await c.get(f"/admin/desk/{change_id}?lang=en") for c in (first, second)]
            answers = await asyncio.gather(
                *(
                    client.post(
                        f"/admin/desk/{change_id}?lang=en",
                        data={
                            "csrf_token": csrf_token(page.text),
                            "decision": decision,
                            "version": "0",
                            "note": "",
                        },
                    )
                    for client, page, decision in (
                        (first, pages[0], "approve"),
                        (second, pages[1], "minor"),
                    )
                )
            )
        assert sorted(a.status_code for a in answers) == [303, 409]
        actions = [e.action for e in await audit(h, "change_")]
        assert actions.count("change_decision_refused") == 1
        assert len([a for a in actions if a in {"change_approved", "change_minor"}]) == 1


async def test_bad_decisions_are_refused_with_a_reason_and_change_nothing(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with editor_at_desk(sqlite_url, tmp_path) as (h, client):
        change_id = await detected(h)
        assert (await decide(client, change_id, "publish", "")).status_code == 400
        assert (await decide(client, change_id, "approve", "", version="x")).status_code == 400
        too_long = await decide(client, change_id, "approve", "x" * 5001)
        assert too_long.status_code == 400
        assert "longer than 5,000 characters" in too_long.text
        # Beside the note, which it describes, linked from the summary that takes the focus.
        marks = field_marks(too_long.text, "note")
        assert marks.invalid and marks.described_by == ("note-hint", "note-error")
        assert "longer than 5,000 characters" in marks.error_text
        assert summary_links(too_long.text) == ["note"]
        assert (await decide(client, uuid.uuid4(), "approve", "")).status_code == 404
        assert (await client.get("/admin/desk/not-a-uuid")).status_code == 404
        page = await client.get(f"/admin/desk/{change_id}?lang=en")
        no_token = await client.post(
            f"/admin/desk/{change_id}", data={"decision": "approve", "version": "0"}
        )
        assert no_token.status_code == 400
        assert "Waiting for review" in page.text
        long_note = "y" * 4000  # longer than other fields may be: kept whole
        held = await decide(client, change_id, "hold", long_note)
        assert held.status_code == 303
        assert long_note in (await client.get(held.headers["location"])).text
        await relay(h)
        assert await released(h) == 0 and await _count(h, Delivery) == 0


async def test_an_auditor_cannot_see_or_decide_and_an_editor_cannot_read_consent(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with desk_running(sqlite_url, tmp_path) as h:
        await h.user("ed", "editor")
        await h.user("aud", "auditor")
        async with h.client() as editor, h.client() as auditor:
            await sign_in(editor, "ed")
            await sign_in(auditor, "aud")
            await to_review(h, editor)
            change_id = await detected(h)
            assert (await auditor.get("/admin/desk")).status_code == 403
            assert (await auditor.get(f"/admin/desk/{change_id}")).status_code == 403
            form = await auditor.get("/admin")
            tried = await auditor.post(
                f"/admin/desk/{change_id}",
                data={"csrf_token": csrf_token(form.text), "decision": "approve", "version": "0"},
            )
            assert tried.status_code == 403
            assert (await editor.get("/admin/consent")).status_code == 403
            assert (await editor.get("/admin/ledger")).status_code == 403
            still = await editor.get(f"/admin/desk/{change_id}?lang=en")
            assert "Waiting for review" in still.text
        denied = await audit(h, "access_denied")
        assert {e.actor for e in denied} == {"aud", "ed"}


ENDED = f"""
[[topics]]
slug = "{TOPIC}"
title = {{ nb = "Norge i verden", en = "Norway in the world" }}
retired = true

[[topics]]
slug = "{OTHER}"
title = {{ nb = "Helsenyheter", en = "Health news" }}

[[sources]]
url = "{SOURCE}"
kind = "page"
topics = ["{OTHER}"]
interval = "15m"
mode = "review"
"""


async def test_a_change_approved_after_its_topic_ended_alerts_none_of_its_former_followers(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with editor_at_desk(sqlite_url, tmp_path, follower="immediate") as (h, client):
        change_id = await detected(h)
        ended = tmp_path / "ended.toml"
        ended.write_text(ENDED, encoding="utf-8")
        await apply_file(h.runtime, ended, actor="ed")
        await relay(h)  # the topic's followers get its last mail
        # The editor sees that the topic ended while its change waited, not its short name,
        # once this process follows the catalogue (within seconds, as every replica does).
        async with h.runtime.sessions() as session:
            version, stored = await admin_read.current_catalogue(session)
        h.runtime.catalogue.replace(stored, version)
        waiting = await client.get(f"/admin/desk/{change_id}?lang=en")
        assert "<dd>Norway in the world (ended)</dd>" in waiting.text
        # Its only topic ended: an approval would alert nobody, and the desk says so.
        assert '<th scope="row">In all</th><td>0</td>' in waiting.text
        listed = await client.get("/admin/desk")
        assert "<td>Norge i verden (avsluttet)</td>" in listed.text
        approved = await decide(client, change_id, "approve", "Kom etter slutten.")
        assert approved.status_code == 303, approved.text
        await relay(h)
        shown = await client.get(f"/admin/desk/{change_id}?lang=en")
        assert "Approved and sent" in shown.text
        async with h.runtime.sessions() as session:
            kinds = set((await session.scalars(select(Delivery.kind))).all())
        assert "topic_ended" in kinds and "alert" not in kinds, kinds
