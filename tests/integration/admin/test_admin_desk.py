"""The editor's desk over HTTP: a review source's change waits, an editor decides, the log says so.

A real database (SQLite, and PostgreSQL for the race), the app with the public pages, the admin
and the mailer, driven over ASGI as a browser would.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from sqlalchemy import func, select

from services.admin import catalogue as commands
from services.admin import read_api as admin_read
from services.admin.adapters import catalogue_rows
from services.admin.adapters.tables import AdminAuditEntry
from services.mailer.adapters.tables import ChangeRecord, Delivery
from services.subscriptions import bootstrap as subscriptions
from shared.events import ContentChanged
from shared.outbox import record
from shared.runtime import build_runtime
from shared.settings import Settings
from shared.vocabulary import ReviewMode
from tests.integration.admin.harness import (
    CATALOGUE,
    OTHER,
    TOPIC,
    Harness,
    csrf_token,
    sign_in,
)
from tests.support.catalogues import apply_file
from varsel.app import create_app

SOURCE = "https://example.org/side"  # the harness catalogue's one source
PERSON = "kari@example.org"


@asynccontextmanager
async def desk_running(url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    """The harness's app with the mailer beside it, the catalogue stored as start-up stores it."""
    catalogue = tmp_path / "catalogue.toml"
    catalogue.write_text(CATALOGUE, encoding="utf-8")
    runtime = build_runtime(Settings(database_url=url, config=catalogue, var_dir=tmp_path))
    app = create_app(runtime, ("subscriptions", "admin", "mailer"))
    await subscriptions.record_privacy_notices(runtime)
    await commands.apply_at_start(runtime.sessions, catalogue, runtime.clock.now())
    try:
        yield Harness(runtime, app)
    finally:
        await runtime.close()


async def _relay(h: Harness) -> None:
    while await h.runtime.relay.publish_pending():
        pass


async def _to_review(h: Harness, client: httpx.AsyncClient) -> None:
    """Switch the source to review mode through the sources form, as an editor does."""
    page = await client.get("/admin/sources?lang=en")
    assert 'value="review"' in page.text
    saved = await client.post(
        "/admin/sources?lang=en",
        data={
            "csrf_token": csrf_token(page.text),
            "original": SOURCE,
            "url": SOURCE,
            "kind": "page",
            "topics": [TOPIC],
            "interval": "15m",
            "mode": "review",
        },
    )
    assert saved.status_code == 303, saved.text
    async with h.runtime.sessions() as session:
        stored = (await catalogue_rows.load(session)).catalogue
    assert stored.sources[0].mode is ReviewMode.REVIEW
    await _relay(h)


async def _detected(h: Harness, title: str = "Ny veileder") -> uuid.UUID:
    event = ContentChanged(
        source_id=1,
        source_url=SOURCE,
        kind="page",
        topics=(TOPIC,),
        title=title,
        url="https://example.org/side#ny",
        summary="Generert sammendrag.",
    )
    async with h.runtime.sessions() as session, session.begin():
        await record(session, event)
    await _relay(h)
    return event.event_id


async def _decide(
    client: httpx.AsyncClient, change_id: uuid.UUID, decision: str, note: str, version: str = "0"
) -> httpx.Response:
    page = await client.get(f"/admin/desk/{change_id}?lang=en")
    return await client.post(
        f"/admin/desk/{change_id}?lang=en",
        data={
            "csrf_token": csrf_token(page.text),
            "decision": decision,
            "version": version,
            "note": note,
        },
    )


async def _audit(h: Harness, action_prefix: str) -> list[AdminAuditEntry]:
    async with h.runtime.sessions() as session:
        rows = await session.scalars(
            select(AdminAuditEntry)
            .where(AdminAuditEntry.action.startswith(action_prefix))
            .order_by(AdminAuditEntry.id)
        )
        return list(rows.all())


async def _count(h: Harness, table: type[Delivery]) -> int:
    async with h.runtime.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def _released(h: Harness) -> int:
    """Count the changes with a place in the release log the digests read."""
    async with h.runtime.sessions() as session:
        return int(
            await session.scalar(
                select(func.count())
                .select_from(ChangeRecord)
                .where(ChangeRecord.release_seq.is_not(None))
            )
            or 0
        )


async def test_an_editor_approves_a_held_change_with_a_note_and_the_log_records_it(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with desk_running(sqlite_url, tmp_path) as h:
        await h.sign_up(PERSON)  # a daily subscriber
        await h.confirm(PERSON)
        await h.user("ed", "editor")
        async with h.client() as client:
            await sign_in(client, "ed")
            await _to_review(h, client)
            change_id = await _detected(h)
            assert await _released(h) == 0, "nothing is owed before approval"

            listing = await client.get("/admin/desk?lang=en")
            assert listing.status_code == 200
            assert "Ny veileder" in listing.text and "Waiting for review" in listing.text
            page = await client.get(f"/admin/desk/{change_id}?lang=en")
            assert page.status_code == 200
            assert "Generert sammendrag." in page.text
            assert '<th scope="row">Daily</th><td>1</td>' in page.text
            assert '<th scope="row">In all</th><td>1</td>' in page.text

            approved = await _decide(client, change_id, "approve", "Fristen er flyttet.")
            assert approved.status_code == 303, approved.text
            after = await client.get(approved.headers["location"])
            assert "Approved and being sent" in after.text and "Fristen er flyttet." in after.text
            assert 'name="decision"' not in after.text, "a decided change has no form"
            await _relay(h)  # the approval's event reaches the mailer, which fans it out
            assert await _released(h) == 1
            for language, sent in (
                ("en", "Approved and sent"),
                ("nb", "Godkjent og sendt ut"),
                ("nn", "Godkjend og send ut"),
            ):
                shown = await client.get(f"/admin/desk/{change_id}?lang={language}")
                assert sent in shown.text, language
                listed = await client.get(f"/admin/desk?lang={language}")
                assert sent in listed.text, language

            again = await _decide(client, change_id, "approve", "Igjen", version="1")
            assert again.status_code == 409
            assert "Another editor decided on this change first" in again.text
            await _relay(h)
            assert await _released(h) == 1

        (entry,) = await _audit(h, "change_approved")
        assert (entry.actor, entry.target) == ("ed", str(change_id))
        assert entry.details == {"version": 1}
        (refused,) = await _audit(h, "change_decision_refused")
        assert refused.details == {"reason": "already_decided"}
        assert "ed" in {e.actor for e in await _audit(h, "catalogue_")}, "the switch is audited"


async def test_two_editors_deciding_at_once_one_wins_the_other_gets_409(
    database_url: str, tmp_path: Path
) -> None:
    async with desk_running(database_url, tmp_path) as h:
        await h.user("ed", "editor")
        await h.user("op", "operator")
        async with h.client() as first, h.client() as second:
            await sign_in(first, "ed")
            await sign_in(second, "op")
            await _to_review(h, first)
            change_id = await _detected(h)
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
        actions = [e.action for e in await _audit(h, "change_")]
        assert actions.count("change_decision_refused") == 1
        assert len([a for a in actions if a in {"change_approved", "change_minor"}]) == 1


async def test_bad_decisions_are_refused_with_a_reason_and_change_nothing(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with desk_running(sqlite_url, tmp_path) as h:
        await h.user("ed", "editor")
        async with h.client() as client:
            await sign_in(client, "ed")
            await _to_review(h, client)
            change_id = await _detected(h)
            assert (await _decide(client, change_id, "publish", "")).status_code == 400
            assert (await _decide(client, change_id, "approve", "", version="x")).status_code == 400
            too_long = await _decide(client, change_id, "approve", "x" * 5001)
            assert too_long.status_code == 400
            assert "longer than 5,000 characters" in too_long.text
            assert (await _decide(client, uuid.uuid4(), "approve", "")).status_code == 404
            assert (await client.get("/admin/desk/not-a-uuid")).status_code == 404
            page = await client.get(f"/admin/desk/{change_id}?lang=en")
            no_token = await client.post(
                f"/admin/desk/{change_id}", data={"decision": "approve", "version": "0"}
            )
            assert no_token.status_code == 400
            assert "Waiting for review" in page.text
            long_note = "y" * 4000  # longer than other fields may be: kept whole
            held = await _decide(client, change_id, "hold", long_note)
            assert held.status_code == 303
            assert long_note in (await client.get(held.headers["location"])).text
        await _relay(h)
        assert await _released(h) == 0 and await _count(h, Delivery) == 0


async def test_an_auditor_cannot_see_or_decide_and_an_editor_cannot_read_consent(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with desk_running(sqlite_url, tmp_path) as h:
        await h.user("ed", "editor")
        await h.user("aud", "auditor")
        async with h.client() as editor, h.client() as auditor:
            await sign_in(editor, "ed")
            await sign_in(auditor, "aud")
            await _to_review(h, editor)
            change_id = await _detected(h)
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
        denied = await _audit(h, "access_denied")
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
    async with desk_running(sqlite_url, tmp_path) as h:
        await h.user("ed", "editor")
        await h.sign_up(PERSON, frequency="immediate")
        await h.confirm(PERSON)
        async with h.client() as client:
            await sign_in(client, "ed")
            await _to_review(h, client)
            change_id = await _detected(h)
            ended = tmp_path / "ended.toml"
            ended.write_text(ENDED, encoding="utf-8")
            await apply_file(h.runtime, ended, actor="ed")
            await _relay(h)  # the topic's followers get its last mail
            # The editor sees that the topic ended while its change waited, not its short name,
            # once this process follows the catalogue (within seconds, as every replica does).
            async with h.runtime.sessions() as session:
                version, stored = await admin_read.current_catalogue(session)
            h.runtime.catalogue.replace(stored, version)
            waiting = await client.get(f"/admin/desk/{change_id}?lang=en")
            assert "<dd>Norway in the world (ended)</dd>" in waiting.text
            listed = await client.get("/admin/desk")
            assert "<td>Norge i verden (avsluttet)</td>" in listed.text
            approved = await _decide(client, change_id, "approve", "Kom etter slutten.")
            assert approved.status_code == 303, approved.text
            await _relay(h)
            shown = await client.get(f"/admin/desk/{change_id}?lang=en")
            assert "Approved and sent" in shown.text
        async with h.runtime.sessions() as session:
            kinds = set((await session.scalars(select(Delivery.kind))).all())
        assert "topic_ended" in kinds and "alert" not in kinds, kinds
