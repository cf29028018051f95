"""Editors create, edit and end topics in the admin; each wrong field is a 400 beside the field.

Every change goes through the catalogue as a file would: one transaction, a version, a
``catalogue.changed`` event every replica follows, and an audit entry with who and what. A
refused change leaves the catalogue exactly as it was.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from shared.catalogue_file import dump_catalogue
from shared.outbox import OutboxRow
from tests.integration.admin.harness import (
    OTHER,
    TOPIC,
    another_editor,
    csrf_token,
    sign_in,
)
from tests.integration.admin.sources_support import KNOWN, signed_in_editor
from tests.integration.admin.topics_support import (
    NEW,
    applied_by_editors,
    post_from_topics,
    stored_catalogue,
    topic_edit_form,
)


async def test_an_editor_creates_and_edits_a_topic(sqlite_url: str, tmp_path: Path) -> None:
    async with signed_in_editor(sqlite_url, tmp_path) as (h, client):
        created = await post_from_topics(client, "/admin/topics", NEW)
        assert created.status_code == 303, created.text
        topic = (await stored_catalogue(h)).topic("vaksiner")
        assert topic is not None
        assert topic.title == {"nb": "Vaksiner", "nn": "Vaksinar", "en": "Vaccines"}
        assert topic.section == {"nb": "Folkehelseinstituttet", "en": NEW["section_en"]}
        assert topic.description == {"nb": "Råd om vaksiner."}
        assert (topic.page, topic.related) == ("https://www.fhi.no/vaksiner/", (TOPIC,))
        listing = await client.get("/admin/topics?lang=nn")
        assert "Vaksinar" in listing.text and "<code>vaksiner</code>" in listing.text

        form = await client.get("/admin/topics", params={"edit": "vaksiner", "lang": "en"})
        assert form.status_code == 200
        assert 'name="original" value="vaksiner"' in form.text
        assert 'value="Vaccines"' in form.text and "Save the topic" in form.text
        assert f'id="related-{TOPIC}" name="related" value="{TOPIC}" checked' in form.text
        # The slug is not a field when editing: the sign-up page's address stays.
        edited = {"original": "vaksiner", "title_nb": "Vaksiner og vaksinasjon", "slug": "nytt"}
        saved = await post_from_topics(client, "/admin/topics", {**edited, "related": [OTHER]})
        assert saved.status_code == 303, saved.text
        stored = await stored_catalogue(h)
        topic = stored.topic("vaksiner")
        assert topic is not None and stored.topic("nytt") is None
        assert topic.title == {"nb": "Vaksiner og vaksinasjon"}
        assert (topic.section, topic.page, topic.related) == (None, None, (OTHER,))

        entries = await applied_by_editors(h)
        assert [e.actor for e in entries] == ["ed", "ed"]
        assert entries[0].details is not None and entries[1].details is not None
        assert "vaksiner" in str(entries[0].details) and "vaksiner" in str(entries[1].details)
        unknown = await client.get("/admin/topics", params={"edit": "finnes-ikke"})
        assert unknown.status_code == 404


async def test_of_two_editors_saving_one_topic_at_once_the_second_is_told_and_changes_nothing(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with signed_in_editor(sqlite_url, tmp_path) as (h, client):
        async with another_editor(h) as other:
            # Both open the form on the topic as it is, then each saves a title of their own.
            mine, theirs = await topic_edit_form(client, TOPIC), await topic_edit_form(other, TOPIC)
            first = await client.post("/admin/topics?lang=en", data={**mine, "title_nb": "A"})
            second = await other.post("/admin/topics?lang=en", data={**theirs, "title_nb": "B"})
        assert first.status_code == 303, first.text
        assert second.status_code == 409
        assert "Another editor saved this topic" in second.text
        topic = (await stored_catalogue(h)).topic(TOPIC)
        assert topic is not None and topic.title == {"nb": "A"}
        assert [e.actor for e in await applied_by_editors(h)] == ["ed"]
        # The form shown again is the topic as saved, so a save from it now goes through.
        again = await client.post(
            "/admin/topics?lang=en", data={**await topic_edit_form(client, TOPIC), "title_nb": "C"}
        )
        assert again.status_code == 303, again.text


LONG = "x" * 201
LONG = "x" * 201


@pytest.mark.parametrize(
    ("data", "field", "reason"),
    [
        ({"slug": ""}, "slug", "Write the short name"),
        ({"slug": "Norge i verden"}, "slug", "lower-case letters"),
        ({"slug": "a--b"}, "slug", "lower-case letters"),
        ({"slug": "a" * 101}, "slug", "at most 100 characters"),
        ({"slug": TOPIC}, "slug", "has this short name already"),
        ({"title_nb": ""}, "title_nb", "Write the title in bokmål"),
        ({"title_nb": "", "title_en": "Vaccines"}, "title_nb", "Write the title in bokmål"),
        ({"title_en": LONG}, "title_en", "at most 200 characters"),
        ({"title_nn": "To\nlinjer"}, "title_nn", "on one line"),
        ({"section_nb": "", "section_nn": "Seksjon"}, "section_nb", "Write the section in bokmål"),
        ({"section_nb": "\x1b[31m"}, "section_nb", "on one line"),
        ({"description_nb": "", "description_en": "Only English"}, "description_nb", "bokmål"),
        ({"description_nb": "y" * 501}, "description_nb", "at most 500 characters"),
        ({"page": "ftp://example.org/"}, "page", "https://"),
        ({"page": "www.fhi.no"}, "page", "https://"),
        ({"page": "https://example.org/\u200bside"}, "page", "https://"),
        # A name and password in the address would stand in pages, logs and the audit log.
        ({"page": "https://kari:hemmelig@example.org/"}, "page", "Leave the name and password"),
        ({"page": "https://example.org:99999/"}, "page", "from 1 to 65535"),
        ({"page": "https://example..org/"}, "page", "names no host a request"),
        ({"related": ["finnes-ikke"]}, "related", "from the list"),
    ],
)
async def test_each_wrong_field_is_a_400_beside_it_and_changes_nothing(
    sqlite_url: str, tmp_path: Path, data: dict[str, Any], field: str, reason: str
) -> None:
    async with signed_in_editor(sqlite_url, tmp_path) as (h, client):
        before = dump_catalogue(await stored_catalogue(h))
        answer = await post_from_topics(client, "/admin/topics", {**NEW, **data})
        assert answer.status_code == 400, answer.text[:300]
        # The reason is beside the field, which says so to a screen reader, and in the summary.
        message = answer.text.split(f'<p class="error-message" id="{field}-error">')[1]
        assert reason in message.split("</p>")[0]
        assert f'aria-describedby="{field}-error"' in answer.text or (
            f'{field}-hint {field}-error"' in answer.text
        )
        assert f'<a href="#{field}">' in answer.text
        # What the editor typed is kept, to be fixed rather than typed again.
        kept = "Vaccines" if field == "title_nn" else "Vaksinar"
        assert f'value="{kept}"' in answer.text
        assert dump_catalogue(await stored_catalogue(h)) == before
        assert await applied_by_editors(h) == []


async def test_refused_edits_and_forged_forms_change_nothing(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with signed_in_editor(sqlite_url, tmp_path) as (h, client):
        before = dump_catalogue(await stored_catalogue(h))
        cases = [
            ({"original": "finnes-ikke", "title_nb": "X"}, "No such topic"),
            ({"original": TOPIC, "title_nb": "X", "related": [TOPIC]}, "not related to itself"),
            ({"original": TOPIC, "title_nb": ""}, "Write the title in bokmål"),
        ]
        for data, reason in cases:
            answer = await post_from_topics(client, "/admin/topics", data)
            assert answer.status_code == 400, data
            assert reason in answer.text, reason
        forged = await client.post("/admin/topics?lang=en", data={**NEW})
        assert forged.status_code == 400
        assert "The form had expired" in forged.text
        forged = await client.post("/admin/topics/retire", data={"slug": OTHER, "confirm": "yes"})
        assert forged.status_code == 400
        assert dump_catalogue(await stored_catalogue(h)) == before
        assert await applied_by_editors(h) == []


async def test_an_editor_ends_a_topic_naming_what_to_follow_instead(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with signed_in_editor(sqlite_url, tmp_path) as (h, client):
        before = dump_catalogue(await stored_catalogue(h))
        refusals = [
            ({"slug": OTHER, "successor": TOPIC}, "confirm", "Tick the box"),
            ({"slug": OTHER, "successor": OTHER, "confirm": "yes"}, "successor", "from the list"),
            ({"slug": OTHER, "successor": "ukjent", "confirm": "yes"}, "successor", "list"),
            # The only source of TOPIC would be left feeding nothing: the editor decides first.
            ({"slug": TOPIC, "confirm": "yes"}, None, KNOWN),
            ({"slug": "finnes-ikke", "confirm": "yes"}, None, "No such topic"),
        ]
        for data, field, reason in refusals:
            answer = await post_from_topics(client, "/admin/topics/retire", data)
            assert answer.status_code == 400, data
            assert reason in answer.text, reason
            if field is not None:
                assert f'id="{field}-error"' in answer.text
        assert dump_catalogue(await stored_catalogue(h)) == before

        ended = await post_from_topics(
            client, "/admin/topics/retire", {"slug": OTHER, "successor": TOPIC, "confirm": "yes"}
        )
        assert ended.status_code == 303, ended.text
        stored = await stored_catalogue(h)
        assert stored.topic(OTHER) is None
        gone = stored.ended_topic(OTHER)
        assert gone is not None and gone.successor == TOPIC
        follow = stored.topic(TOPIC)
        # Nobody is offered a topic that ended.
        assert follow is not None and follow.related == ()
        async with h.runtime.sessions() as session:
            payloads = await session.scalars(
                select(OutboxRow.payload)
                .where(OutboxRow.event_type == "catalogue.changed.v1")
                .order_by(OutboxRow.id)
            )
            last = json.loads(list(payloads)[-1])
        # The event every replica follows names the ended topic: its followers get a last mail.
        assert (last["ended_topics"], last["actor"]) == ([OTHER], "ed")
        (entry,) = await applied_by_editors(h)
        assert entry.actor == "ed" and entry.target == "admin"
        assert entry.details is not None and OTHER in str(entry.details)
        listing = await client.get("/admin/topics?lang=en")
        ended_table = listing.text.split("Topics that have ended")[1]
        assert "Health news" in ended_table and "Norway in the world" in ended_table
        # An ended topic's slug is never given to a new one.
        again = await post_from_topics(client, "/admin/topics", {**NEW, "slug": OTHER})
        assert again.status_code == 400 and "had it before it ended" in again.text


@pytest.mark.parametrize("role", ["auditor", "dpo"])
async def test_who_is_no_editor_cannot_change_topics(
    sqlite_url: str, tmp_path: Path, role: str
) -> None:
    async with signed_in_editor(sqlite_url, tmp_path) as (h, editor):
        before = dump_catalogue(await stored_catalogue(h))
        token = csrf_token((await editor.get("/admin/topics")).text)
        await h.user("someone", role)
        async with h.client() as client:
            await sign_in(client, "someone")
            assert (await client.get("/admin/topics")).status_code == 403
            assert (await client.get("/admin/sources")).status_code == 403
            for path, data in (
                ("/admin/topics", {**NEW, "csrf_token": token}),
                ("/admin/topics/retire", {"slug": OTHER, "confirm": "yes", "csrf_token": token}),
                ("/admin/sources", {"url": "https://example.org/x", "kind": "page"}),
            ):
                assert (await client.post(path, data=data)).status_code == 403, path
        assert dump_catalogue(await stored_catalogue(h)) == before
        assert await applied_by_editors(h) == []


async def test_an_operator_may_create_topics(sqlite_url: str, tmp_path: Path) -> None:
    async with signed_in_editor(sqlite_url, tmp_path) as (h, _):
        await h.user("ops", "operator")
        async with h.client() as client:
            await sign_in(client, "ops")
            created = await post_from_topics(client, "/admin/topics", NEW, lang="nb")
            assert created.status_code == 303
        assert (await stored_catalogue(h)).topic("vaksiner") is not None
        assert [e.actor for e in await applied_by_editors(h)] == ["ops"]
