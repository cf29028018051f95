"""Removing a source withdraws its changes waiting on the editor's desk: none of them can be
approved after (an alert about a page varsel no longer watches), each stays on the desk as
withdrawn, and the log says who removed the source and which changes went with it."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from services.admin.adapters.tables import AdminAuditEntry
from services.mailer.adapters.tables import ChangeRecord, Delivery
from shared.events import ContentChanged
from shared.outbox import record
from shared.vocabulary import ChangeProducer
from tests.integration.admin.desk_support import (
    SOURCE,
    audit,
    decide,
    detected,
    editor_at_desk,
    relay,
    released,
)
from tests.integration.admin.harness import OTHER, TOPIC, Harness, csrf_token
from tests.support.catalogues import apply_file
from tests.support.words import admin_text

WITHDRAWN = "Withdrawn: its source was removed"


async def _kinds(h: Harness) -> set[str]:
    """Return the kinds of mail queued: the sign-up's confirmation, and no alert."""
    async with h.runtime.sessions() as session:
        return set((await session.scalars(select(Delivery.kind))).all())


async def _decided(h: Harness, change_id: uuid.UUID) -> tuple[str | None, datetime | None]:
    async with h.runtime.sessions() as session:
        change = await session.get(ChangeRecord, change_id)
        assert change is not None
        return change.decided_by, change.decided_at


async def _status(h: Harness, change_id: uuid.UUID) -> str:
    async with h.runtime.sessions() as session:
        change = await session.get(ChangeRecord, change_id)
        assert change is not None
        return change.status


async def test_removing_a_source_on_its_page_asks_first_then_withdraws_its_waiting_changes(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with editor_at_desk(sqlite_url, tmp_path, follower="immediate") as (h, client):
        change_id = await detected(h)
        # The desk page an editor opened before the source went (version 0).
        opened = await client.get(f"/admin/desk/{change_id}?lang=en")
        assert 'name="decision"' in opened.text

        sources = await client.get("/admin/sources?lang=en")
        asked = await client.post(
            "/admin/sources/remove?lang=en",
            data={"csrf_token": csrf_token(sources.text), "url": SOURCE},
        )
        assert asked.status_code == 200
        assert "has changes waiting on the editor's desk (1)" in asked.text
        assert "Remove it and withdraw its changes" in asked.text
        assert await _status(h, change_id) == "waiting", "asking removes nothing"
        assert SOURCE in (await client.get("/admin/sources")).text

        removed = await client.post(
            "/admin/sources/remove?lang=en",
            data={"csrf_token": csrf_token(asked.text), "url": SOURCE, "withdraw": "yes"},
        )
        assert removed.status_code == 303, removed.text
        assert await _status(h, change_id) == "withdrawn"

        # The stale page's approval is refused, saying why; nobody is alerted.
        tried = await client.post(
            f"/admin/desk/{change_id}?lang=en",
            data={
                "csrf_token": csrf_token(opened.text),
                "decision": "approve",
                "version": "0",
                "note": "Sendes likevel.",
            },
        )
        assert tried.status_code == 409
        assert "withdrawn when its source was removed from the catalogue" in tried.text
        assert "Another editor decided" not in tried.text
        assert 'name="decision"' not in tried.text
        current = await decide(client, change_id, "approve", "Igjen.", version="1")
        assert current.status_code == 409
        await relay(h)
        assert await released(h) == 0 and await _kinds(h) == {"confirm"}

        # Nothing is lost from sight: the desk lists it as withdrawn, by whom, in each
        # language, and no longer as waiting.
        for language in ("nb", "nn", "en"):
            desk = await client.get(f"/admin/desk?lang={language}")
            said = admin_text(language, WITHDRAWN)
            waiting, _, decided = desk.text.partition('id="decided"')
            assert said in decided and "<td>ed</td>" in decided, language
            assert "Ny veileder" not in waiting, language
        shown = await client.get(f"/admin/desk/{change_id}?lang=en")
        assert f"{WITHDRAWN} (ed," in shown.text

        (entry,) = await audit(h, "change_withdrawn")
        assert (entry.actor, entry.target) == ("ed", str(change_id))
        assert entry.details == {"source": SOURCE}
        refusals = await audit(h, "change_decision_refused")
        assert [r.details for r in refusals] == [{"reason": "source_removed"}] * 2


def _catalogue_without_the_source(tmp_path: Path) -> Path:
    kept = tmp_path / "kept.toml"
    kept.write_text(
        f"""
[[topics]]
slug = "{TOPIC}"
title = {{ nb = "Norge i verden", en = "Norway in the world" }}

[[topics]]
slug = "{OTHER}"
title = {{ nb = "Helsenyheter", en = "Health news" }}

[[sources]]
url = "https://example.org/annen"
kind = "page"
topics = ["{TOPIC}"]
interval = "15m"
mode = "review"
""",
        encoding="utf-8",
    )
    return kept


async def test_a_file_that_leaves_the_source_out_withdraws_held_changes_not_decided_ones(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with editor_at_desk(sqlite_url, tmp_path) as (h, client):
        held = await detected(h, "Holdt tilbake")
        approved = await detected(h, "Godkjent")
        waiting = await detected(h, "Venter")
        assert (await decide(client, held, "hold", "")).status_code == 303
        assert (await decide(client, approved, "approve", "")).status_code == 303
        await relay(h)
        await apply_file(h.runtime, _catalogue_without_the_source(tmp_path), actor="cli:ola")
        await relay(h)
        # Held and waiting changes are withdrawn by whoever applied the file; the approved
        # one goes out as it was decided.
        assert [await _status(h, c) for c in (held, approved, waiting)] == [
            "withdrawn",
            "approved",
            "withdrawn",
        ]
        assert (await decide(client, held, "approve", "", version="2")).status_code == 409
        async with h.runtime.sessions() as session:
            rows = (
                await session.scalars(select(ChangeRecord).where(ChangeRecord.id == held))
            ).all()
        assert [(r.decided_by, r.version) for r in rows] == [("cli:ola", 2)]
        entries = await audit(h, "change_withdrawn")
        assert sorted(e.target or "" for e in entries) == sorted([str(held), str(waiting)])
        assert {e.actor for e in entries} == {"cli:ola"}


async def test_a_poll_in_flight_when_its_source_is_removed_is_withdrawn_and_a_push_still_goes(
    sqlite_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with editor_at_desk(sqlite_url, tmp_path, follower="immediate") as (h, client):
        sources = await client.get("/admin/sources?lang=en")
        removed = await client.post(
            "/admin/sources/remove?lang=en",
            data={"csrf_token": csrf_token(sources.text), "url": SOURCE},
        )
        assert removed.status_code == 303, "nothing waited: removed without asking"
        await relay(h)

        # The poll that was running when the source went reports its change now.
        arrived = h.runtime.clock.now()
        with caplog.at_level(logging.WARNING, logger="services.mailer.handlers"):
            late = await detected(h, "Sent funnet")
        assert await _status(h, late) == "withdrawn"
        assert await released(h) == 0 and await _kinds(h) == {"confirm"}
        # The mailer's line: on a busy machine the relay may name the event too, as still
        # being handled after its 5 s.
        (line,) = [
            r.getMessage()
            for r in caplog.records
            if r.name == "services.mailer.handlers" and str(late) in r.getMessage()
        ]
        assert f"{SOURCE} withdrawn: the source is no longer in the catalogue" in line
        shown = await client.get(f"/admin/desk/{late}?lang=en")
        assert WITHDRAWN in shown.text and 'name="decision"' not in shown.text
        # By the editor who removed the source, when it arrived, and in the audit log as every
        # withdrawal is.
        assert f"{WITHDRAWN} (ed," in shown.text
        decided_by, decided_at = await _decided(h, late)
        (entry,) = await audit(h, "change_withdrawn")
        assert (decided_by, decided_at) == ("ed", entry.occurred_at)
        assert arrived <= entry.occurred_at <= h.runtime.clock.now()
        assert (entry.actor, entry.target, entry.details) == ("ed", str(late), {"source": SOURCE})

        # A publisher may push for any page of a topic, watched or not: that still goes out.
        pushed = ContentChanged(
            source_id=None,
            source_url=SOURCE,
            kind="page",
            topics=(TOPIC,),
            title="Publisert av CMS",
            url=SOURCE,
            summary="Nytt fra publisisten.",
            producer=ChangeProducer.PUBLISHER,
        )
        async with h.runtime.sessions() as session, session.begin():
            await record(session, pushed)
        await relay(h)
        assert await _status(h, pushed.event_id) == "published"
        assert await _kinds(h) == {"confirm", "alert"}


@pytest.mark.parametrize("audit_kept", [True, False])
async def test_a_poll_in_flight_when_a_file_removed_its_source_is_withdrawn_by_who_applied_it(
    sqlite_url: str, tmp_path: Path, audit_kept: bool
) -> None:
    async with editor_at_desk(sqlite_url, tmp_path) as (h, _):
        await apply_file(h.runtime, _catalogue_without_the_source(tmp_path), actor="cli:ola")
        await relay(h)
        if not audit_kept:  # past the audit log's retention
            async with h.runtime.sessions() as session, session.begin():
                await session.execute(delete(AdminAuditEntry))
        arrived = h.runtime.clock.now()
        late = await detected(h, "Sent funnet")
        assert await _status(h, late) == "withdrawn"
        removed_by = "cli:ola" if audit_kept else "catalogue apply"
        (entry,) = await audit(h, "change_withdrawn")
        assert await _decided(h, late) == (removed_by, entry.occurred_at)
        assert arrived <= entry.occurred_at <= h.runtime.clock.now()
        assert (entry.actor, entry.target) == (removed_by, str(late))
        assert entry.details == {"source": SOURCE}
