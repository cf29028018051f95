"""A topic or source form sent twice (a double press, a reload, the form sent again from the
browser's history) adds it once and answers as the first did, not that its name is taken."""

from __future__ import annotations

import re
from pathlib import Path

from tests.integration.admin.harness import csrf_token
from tests.integration.admin.sources_support import signed_in_editor
from tests.integration.admin.topics_support import NEW, applied_by_editors, stored_catalogue

SOURCE = {
    "url": "https://example.org/ny-side",
    "kind": "page",
    "topics": ["norge-i-verden"],
    "interval": "1h",
    "mode": "review",
}


def _hidden(page: str) -> dict[str, str]:
    """Return the add form's hidden fields: its CSRF token and the catalogue's version."""
    version = re.search(r'name="catalogue_version" value="([0-9]+)"', page)
    assert version, "the add form carries the catalogue's version"
    return {"csrf_token": csrf_token(page), "catalogue_version": version.group(1)}


async def test_a_new_topic_sent_twice_is_added_once(sqlite_url: str, tmp_path: Path) -> None:
    async with signed_in_editor(sqlite_url, tmp_path) as (h, client):
        page = await client.get("/admin/topics?lang=en")
        form = {**NEW, **_hidden(page.text)}
        answers = [await client.post("/admin/topics?lang=en", data=form) for _ in range(2)]
        assert [a.status_code for a in answers] == [303, 303]
        assert answers[1].headers["location"] == "/admin/topics?lang=en"
        # Another topic under the same short name is still refused, naming the field.
        other = await client.post("/admin/topics?lang=en", data={**form, "title_nb": "Noe annet"})
        assert other.status_code == 400
        assert "A topic has this short name already" in other.text
        # A form opened after it was added did not add it: the editor is told it is there.
        fresh = await client.get("/admin/topics?lang=en")
        late = await client.post("/admin/topics?lang=en", data={**NEW, **_hidden(fresh.text)})
        assert late.status_code == 400 and "A topic has this short name already" in late.text
        stored = await stored_catalogue(h)
    assert [t.slug for t in stored.topics].count(NEW["slug"]) == 1
    assert len(await applied_by_editors(h)) == 1


async def test_a_new_source_sent_twice_is_added_once(sqlite_url: str, tmp_path: Path) -> None:
    async with signed_in_editor(sqlite_url, tmp_path) as (h, client):
        page = await client.get("/admin/sources?lang=en")
        form = {**SOURCE, **_hidden(page.text)}
        answers = [await client.post("/admin/sources?lang=en", data=form) for _ in range(2)]
        assert [a.status_code for a in answers] == [303, 303]
        other = await client.post("/admin/sources?lang=en", data={**form, "interval": "2h"})
        assert other.status_code == 400
        assert "A source in the catalogue has this address already" in other.text
        fresh = await client.get("/admin/sources?lang=en")
        late = await client.post("/admin/sources?lang=en", data={**SOURCE, **_hidden(fresh.text)})
        assert late.status_code == 400
        assert "A source in the catalogue has this address already" in late.text
        stored = await stored_catalogue(h)
    assert [s.url for s in stored.sources].count(SOURCE["url"]) == 1
    assert len(await applied_by_editors(h)) == 1
