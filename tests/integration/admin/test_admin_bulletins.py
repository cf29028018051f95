"""The bulletin editor: who may use it, what a wrong form gets, and what a test and a send hand
to the mailer (an event naming no address) and to the audit log."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from services.admin import bulletins
from services.admin.adapters.tables import AdminAuditEntry
from services.admin.domain.accounts import Principal
from services.admin.entrypoints import bulletin_pages
from shared.outbox import OutboxRow
from tests.integration.admin.bulletins_support import editor, events, form
from tests.integration.admin.harness import OTHER, TOPIC, Harness, csrf_token, running, sign_in
from tests.support.form_errors import field_marks, summary_links

STAFF_ADDRESS = "rita@example.no"


async def audit(h: Harness, action: str) -> list[AdminAuditEntry]:
    async with h.runtime.sessions() as session:
        query = select(AdminAuditEntry).where(AdminAuditEntry.action == action)
        return list((await session.scalars(query)).all())


async def test_an_editor_sends_a_bulletin_once(database_url: str, tmp_path: Path) -> None:
    async with running(database_url, tmp_path) as h, h.client() as client:
        page = await editor(h, client, address=STAFF_ADDRESS)
        assert "Skriv en kunngjøring" in page
        filled = form(page)
        sent = await client.post("/admin/bulletins", data=filled)
        assert sent.status_code == 200, sent.text
        assert "Kunngjøringen er sendt." in sent.text
        again = await client.post("/admin/bulletins", data=filled)  # the button pressed twice
        assert again.status_code == 409
        assert "sendt allerede" in again.text

        (event,) = await events(h, "bulletin.published.v1")
        assert event["bulletin_id"] == filled["bulletin_id"]
        assert event["topics"] == [TOPIC, OTHER] and event["urgent"] is True
        assert event["texts"]["en"]["subject"] == "Closed at Christmas"  # type: ignore[index]
        assert "nn" not in event["texts"]  # type: ignore[operator]
        (entry,) = await audit(h, "bulletin_sent")
        assert entry.actor == "rita" and entry.target == filled["bulletin_id"]
        assert entry.details == {
            "topics": [TOPIC, OTHER],
            "mode": "urgent",
            "languages": ["en", "nb"],
            "subject_nb": "Stengt i julen",
        }
        # A topic that ended since is named in the sent list by its title, marked ended.
        live = h.runtime.catalogue
        now = live.current
        ended = now.model_copy(
            update={
                "topics": tuple(t for t in now.topics if t.slug != OTHER),
                "ended": tuple(t for t in now.topics if t.slug == OTHER),
            }
        )
        live.replace(ended, live.version + 1)
        listed = await client.get("/admin/bulletins")
        assert "<td>Norge i verden, Helsenyheter (avsluttet)</td>" in listed.text


async def test_control_characters_pasted_into_a_bulletin_are_left_out(
    database_url: str, tmp_path: Path
) -> None:
    async with running(database_url, tmp_path) as h, h.client() as client:
        page = await editor(h, client, address=STAFF_ADDRESS)
        filled = form(
            page,
            subject_nb="Stengt\x00 i julen",
            body_nb="Kontoret\x00 er **stengt**.\n\nVi åpner igjen 2. januar.\x07",
        )
        sent = await client.post("/admin/bulletins", data=filled)
        assert sent.status_code == 200, sent.text
        assert "Kunngjøringen er sendt." in sent.text
        (event,) = await events(h, "bulletin.published.v1")
    assert event["texts"]["nb"] == {  # type: ignore[index]
        "subject": "Stengt i julen",
        "body": "Kontoret er **stengt**.\n\nVi åpner igjen 2. januar.",
    }
    (entry,) = await audit(h, "bulletin_sent")
    assert entry.details["subject_nb"] == "Stengt i julen"


async def test_a_test_send_names_the_account_never_its_address(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulletin_pages, "TEST_OUTCOME_WAIT", 0.0)
    async with running(database_url, tmp_path) as h, h.client() as client:
        page = await editor(h, client, address=STAFF_ADDRESS)
        tested = await client.post("/admin/bulletins", data=form(page, action="test"))
        assert tested.status_code == 200, tested.text
        # No mailer runs here: the page says the test waits, not that it is on its way.
        assert "Prøven står i kø, men er ikke sendt ennå" in tested.text
        assert "Venter på å bli sendt" in tested.text
        assert 'value="Stengt i julen"' in tested.text  # the form is kept for the send
        (event,) = await events(h, "bulletin.test_requested.v1")
        assert isinstance(event["staff_user_id"], int)
        assert await events(h, "bulletin.published.v1") == []
        async with h.runtime.sessions() as session:
            payloads = (await session.scalars(select(OutboxRow.payload))).all()
        assert not any(STAFF_ADDRESS in payload for payload in payloads)
        (entry,) = await audit(h, "bulletin_tested")
        # A test the ledger never held (or no longer holds) is not listed as waiting for ever.
        rita = Principal(event["staff_user_id"], "rita", "editor")  # type: ignore[arg-type]
        async with h.runtime.sessions() as session:
            soon = entry.occurred_at + timedelta(minutes=5)
            assert len(await bulletins.latest_tests(session, rita, soon)) == 1
            later = entry.occurred_at + timedelta(hours=2)
            assert await bulletins.latest_tests(session, rita, later) == []


async def test_a_test_send_needs_an_address_on_the_account(
    database_url: str, tmp_path: Path
) -> None:
    async with running(database_url, tmp_path) as h, h.client() as client:
        page = await editor(h, client, address=None)
        refused = await client.post("/admin/bulletins", data=form(page, action="test"))
        assert refused.status_code == 409
        assert "ingen e-postadresse" in refused.text
        assert await events(h, "bulletin.test_requested.v1") == []


async def test_a_wrong_form_is_refused_with_the_reason_and_sends_nothing(
    database_url: str, tmp_path: Path
) -> None:
    async with running(database_url, tmp_path) as h, h.client() as client:
        page = await editor(h, client, address=STAFF_ADDRESS)
        # The words of each refusal, what makes it, and the field it is about: the summary
        # links to it and the field says it is wrong, for a screen reader.
        cases: dict[str, tuple[dict[str, object], str | None]] = {
            "Velg minst ett tema.": ({"topics": []}, "topics"),
            "finnes ikke i katalogen": ({"topics": ["finnes-ikke"]}, "topics"),
            "bokmål og engelsk": ({"body_en": ""}, "body_en"),
            "begge eller ingen": ({"subject_nn": "Berre emne"}, "body_nn"),
            "Velg når": ({"mode": "later"}, "mode"),
            "for lang": ({"subject_nb": "x" * 201}, "subject_nb"),
            # Links no reader can follow from a mail: dead relative ones, and scripts the
            # mailer would show as bare Markdown.
            "fører ingen steder fra en e-post": ({"body_nb": "Se [siden](/side)."}, "body_nb"),
            "nb: www.fhi.no/nyhet": ({"body_nb": "Les [saken](www.fhi.no/nyhet)."}, "body_nb"),
            "en: javascript:alert(1)": ({"body_en": "[Open](javascript:alert(1))"}, "body_en"),
            "nb: data:text/html,x": ({"body_nb": "![Bilde](data:text/html,x)"}, "body_nb"),
            # A scheme alone, which opens nothing.
            "nb: mailto:": ({"body_nb": "[Skriv til oss](mailto:)"}, "body_nb"),
            "en: tel:": ({"body_en": "[Call us](tel:)"}, "body_en"),
            "nb: https://": ({"body_nb": "[Les](https://)"}, "body_nb"),
            "Skjemaet var utløpt": ({"csrf_token": "forged"}, None),
        }
        for words, (change, field) in cases.items():
            answer = await client.post("/admin/bulletins", data=form(page, **change))
            assert answer.status_code == 400, words
            assert words in answer.text, words
            if field is None:
                continue
            assert summary_links(answer.text) == [field], words
            marks = field_marks(answer.text, field)
            assert f"{field}-error" in marks.described_by and words in marks.error_text, words
            marked = re.findall(r'id="(\w+)"[^>]*aria-invalid="true"', answer.text)
            assert marked == ([] if field in ("topics", "mode") else [field]), words
        assert await events(h, "bulletin.published.v1") == []
        assert await audit(h, "bulletin_sent") == []


async def test_every_wrong_field_is_named_beside_it_and_linked_from_the_summary(
    sqlite_url: str, tmp_path: Path
) -> None:
    # Before, only the first refusal was told, in a summary that took no focus; body_nb was
    # marked invalid but described by its hint alone, and «Count recipients» with no topic
    # ticked marked no field (WCAG 3.3.1, 3.3.3).
    async with running(sqlite_url, tmp_path) as h, h.client() as client:
        page = await editor(h, client, address=STAFF_ADDRESS)
        wrong = {"topics": [], "body_nb": "Se [x](/rel).", "subject_en": "", "mode": "later"}
        answer = await client.post("/admin/bulletins", data=form(page, **wrong))
        assert answer.status_code == 400, answer.text
        fields = ["topics", "body_nb", "subject_en", "mode"]
        assert summary_links(answer.text) == fields
        body = field_marks(answer.text, "body_nb")
        assert body.invalid and body.described_by == ("body_nb-hint", "body_nb-error")
        assert "fører ingen steder fra en e-post" in body.error_text
        assert "nb: /rel" in body.error_text
        subject = field_marks(answer.text, "subject_en")
        assert subject.invalid and subject.described_by == ("subject_en-error",)
        topics = field_marks(answer.text, "topics")
        assert "topics-error" in topics.described_by
        assert "Velg minst ett tema." in topics.error_text
        counted = await client.post("/admin/bulletins", data=form(page, topics=[], action="count"))
        assert counted.status_code == 400, counted.text
        assert summary_links(counted.text) == ["topics"]
        assert "Velg minst ett tema." in field_marks(counted.text, "topics").error_text
        assert await events(h, "bulletin.published.v1") == []


async def test_an_auditor_cannot_send_and_an_editor_cannot_read_consent(
    database_url: str, tmp_path: Path
) -> None:
    async with running(database_url, tmp_path) as h, h.client() as auditor:
        await h.user("anne", "auditor")
        await sign_in(auditor, "anne")
        assert (await auditor.get("/admin/bulletins")).status_code == 403
        login = await auditor.get("/admin")
        posted = await auditor.post(
            "/admin/bulletins", data={"csrf_token": csrf_token(login.text), "action": "send"}
        )
        assert posted.status_code == 403
        assert await events(h, "bulletin.published.v1") == []
        async with h.client() as client:
            await editor(h, client, address=None)
            assert (await client.get("/admin/consent")).status_code == 403
            assert (await client.get("/admin/ledger")).status_code == 403
        denied = [e.target for e in await audit(h, "access_denied")]
        assert "POST /admin/bulletins" in denied and "GET /admin/consent" in denied
