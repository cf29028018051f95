"""A topic form saved (or its end pressed) after another editor, or a file, ended the topic says
that it ended, by whom and when, in the page's language; nothing is changed."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import delete, select

from services.admin.adapters.tables import AdminAuditEntry, CatalogueTopic
from shared.catalogue_file import dump_catalogue
from tests.integration.admin.harness import CATALOGUE, OTHER, TOPIC, Harness, another_editor
from tests.integration.admin.sources_support import signed_in_editor
from tests.integration.admin.topics_support import (
    post_from_topics,
    stored_catalogue,
    topic_edit_form,
)
from tests.support.catalogues import apply_file
from tests.support.words import admin_text

SAVED_NOTHING = " An ended topic cannot be changed, so nothing of yours was saved."
BY = "This topic was ended by %(actor)s at %(time)s." + SAVED_NOTHING
AT = "This topic was ended at %(time)s." + SAVED_NOTHING


async def _ended_at(h: Harness, slug: str) -> str:
    async with h.runtime.sessions() as session:
        at = await session.scalar(
            select(CatalogueTopic.retired_at).where(CatalogueTopic.slug == slug)
        )
    assert at is not None
    return at.strftime("%Y-%m-%d %H:%M UTC")


@pytest.mark.parametrize("language", ["nb", "nn", "en"])
async def test_saving_a_topic_another_editor_ended_meanwhile_says_who_ended_it_and_when(
    sqlite_url: str, tmp_path: Path, language: str
) -> None:
    async with signed_in_editor(sqlite_url, tmp_path) as (h, client):
        opened = await topic_edit_form(client, OTHER)
        async with another_editor(h) as other:
            ended = await post_from_topics(
                other, "/admin/topics/retire", {"slug": OTHER, "confirm": "yes"}
            )
            assert ended.status_code == 303, ended.text
        before = dump_catalogue(await stored_catalogue(h))
        when = await _ended_at(h, OTHER)

        saved = await client.post(
            f"/admin/topics?lang={language}", data={**opened, "title_nb": "Nytt navn"}
        )
        assert saved.status_code == 409
        said = admin_text(language, BY, actor="kari", time=when)
        assert said in saved.text
        assert admin_text(language, "No such topic people can follow.") not in saved.text
        # Ending it again from the same page says the same.
        again = await client.post(
            f"/admin/topics/retire?lang={language}",
            data={"csrf_token": opened["csrf_token"], "slug": OTHER, "confirm": "yes"},
        )
        assert again.status_code == 409 and said in again.text
        assert dump_catalogue(await stored_catalogue(h)) == before


async def test_a_topic_a_file_ended_names_the_command_and_one_past_the_audit_log_its_time(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with signed_in_editor(sqlite_url, tmp_path) as (h, client):
        opened = await topic_edit_form(client, OTHER)
        # The file leaves the topic out (and the related link to it): it ends.
        without = tmp_path / "without.toml"
        head, _, rest = CATALOGUE.partition(f'[[topics]]\nslug = "{OTHER}"')
        _, _, sources = rest.partition("[[sources]]")
        kept = head.replace(f'related = ["{OTHER}"]\n', "") + "[[sources]]" + sources
        without.write_text(kept, encoding="utf-8")
        await apply_file(h.runtime, without, actor="cli:ola")
        assert (await stored_catalogue(h)).topic(TOPIC) is not None
        when = await _ended_at(h, OTHER)
        data = {**opened, "title_nb": "Nytt navn"}

        saved = await client.post("/admin/topics?lang=en", data=data)
        assert saved.status_code == 409
        assert admin_text("en", BY, actor="cli:ola", time=when) in saved.text

        # Past the audit log's retention, who ended it is not known any more; when is.
        async with h.runtime.sessions() as session, session.begin():
            await session.execute(delete(AdminAuditEntry))
        later = await client.post("/admin/topics?lang=en", data=data)
        assert later.status_code == 409
        assert admin_text("en", AT, time=when) in later.text
