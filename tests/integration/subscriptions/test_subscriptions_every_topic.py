"""One sign-up for every topic of a large catalogue: the index's form sends a field per topic,
more than the 1,000 a form was read with, and each ticked topic is signed up for."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from services.subscriptions.adapters.tables import SignupRequest
from tests.support.journey import hidden_fields

from .harness import confirm, csrf, running

EVERY = [f"emne-{n:04}" for n in range(1007)]
LARGE_CATALOGUE = "".join(
    f'[[topics]]\nslug = "{slug}"\ntitle = {{ nb = "Emne {slug}", en = "Topic {slug}" }}\n\n'
    for slug in EVERY
)


async def _form(client: object, lang: str) -> dict[str, str]:
    page = await client.get(f"/?lang={lang}")  # type: ignore[attr-defined]
    shown_on = re.search(r'name="page" value="([^"]*)"', page.text)
    assert shown_on
    return {"csrf_token": csrf(page.text), "page": shown_on.group(1), "lang": lang}


async def test_every_topic_of_a_large_catalogue_is_one_sign_up(
    database_url: str, tmp_path: Path
) -> None:
    # On PostgreSQL the consent ledger's paging indexes once carried each row's topics, and a
    # sign-up naming this many overflowed an index entry: a 500, and no sign-up (0035).
    catalogue = tmp_path / "catalogue.toml"
    catalogue.write_text(LARGE_CATALOGUE, encoding="utf-8")
    async with running(database_url, tmp_path, config=catalogue) as h:
        hidden = await _form(h.client, "en")
        data = {**hidden, "email": "kari@example.no", "frequency": "weekly", "topics": EVERY}
        answer = await h.client.post("/", data=data, headers={"Accept": "text/html"})
        assert answer.status_code == 200, answer.text[:500]
        (request,) = await h.all(select(SignupRequest))
        assert sorted(request.topics) == EVERY


async def test_every_topic_of_a_large_catalogue_is_confirmed_and_kept_through_the_pages(
    database_url: str, tmp_path: Path
) -> None:
    # The confirm page lists every topic and its form names each; the manage page's save keeps
    # every one ticked. Each read only the first 100 topics a form named: the rest were not
    # started, and a save ended them.
    catalogue = tmp_path / "catalogue.toml"
    catalogue.write_text(LARGE_CATALOGUE, encoding="utf-8")
    async with running(database_url, tmp_path, config=catalogue) as h:
        hidden = await _form(h.client, "en")
        data = {**hidden, "email": "kari@example.no", "frequency": "weekly", "topics": EVERY}
        assert (await h.client.post("/", data=data)).status_code == 200
        assert (await confirm(h, "kari@example.no")).status_code == 200
        assert await h.open_topics("kari@example.no") == set(EVERY)

        manage = await h.link_token("kari@example.no", "manage")
        page = await h.client.get(f"/manage/{manage}")
        fields = {**hidden_fields(page.text), "action": "save", "frequency": "daily"}
        saved = await h.client.post(f"/manage/{manage}", data={**fields, "topics": EVERY})
        assert saved.status_code == 303, saved.text[:500]
        assert await h.open_topics("kari@example.no") == set(EVERY)


async def test_the_index_groups_its_counts_as_the_language_writes_numbers(
    sqlite_url: str, tmp_path: Path
) -> None:
    catalogue = tmp_path / "catalogue.toml"
    catalogue.write_text(LARGE_CATALOGUE, encoding="utf-8")
    async with running(sqlite_url, tmp_path, config=catalogue) as h:
        # emne-0000 to emne-0099: 100 of the 1,007 topics.
        for lang, grouped in (("nb", "100 av 1\u00a0007 "), ("nn", "100 av 1\u00a0007 ")):
            page = await h.client.get(f"/?lang={lang}&q=emne-00")
            assert grouped in page.text, lang
        english = await h.client.get("/?lang=en&q=emne-00")
        assert "100 of 1,007 topics" in english.text
