"""What the catalogue refuses on the sources page reads in the page's language, naming the source
and the value; `varsel catalogue apply` keeps its English lines for the terminal."""

from __future__ import annotations

from pathlib import Path

import httpx
from sqlalchemy import update

from services.admin import catalogue as commands
from services.admin.adapters.tables import CatalogueSource
from tests.integration.admin.harness import TOPIC, Harness, csrf_token, running, sign_in

KNOWN = "https://example.org/side"  # the harness's catalogue source
NEW = {"url": "https://example.org/ny", "kind": "page", "topics": [TOPIC]}


async def _post(client: httpx.AsyncClient, lang: str, data: dict[str, object]) -> httpx.Response:
    page = await client.get(f"/admin/sources?lang={lang}")
    token = csrf_token(page.text)
    return await client.post(f"/admin/sources?lang={lang}", data={**data, "csrf_token": token})


def _summary(html: str) -> str:
    return html.split('class="error-summary"')[1].split("</div>")[0]


async def _editor(h: Harness, tmp_path: Path) -> None:
    await commands.apply_at_start(
        h.runtime.sessions, tmp_path / "catalogue.toml", h.runtime.clock.now(), allow_private=True
    )
    await h.user("ed", "editor")


async def test_an_address_in_the_catalogue_already_is_refused_in_the_pages_language(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        await _editor(h, tmp_path)
        async with h.client() as client:
            await sign_in(client, "ed")
            bokmal = await _post(client, "nb", {**NEW, "url": KNOWN})
            nynorsk = await _post(client, "nn", {**NEW, "url": KNOWN})
            gone = await client.post(
                "/admin/sources/remove",
                data={"url": "https://nope.example", "csrf_token": csrf_token(bokmal.text)},
            )
    assert bokmal.status_code == nynorsk.status_code == gone.status_code == 400
    said = _summary(bokmal.text)
    assert "En kilde i katalogen har denne adressen allerede:" in said
    assert f"<code>{KNOWN}</code>" in said and "already" not in said
    assert "Ei kjelde i katalogen har denne adressa allereie:" in _summary(nynorsk.text)
    said = _summary(gone.text)
    assert "Fant ikke kilden." in said
    assert "<code>https://nope.example</code>" in said and "not in the catalogue" not in said


async def test_a_stored_source_the_catalogue_refuses_is_named_in_the_pages_language(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        await _editor(h, tmp_path)
        # A source stored before selectors were checked where they come in: each change of the
        # catalogue is checked whole, so saving another source is refused for it.
        async with h.runtime.sessions() as session, session.begin():
            entry = {"url": KNOWN, "kind": "page", "topics": [TOPIC], "selector": "main[["}
            await session.execute(
                update(CatalogueSource).where(CatalogueSource.url == KNOWN).values(entry=entry)
            )
        async with h.client() as client:
            await sign_in(client, "ed")
            answers = {lang: await _post(client, lang, NEW) for lang in ("nb", "nn", "en")}
    for answer in answers.values():
        assert answer.status_code == 400
    bokmal, nynorsk, english = (_summary(answers[lang].text) for lang in ("nb", "nn", "en"))
    assert f"Kilde {KNOWN}: CSS-velgeren «main[[» kan ikke leses." in bokmal
    assert f"Kjelde {KNOWN}: CSS-veljaren «main[[» kan ikkje lesast." in nynorsk
    assert f"Source {KNOWN}: the CSS selector “main[[” cannot be read." in english
    for said in (bokmal, nynorsk):
        assert "invalid configuration" not in said and "is not a CSS selector" not in said
