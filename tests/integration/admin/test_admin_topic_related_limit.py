"""More related topics than a topic may offer are refused beside the field, never cut short;
the catalogue file is held to the same limit."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.admin import catalogue as commands
from shared.catalogue_checks import CatalogueError
from shared.catalogue_entries import MAX_RELATED
from shared.catalogue_file import dump_catalogue, parse_catalogue_text
from shared.catalogue_problems import Trouble
from tests.integration.admin.harness import CATALOGUE, running, sign_in
from tests.integration.admin.topics_support import (
    NEW,
    applied_by_editors,
    post_from_topics,
    stored_catalogue,
)

MANY = [f"emne-{n:03}" for n in range(MAX_RELATED + 5)]
LARGE_CATALOGUE = CATALOGUE + "".join(
    f'\n[[topics]]\nslug = "{slug}"\ntitle = {{ nb = "Emne {slug}" }}\n' for slug in MANY
)


async def test_more_related_topics_than_offered_are_a_400_beside_the_field(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        catalogue = tmp_path / "catalogue.toml"
        catalogue.write_text(LARGE_CATALOGUE, encoding="utf-8")
        await commands.apply_at_start(
            h.runtime.sessions, catalogue, h.runtime.clock.now(), allow_private=True
        )
        await h.user("ed", "editor")
        async with h.client() as client:
            await sign_in(client, "ed")
            before = dump_catalogue(await stored_catalogue(h))
            answer = await post_from_topics(client, "/admin/topics", {**NEW, "related": MANY})
            assert answer.status_code == 400, answer.text[:300]
            message = answer.text.split('<p class="error-message" id="related-error">')[1]
            assert f"Choose at most {MAX_RELATED} related topics." in message.split("</p>")[0]
            assert 'aria-describedby="related-error"' in answer.text
            # Every ticked topic stays ticked, for the editor to choose which to keep.
            assert answer.text.count('name="related" value="emne-') == len(MANY)
            assert answer.text.count(" checked>") >= len(MANY)
            assert dump_catalogue(await stored_catalogue(h)) == before
            assert await applied_by_editors(h) == []

            # As many as offered are saved, each of them.
            saved = await post_from_topics(
                client, "/admin/topics", {**NEW, "related": MANY[:MAX_RELATED]}
            )
            assert saved.status_code == 303, saved.text[:300]
            topic = (await stored_catalogue(h)).topic(NEW["slug"])
            assert topic is not None and list(topic.related) == MANY[:MAX_RELATED]


def test_a_catalogue_file_naming_more_related_topics_is_refused() -> None:
    related = ", ".join(f'"{slug}"' for slug in MANY)
    text = LARGE_CATALOGUE + '\n[[topics]]\nslug = "mange"\ntitle = { nb = "Mange" }\n'
    text += f"related = [{related}]\n"
    with pytest.raises(CatalogueError) as refused:
        parse_catalogue_text(text, "catalogue.toml")
    assert [p.trouble for p in refused.value.problems] == [Trouble.RELATED_TOO_MANY]
    assert f"at most {MAX_RELATED} are offered" in str(refused.value)
