"""Editors name a topic's editors on the topic form; a name that is no editor or operator
account is a 400 with the reason beside the field, in the page's language, and changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.catalogue_file import dump_catalogue
from tests.integration.admin.harness import TOPIC
from tests.integration.admin.sources_support import signed_in_editor
from tests.integration.admin.topics_support import (
    applied_by_editors,
    post_from_topics,
    stored_catalogue,
)

REASON = {
    "en": "Name only editor or operator accounts",
    "nb": "Skriv bare navn på redaktør- eller driftskontoer",
    "nn": "Skriv berre namn på redaktør- eller driftskontoar",
}


async def test_an_editor_names_the_topics_editors(sqlite_url: str, tmp_path: Path) -> None:
    async with signed_in_editor(sqlite_url, tmp_path) as (h, client):
        await h.user("drift", "operator")
        answer = await post_from_topics(
            client, "/admin/topics", {"original": TOPIC, "title_nb": "T", "editors": "ed, drift"}
        )
        assert answer.status_code == 303, answer.text[:300]
        topic = (await stored_catalogue(h)).topic(TOPIC)
        assert topic is not None and topic.editors == ("ed", "drift")
        shown = await client.get(f"/admin/topics?edit={TOPIC}&lang=en")
        assert 'value="ed, drift"' in shown.text
        assert len(await applied_by_editors(h)) == 1, "audited"


@pytest.mark.parametrize("lang", ["en", "nb", "nn"])
async def test_a_name_that_is_no_editor_account_is_a_400_with_the_reason(
    sqlite_url: str, tmp_path: Path, lang: str
) -> None:
    async with signed_in_editor(sqlite_url, tmp_path) as (h, client):
        await h.user("revisor", "auditor")
        before = dump_catalogue(await stored_catalogue(h))
        for typed in ("ed, finnes-ikke", "revisor"):
            data = {"original": TOPIC, "title_nb": "T", "editors": typed}
            answer = await post_from_topics(client, "/admin/topics", data, lang=lang)
            assert answer.status_code == 400, answer.text[:300]
            message = answer.text.split('<p class="error-message" id="editors-error">')[1]
            assert REASON[lang] in message.split("</p>")[0]
            assert f'value="{typed}"' in answer.text, "kept to be fixed"
        assert dump_catalogue(await stored_catalogue(h)) == before
        assert await applied_by_editors(h) == []


NAMED = {
    "en": "No editor or operator account has these names: finnes-ikke, revisor.",
    "nb": "Ingen redaktør- eller driftskonto har disse navnene: finnes-ikke, revisor.",
    "nn": "Ingen redaktør- eller driftskonto har desse namna: finnes-ikke, revisor.",
}
ADDRESS_ONLY = {
    "en": "Name accounts by their user names, not by email addresses.",
    "nb": "Skriv kontoene med brukernavnet, ikke med e-postadressen.",
    "nn": "Skriv kontoane med brukarnamnet, ikkje med e-postadressa.",
}


def _editors_message(text: str) -> str:
    return text.split('<p class="error-message" id="editors-error">')[1].split("</p>")[0]


@pytest.mark.parametrize("lang", ["en", "nb", "nn"])
async def test_the_reason_names_the_unknown_names_but_never_an_address(
    sqlite_url: str, tmp_path: Path, lang: str
) -> None:
    async with signed_in_editor(sqlite_url, tmp_path) as (h, client):
        await h.user("revisor", "auditor")
        typed = "ed, finnes-ikke, kari@etaten.no, revisor"
        data = {"original": TOPIC, "title_nb": "T", "editors": typed}
        answer = await post_from_topics(client, "/admin/topics", data, lang=lang)
        assert answer.status_code == 400, answer.text[:300]
        message = _editors_message(answer.text)
        assert NAMED[lang] in message
        summary = answer.text.split('id="error-summary-title"')[1].split("</ul>")[0]
        assert NAMED[lang] in summary
        # The address stands only where it was typed, to be fixed; no message repeats it.
        assert answer.text.count("kari@etaten.no") == 1
        assert f'value="{typed}"' in answer.text
        data["editors"] = "ed, kari@etaten.no"
        only_address = await post_from_topics(client, "/admin/topics", data, lang=lang)
        assert only_address.status_code == 400
        assert ADDRESS_ONLY[lang] in _editors_message(only_address.text)
        assert only_address.text.count("kari@etaten.no") == 1
