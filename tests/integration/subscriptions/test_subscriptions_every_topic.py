"""One sign-up for every topic of a large catalogue: the index's form sends a field per topic,
more than the 1,000 a form was read with, and each ticked topic is signed up for."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from services.subscriptions.adapters.tables import SignupRequest

from .harness import csrf, running

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
    sqlite_url: str, tmp_path: Path
) -> None:
    # SQLite only: on PostgreSQL the consent ledger's covering indexes hold a row's topics, and
    # a sign-up naming this many overflows an index row (a 500): not yet mended.
    catalogue = tmp_path / "catalogue.toml"
    catalogue.write_text(LARGE_CATALOGUE, encoding="utf-8")
    async with running(sqlite_url, tmp_path, config=catalogue) as h:
        hidden = await _form(h.client, "en")
        data = {**hidden, "email": "kari@example.no", "frequency": "weekly", "topics": EVERY}
        answer = await h.client.post("/", data=data, headers={"Accept": "text/html"})
        assert answer.status_code == 200, answer.text[:500]
        (request,) = await h.all(select(SignupRequest))
        assert sorted(request.topics) == EVERY
