"""Why a source's polls fail reads in the admin page's language: the watcher polls real sources on
a loopback server, fails, and stores its reason in English for operators; the operations and
sources pages word each reason in bokmål, nynorsk or English, with the values it names. A reason
in no form the watcher knows is shown as it was stored."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from services.admin import catalogue as commands
from services.admin.adapters import catalogue_rows
from services.watcher import handlers as watcher
from services.watcher.bootstrap import Watcher
from services.watcher.catalogue_sync import sync_catalogue
from services.watcher.read_api import source_ids, source_statuses
from tests.integration.admin import seed
from tests.integration.admin.harness import TOPIC, Harness, csrf_token, running, sign_in
from tests.support.site import FixtureSite, Resource

SIGN_IN = b"""<!doctype html><html lang="nb"><head><meta charset="utf-8"><title>Logg inn</title>
</head><body><main><h1>Logg inn</h1><p>Bruk brukernavnet og passordet du fikk fra din leder.</p>
<form method="post"><label>Brukernavn <input name="u"></label>
<label>Passord <input type="password" name="p"></label><button>Logg inn</button></form>
</main></body></html>"""
ODD = "the hamster powering the server is tired"  # a reason in no form the watcher words


# A feed whose one item nests deeper than varsel reads (a pasted document's wrappers, or tags
# left unclosed), and a JSON Feed whose item does.
DEEP_ITEM = (
    b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Nyheter</title>'
    b"<link>https://x.org/</link><description>d</description><item><title>Sak</title>"
    b"<link>https://x.org/1</link><description>"
    + b"&lt;div&gt;" * 1500
    + b"&lt;p&gt;Frist for &#229; s&#248;ke er 1. mars.&lt;/p&gt;"
    + b"&lt;/div&gt;" * 1500
    + b"</description></item></channel></rss>"
)
# A page that nests deeper still: libxml2 stops reading it.
DEEP_PAGE = (
    b"<!doctype html><html><body>"
    + b"<div>" * 3000
    + b"<p>Frist for s&#248;knad er 1. mars.</p>"
    + b"</div>" * 3000
    + b"</body></html>"
)
DEEP_JSON = b'{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"1","_ext":%s%s}]}' % (
    b"[" * 100_000,
    b"]" * 100_000,
)


@pytest.fixture
def site() -> Iterator[FixtureSite]:
    served = FixtureSite()
    served.set("/nede", Resource(b"<h1>Feil</h1>", status=503))
    served.set("/data", Resource(b'{"saker": []}', "application/json"))
    served.set("/innlogging", Resource(SIGN_IN))
    served.set("/dyp-sak", Resource(DEEP_ITEM, "application/rss+xml"))
    served.set("/dyp-json", Resource(DEEP_JSON, "application/feed+json"))
    served.set("/dyp-side", Resource(DEEP_PAGE))
    served.start()
    yield served
    served.stop()


async def _poll_all(h: Harness, urls: list[str], kind: str = "page") -> None:
    """Put the sources in the catalogue as an editor does, and poll each as the watcher does."""
    await commands.apply_at_start(
        h.runtime.sessions, h.runtime.settings.config, h.runtime.clock.now(), allow_private=True
    )
    await h.user("ed", "editor")
    async with h.client() as client:
        await sign_in(client, "ed")
        for url in urls:
            token = csrf_token((await client.get("/admin/sources")).text)
            data = {"url": url, "kind": kind, "topics": [TOPIC], "csrf_token": token}
            assert (await client.post("/admin/sources", data=data)).status_code == 303
    async with h.runtime.sessions() as session, session.begin():
        stored = (await catalogue_rows.load(session)).catalogue
        await sync_catalogue(session, stored.sources, h.runtime.clock.now())
        # One more, whose reason is in no form the watcher knows (an older wording, say).
        session.add(seed.failing_source("https://example.org/odd", [TOPIC], ODD))
    polling = Watcher(h.runtime)
    try:
        # Each is polled now, whenever its first poll was spread to.
        for url in urls:
            async with h.runtime.sessions() as session:
                source_id = (await source_ids(session))[url]
            await watcher.poll(polling.deps, source_id)
    finally:
        await polling.deps.aclose()


def _row(html: str, url: str) -> str:
    return html[html.index(url) :].split("</tr>")[0]


async def test_a_failing_source_says_why_in_the_pages_language(
    sqlite_url: str, tmp_path: Path, site: FixtureSite
) -> None:
    down, data, wall = (f"{site.base_url}/{p}" for p in ("nede", "data", "innlogging"))
    async with running(sqlite_url, tmp_path, allow_private_addresses=True) as h:
        await _poll_all(h, [down, data, wall])
        await h.user("ops", "operator")
        async with h.client() as client:
            await sign_in(client, "ops")
            pages = {
                (path, lang): (await client.get(f"/admin/{path}?lang={lang}")).text
                for path in ("operations", "sources")
                for lang in ("nb", "nn", "en")
            }
    for path in ("operations", "sources"):
        bokmal, nynorsk, english = (pages[path, lang] for lang in ("nb", "nn", "en"))
        assert "Kilden svarte med HTTP-status 503, ikke innholdet." in _row(bokmal, down)
        assert "Kjelda svarte med HTTP-status 503, ikkje innhaldet." in _row(nynorsk, down)
        assert "The source answered with HTTP status 503, not the content." in _row(english, down)
        assert "Adressen svarer med JSON-data, ikke en nettside eller strøm." in _row(bokmal, data)
        assert "JSON data, not a web page" in _row(english, data)
        assert "Kilden viser en innloggingsside, ikke innholdet: «Logg inn»." in _row(bokmal, wall)
        assert "shows a sign-in page, not the content: “Logg inn”." in _row(english, wall)
        for html in (bokmal, nynorsk):
            # The operators' English, whatever it said, is not on a Norwegian page.
            assert "HTTP 503 from" not in html and "no usable content" not in html
    # The sources page lists the catalogue's sources; the operations page every watched one.
    # marked as English, so a screen reader on a Norwegian page reads it as English.
    for lang in ("nb", "en"):
        assert f'<span lang="en">{ODD}</span>' in _row(
            pages["operations", lang], "https://example.org/odd"
        )


async def test_a_feed_nested_too_deep_says_so_in_the_pages_language_with_what_to_do(
    sqlite_url: str, tmp_path: Path, site: FixtureSite
) -> None:
    # The item's reason read in English as stored, on a Norwegian page too; the JSON Feed's
    # as a malformed feed, which says nothing of what to do.
    item, json_feed = (f"{site.base_url}/{p}" for p in ("dyp-sak", "dyp-json"))
    async with running(sqlite_url, tmp_path, allow_private_addresses=True) as h:
        await _poll_all(h, [item, json_feed], kind="feed")
        async with h.client() as client:
            await sign_in(client, "ed")
            pages = {
                lang: (await client.get(f"/admin/sources?lang={lang}")).text
                for lang in ("nb", "nn", "en")
            }
    assert (
        "Oppføring nummer 1 i strømmen har HTML nøstet dypere enn varsel leser (trolig fordi "
        "tagger ikke er lukket), så strømmen leses ikke. Be den som publiserer strømmen, om å "
        "rette den." in _row(pages["nb"], item)
    )
    assert (
        "Oppføring nummer 1 i straumen har HTML nøsta djupare enn varsel les (truleg fordi "
        "taggar ikkje er lukka), så straumen blir ikkje lesen. Be den som publiserer straumen, "
        "om å retta han." in _row(pages["nn"], item)
    )
    assert (
        "Entry number 1 of the feed nests its HTML deeper than varsel reads (likely from tags "
        "left unclosed), so the feed is not read. Ask whoever publishes the feed to fix it."
        in _row(pages["en"], item)
    )
    assert (
        "JSON-en i strømmen er nøstet dypere enn varsel leser, så ingen av oppføringene kan "
        "leses. Be den som publiserer strømmen, om å rette den." in _row(pages["nb"], json_feed)
    )
    assert (
        "JSON-en i straumen er nøsta djupare enn varsel les, så ingen av oppføringane kan "
        "lesast. Be den som publiserer straumen, om å retta han." in _row(pages["nn"], json_feed)
    )
    assert (
        "The feed's JSON nests deeper than varsel reads, so none of its entries can be read. "
        "Ask whoever publishes the feed to fix it."
        in _row(pages["en"], json_feed).replace("&#39;", "'")
    )
    for html in pages.values():
        # The operators' English is on no page, whatever its language.
        assert "unparseable HTML" not in html and "malformed feed" not in html


async def test_a_page_nested_too_deep_says_so_in_the_pages_language_with_what_to_do(
    sqlite_url: str, tmp_path: Path, site: FixtureSite
) -> None:
    # It read only «The page's HTML cannot be read.», which says nothing of why or what to do.
    page = f"{site.base_url}/dyp-side"
    async with running(sqlite_url, tmp_path, allow_private_addresses=True) as h:
        await _poll_all(h, [page])
        async with h.client() as client:
            await sign_in(client, "ed")
            rows = {
                lang: _row((await client.get(f"/admin/sources?lang={lang}")).text, page)
                for lang in ("nb", "nn", "en")
            }
    assert (
        "Siden har HTML nøstet dypere enn varsel leser (trolig fordi tagger ikke er lukket), så"
        " den leses ikke. Be den som publiserer siden, om å rette den." in rows["nb"]
    )
    assert (
        "Sida har HTML nøsta djupare enn varsel les (truleg fordi taggar ikkje er lukka), så ho"
        " blir ikkje lesen. Be den som publiserer sida, om å retta ho." in rows["nn"]
    )
    assert (
        "The page nests its HTML deeper than varsel reads (likely from tags left unclosed), so it"
        " is not read. Ask whoever publishes the page to fix it." in rows["en"]
    )
    for row in rows.values():
        assert "unparseable HTML" not in row and "cannot be read" not in row


async def test_the_reason_is_stored_as_the_operators_read_it(
    sqlite_url: str, tmp_path: Path, site: FixtureSite
) -> None:
    down = f"{site.base_url}/nede"
    async with running(sqlite_url, tmp_path, allow_private_addresses=True) as h:
        await _poll_all(h, [down])
        async with h.runtime.sessions() as session:
            found = {s.url: s for s in await source_statuses(session, h.runtime.clock.now())}
    assert found[down].last_error == f"HTTP 503 from {down}"
    assert found["https://example.org/odd"].failure is None
