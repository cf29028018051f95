"""A noncharacter or a direction control typed into a staff form is refused with the field
named, in the page's language, and what was typed stays in the form; nothing is saved, sent,
decided or issued.

U+FDD0 to U+FDEF, U+FFFE, U+FFFF and the last two code points of every plane: no page or mail may
show one, and the person typing cannot see it (it comes pasted from another program). Left out
unseen, their words would be saved other than they wrote them. Pages and feeds varsel fetches
still lose them on the way to the mails (tests/e2e/test_noncharacters.py).

U+202A to U+202E and U+2066 to U+2069 make the text after them show in another order than it is
stored. Before, a topic's texts, a bulletin, a desk note and a token's name lost them unseen
(«Vaksiner \u202efdp.x», read as «Vaksiner x.pdf», was saved as «Vaksiner fdp.x»), a source's
address was refused as not written whole, and a selector or ignore pattern was kept with one.
The form gives the field back without it, in the order it is stored (ADR 0023).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from services.admin.adapters.tables import AdminAuditEntry, PublisherToken
from services.admin.entrypoints.wording import MESSAGES
from shared.carried_text import bidi_control_in, noncharacter_in
from shared.catalogue_file import dump_catalogue
from tests.integration.admin.bulletins_support import editor, events, form
from tests.integration.admin.desk_support import audit, decide, detected, editor_at_desk
from tests.integration.admin.harness import TOPIC, Harness, csrf_token, running, sign_in
from tests.integration.admin.sources_support import post_from_sources, signed_in_editor
from tests.integration.admin.topics_support import (
    NEW,
    applied_by_editors,
    post_from_topics,
    stored_catalogue,
    topic_edit_form,
)
from tests.support.words import admin_text

# Each kind of invisible character, with the character it is tried with in a text.
KINDS = [("noncharacter", "\ufdd0", "U+FDD0"), ("bidi_control", "\u202e", "U+202E")]


def _invisible(text: str) -> set[str]:
    """Return the noncharacters and direction controls in a text."""
    return {c for c in text if noncharacter_in(c) or bidi_control_in(c)}


async def _audited(h: Harness, action: str) -> list[AdminAuditEntry]:
    async with h.runtime.sessions() as session:
        query = select(AdminAuditEntry).where(AdminAuditEntry.action == action)
        return list((await session.scalars(query)).all())


@pytest.mark.parametrize(
    ("field", "typed", "character", "language", "said", "kept"),
    [
        # Direction controls (U+202A-U+202E, U+2066-U+2069), in each field and language.
        ("title_nb", "Vaksiner \u202efdp.x", "U+202E", "nb", "Tittelen", 'value="Vaksiner fdp.x"'),
        (
            "section_en",
            "Norwegian \u2067Institute\u2069 of Public Health",
            "U+2067",
            "nn",
            "Seksjonen inneheld",
            'value="Norwegian Institute of Public Health"',
        ),
        (
            "description_nb",
            "Råd om \u202bvaksiner.",
            "U+202B",
            "en",
            "The description holds",
            ">Råd om vaksiner.</textarea>",
        ),
        ("page", "https://www.fhi.no/\u202efdp.x", "U+202E", "nb", "Adressen", "fhi.no/fdp.x"),
        ("editors", "ed\u202d", "U+202D", "nn", "Redaktørfeltet inneheld", 'value="ed"'),
        # Noncharacters.
        ("title_nn", "Vaks\ufdd0inar", "U+FDD0", "nb", "Tittelen inneholder", 'value="Vaksinar"'),
        (
            "section_en",
            "Norwegian Institute\ufffe of Public Health",
            "U+FFFE",
            "nn",
            "Seksjonen inneheld",
            'value="Norwegian Institute of Public Health"',
        ),
        (
            "description_nb",
            "Råd om\U0010ffff vaksiner.",
            "U+10FFFF",
            "en",
            "The description holds",
            ">Råd om vaksiner.</textarea>",
        ),
        (
            "page",
            "https://www.fhi.no/vaksiner\ufdef/",
            "U+FDEF",
            "nb",
            "Adressen inneholder",
            'value="https://www.fhi.no/vaksiner/"',
        ),
        ("editors", "ed\U0001fffe", "U+1FFFE", "nn", "Redaktørfeltet inneheld", 'value="ed"'),
    ],
)
async def test_an_invisible_character_in_a_topic_field_is_a_400_beside_it_changing_nothing(
    sqlite_url: str,
    tmp_path: Path,
    field: str,
    typed: str,
    character: str,
    language: str,
    said: str,
    kept: str,
) -> None:
    async with signed_in_editor(sqlite_url, tmp_path) as (h, client):
        before = dump_catalogue(await stored_catalogue(h))
        answer = await post_from_topics(client, "/admin/topics", {**NEW, field: typed}, language)
        assert answer.status_code == 400, answer.text[:300]
        # Beside the field, in the page's language, naming the code point nobody can see.
        beside = answer.text.split(f'<p class="error-message" id="{field}-error">')[1]
        beside = beside.split("</p>")[0]
        kind = "noncharacter" if noncharacter_in(typed) else "bidi_control"
        key = f"{field.split('_')[0]}_{kind}"
        assert admin_text(language, MESSAGES[key], character=character) in beside
        assert said in beside and character in beside
        assert f'<a href="#{field}">' in answer.text and 'aria-invalid="true"' in answer.text
        # The form keeps what was typed, in this field (without the noncharacter, which no
        # page may hold, or the direction control, shown in the order it is stored) and in
        # the others.
        assert kept in answer.text
        assert 'value="vaksiner"' in answer.text and 'value="Vaccines"' in answer.text
        assert not _invisible(answer.text)
        assert dump_catalogue(await stored_catalogue(h)) == before
        assert await applied_by_editors(h) == []


async def test_a_noncharacter_typed_into_a_stored_topic_leaves_it_as_it_was(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with signed_in_editor(sqlite_url, tmp_path) as (h, client):
        before = (await stored_catalogue(h)).topic(TOPIC)
        edited = {**await topic_edit_form(client, TOPIC), "title_nb": "Nytt\ufdd0 navn"}
        answer = await client.post("/admin/topics?lang=en", data=edited)
        assert answer.status_code == 400
        assert "The title holds U+FDD0" in answer.text and 'value="Nytt navn"' in answer.text
        assert (await stored_catalogue(h)).topic(TOPIC) == before
        assert await applied_by_editors(h) == []


@pytest.mark.parametrize(
    ("field", "typed", "key", "kept"),
    [
        (
            "url",
            "https://example.org/ny\ufffe",
            "url_noncharacter",
            'value="https://example.org/ny"',
        ),
        ("url", "https://example.org/\u202efdp.a", "url_bidi_control", "example.org/fdp.a"),
        ("selector", "main \u2066.innhold", "selector_bidi_control", 'value="main .innhold"'),
        ("ignore", "Sist oppdatert\nVis \u202aflere", "ignore_bidi_control", "\nVis flere</"),
    ],
)
async def test_an_invisible_character_in_a_source_field_is_a_400_beside_it(
    sqlite_url: str, tmp_path: Path, field: str, typed: str, key: str, kept: str
) -> None:
    async with signed_in_editor(sqlite_url, tmp_path) as (h, client):
        before = dump_catalogue(await stored_catalogue(h))
        good = {"url": "https://example.org/ny", "kind": "page", "topics": [TOPIC]}
        answer = await post_from_sources(client, "/admin/sources", {**good, field: typed})
        assert answer.status_code == 400, answer.text[:300]
        beside = answer.text.split(f'<p class="error-message" id="{field}-error">')[1]
        assert admin_text("en", MESSAGES[key]) in beside.split("</p>")[0]
        assert kept in answer.text and not _invisible(answer.text)
        assert dump_catalogue(await stored_catalogue(h)) == before


@pytest.mark.parametrize(("kind", "character", "code"), KINDS)
async def test_an_invisible_character_in_a_bulletin_is_refused_naming_its_field_sending_nothing(
    sqlite_url: str, tmp_path: Path, kind: str, character: str, code: str
) -> None:
    async with running(sqlite_url, tmp_path) as h, h.client() as client:
        page = await editor(h, client, address="rita@example.no")
        for action in ("test", "send"):
            typed = form(page, subject_nb=f"Stengt{character} i julen", action=action)
            answer = await client.post("/admin/bulletins", data=typed)
            assert answer.status_code == 400, answer.text[:300]
            message = admin_text("nb", MESSAGES[f"bulletin_subject_{kind}"])
            assert f'<a href="#subject_nb">{message}</a>' in answer.text
            assert "Emnefeltet inneholder" in message and f"<code>nb: {code}</code>" in answer.text
            assert 'value="Stengt i julen"' in answer.text
        typed = form(page, body_en=f"The office is {character}**closed**.")
        answer = await client.post("/admin/bulletins?lang=en", data=typed)
        assert answer.status_code == 400
        message = admin_text("en", MESSAGES[f"bulletin_body_{kind}"])
        assert f'<a href="#body_en">{message}</a>' in answer.text
        assert ">The office is **closed**.</textarea>" in answer.text
        assert not _invisible(answer.text)
        assert await events(h, "bulletin.published.v1") == []
        assert await _audited(h, "bulletin_sent") == await _audited(h, "bulletin_tested") == []


@pytest.mark.parametrize(("kind", "character", "code"), KINDS)
async def test_an_invisible_character_in_a_desk_note_leaves_the_change_undecided(
    sqlite_url: str, tmp_path: Path, kind: str, character: str, code: str
) -> None:
    async with editor_at_desk(sqlite_url, tmp_path) as (h, client):
        change_id = await detected(h)
        answer = await decide(client, change_id, "approve", f"Fristen er{character} flyttet.")
        assert answer.status_code == 400
        assert admin_text("en", MESSAGES[f"note_{kind}"]) in answer.text
        assert ">Fristen er flyttet.</textarea>" in answer.text
        assert "Waiting for review" in answer.text
        assert await audit(h, "change_approved") == []
        (refused,) = await audit(h, "change_decision_refused")
        assert refused.details == {"reason": f"note_{kind}"}


@pytest.mark.parametrize(("kind", "character", "code"), KINDS)
async def test_an_invisible_character_in_a_publisher_token_s_name_issues_nothing(
    sqlite_url: str, tmp_path: Path, kind: str, character: str, code: str
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        await h.user("drift", "operator")
        async with h.client() as client:
            await sign_in(client, "drift")
            page = await client.get("/admin/publishers?lang=nn")
            typed: dict[str, Any] = {"csrf_token": csrf_token(page.text)}
            typed["name"] = f"WordPress{character} på www.example.no"
            answer = await client.post("/admin/publishers?lang=nn", data=typed)
        assert answer.status_code == 400
        message = admin_text("nn", MESSAGES[f"token_name_{kind}"])
        assert message in answer.text and "Namnet inneheld" in message
        assert 'value="WordPress på www.example.no"' in answer.text
        assert "varsel_pub_" not in answer.text
        async with h.runtime.sessions() as session:
            assert (await session.scalars(select(PublisherToken))).all() == []
        assert await _audited(h, "publisher_token_issued") == []
