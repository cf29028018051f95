"""Editors add, pause, resume and remove sources; each change is checked whole and audited."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from services.admin.adapters.tables import AdminAuditEntry
from tests.integration.admin import seed
from tests.integration.admin.desk_support import source_edit_form
from tests.integration.admin.harness import (
    OTHER,
    TOPIC,
    Harness,
    another_editor,
    csrf_token,
)
from tests.integration.admin.sources_support import KNOWN, post_from_sources, signed_in_editor
from tests.integration.admin.topics_support import stored_catalogue


async def _sources(h: Harness) -> dict[str, bool]:
    return {s.url: s.paused for s in (await stored_catalogue(h)).sources}


async def test_an_editor_adds_pauses_resumes_and_removes_a_source(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with signed_in_editor(sqlite_url, tmp_path) as (h, client):
        new = "https://example.org/ny-side"
        added = await post_from_sources(
            client,
            "/admin/sources",
            {"url": new, "kind": "feed", "topics": [TOPIC, OTHER], "interval": "1h"},
        )
        assert added.status_code == 303, added.text
        assert await _sources(h) == {KNOWN: False, new: False}
        assert (
            await post_from_sources(client, "/admin/sources/pause", {"url": new, "paused": "true"})
        ).status_code == 303
        assert await _sources(h) == {KNOWN: False, new: True}
        listing = await client.get("/admin/sources?lang=en")
        assert "Paused" in listing.text and new in listing.text
        assert (
            await post_from_sources(client, "/admin/sources/pause", {"url": new, "paused": "false"})
        ).status_code == 303
        assert await _sources(h) == {KNOWN: False, new: False}
        # Editing keeps the source's place and pause; it may change its address too.
        await post_from_sources(client, "/admin/sources/pause", {"url": new, "paused": "true"})
        form = await client.get("/admin/sources", params={"edit": new, "lang": "en"})
        assert form.status_code == 200
        assert f'name="original" value="{new}"' in form.text
        assert 'value="1h"' in form.text and "Save the source" in form.text
        edited = {"original": new, "url": new, "kind": "page", "topics": [OTHER]}
        assert (
            await post_from_sources(client, "/admin/sources", {**edited, "selector": "main"})
        ).status_code == 303
        stored = await stored_catalogue(h)
        source = next(s for s in stored.sources if s.url == new)
        assert (source.kind, source.topics, source.selector, source.paused) == (
            "page",
            (OTHER,),
            "main",
            True,
        )
        taken = await post_from_sources(client, "/admin/sources", {**edited, "url": KNOWN})
        assert taken.status_code == 400 and "already" in taken.text
        unknown = await client.get("/admin/sources", params={"edit": "https://nope.example"})
        assert unknown.status_code == 404
        assert (
            await post_from_sources(client, "/admin/sources/remove", {"url": new})
        ).status_code == 303
        assert await _sources(h) == {KNOWN: False}
        async with h.runtime.sessions() as session:
            applied = (
                await session.scalars(
                    select(AdminAuditEntry).where(AdminAuditEntry.action == "catalogue_applied")
                )
            ).all()
        by_editor = [e for e in applied if e.actor == "ed"]
        assert len(by_editor) == 6
        assert all(e.target == "admin" for e in by_editor)


async def test_bad_input_is_a_400_with_the_reason_and_changes_nothing(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with signed_in_editor(sqlite_url, tmp_path) as (h, client):
        good = {"url": "https://example.org/a", "kind": "page", "topics": [TOPIC]}
        # Each wrong field is named beside the field, in the page's words.
        cases = [
            ({**good, "url": "file:///etc/passwd"}, "url", "https://"),
            ({**good, "kind": "video"}, "kind", "a page, a feed or a PDF"),
            ({**good, "topics": []}, "topics", "one or more topics"),
            ({**good, "topics": ["finnes-ikke"]}, "topics", "from the list"),
            ({**good, "interval": "sometimes"}, "interval", "30s, 15m"),
            # A slip of the keyboard: past the watcher's column, it stopped every replica
            # taking any later change of the catalogue.
            ({**good, "interval": "99999999999999d"}, "interval", "at most 365d"),
            # A control character no request can carry, a space inside.
            ({**good, "url": "https://example.org/a\x1b"}, "url", "https://"),
            ({**good, "url": "https://example.org/a b"}, "url", "https://"),
            # Shown as another address than it is: U+202E reverses what follows it.
            ({**good, "url": "https://example.org/\u202efdp.a"}, "url", "direction control"),
            # A name and password in the address would stand in alerts, logs and the audit log.
            ({**good, "url": "https://kari:hemmelig@example.org/a"}, "url", "name and password"),
            # A port no connection can use fails every poll («invalid URL»).
            ({**good, "url": "https://example.org:99999/a"}, "url", "from 1 to 65535"),
            ({**good, "url": "https://example.org:0/a"}, "url", "from 1 to 65535"),
            # No request reaches such a host: every poll failed («invalid URL»).
            ({**good, "url": "https://example..org/a"}, "url", "names no host a request"),
            ({**good, "url": "http://[::1/a"}, "url", "names no host a request"),
            ({**good, "ignore": "(uavsluttet"}, "ignore", "regular expression"),
            ({**good, "mode": "sometimes"}, "mode", "wait for an editor"),
            ({**good, "url": KNOWN}, None, "already"),
            # The same page spelt otherwise would be polled twice and each change mailed twice.
            (
                {**good, "url": "https://EXAMPLE.org/side#top"},
                None,
                f"already: <code>{KNOWN}</code>",
            ),
            ({**good, "url": "https://example.org/side/?utm_source=x"}, None, "already"),
        ]
        for data, field, reason in cases:
            response = await post_from_sources(client, "/admin/sources", data)
            assert response.status_code == 400, (data, response.text[:200])
            assert 'role="alert"' in response.text
            if field is not None:
                beside = response.text.split(f'<p class="error-message" id="{field}-error">')[1]
                assert reason in beside.split("</p>")[0], reason
                assert f'<a href="#{field}">' in response.text
            assert reason in response.text, reason
        missing = await post_from_sources(
            client, "/admin/sources/remove", {"url": "https://nope.example"}
        )
        assert missing.status_code == 400
        forged = await client.post("/admin/sources/remove", data={"url": KNOWN})
        assert forged.status_code == 400
        assert await _sources(h) == {KNOWN: False}


async def test_the_sources_page_tells_the_editor_a_source_fails_and_why(
    sqlite_url: str, tmp_path: Path
) -> None:
    # An editor who points a source at a redirect loop, an image or a huge file sees that it
    # fails and why where the source is listed, not only an operator on another page.
    reason = "more than 5 redirects from https://example.org/side"
    async with signed_in_editor(sqlite_url, tmp_path) as (h, client):
        async with h.runtime.sessions() as session, session.begin():
            session.add(seed.failing_source(KNOWN, [TOPIC], reason))
        page = await client.get("/admin/sources?lang=en")
        row = page.text[page.text.index(f'<th scope="row">{KNOWN}') :].split("</tr>")[0]
        assert "failing" in row and "The source sent more than 5 redirects in a row." in row


async def test_of_two_editors_saving_one_source_at_once_the_second_is_told_and_changes_nothing(
    sqlite_url: str, tmp_path: Path
) -> None:
    # One editor puts a source in review mode while another has its form open to change its
    # interval: the second save must not put it back to automatic unseen, so that its changes
    # would go out unreviewed.
    async with (
        signed_in_editor(sqlite_url, tmp_path) as (h, client),
        another_editor(h) as other,
    ):
        opened = [await source_edit_form(browser, KNOWN) for browser in (client, other)]
        assert [form["mode"] for form in opened] == ["automatic", "automatic"]
        reviewed = {**opened[0], "mode": "review"}
        assert (await client.post("/admin/sources?lang=en", data=reviewed)).status_code == 303
        second = await other.post("/admin/sources?lang=en", data={**opened[1], "interval": "1h"})
        assert second.status_code == 409
        assert "Another editor saved this source" in second.text
        assert 'id="mode-review" name="mode" value="review" checked' in second.text
        stored = await stored_catalogue(h)
        source = next(s for s in stored.sources if s.url == KNOWN)
        assert (source.mode, source.interval) == ("review", 900)
        # The form shown again is the source as saved, so a save from it goes through;
        # a pause meanwhile is no edit of what the form holds.
        await post_from_sources(client, "/admin/sources/pause", {"url": KNOWN, "paused": "true"})
        again = await other.post(
            "/admin/sources?lang=en",
            data={**await source_edit_form(other, KNOWN), "interval": "1h"},
        )
        assert again.status_code == 303, again.text


PRIVATE = (
    "http://127.0.0.1/",
    "http://[::1%25eth0]/",
    "http://localhost:8080/",
    "http://10.1.2.3/",
)
REFUSED_WORDS = {
    "nb": "varsel henter ikke denne adressen: den peker til et privat eller internt nett.",
    "nn": "varsel hentar ikkje denne adressa: ho peikar til eit privat eller internt nett.",
    "en": "varsel does not fetch this address: it points to a private or internal network.",
}


async def test_an_address_every_poll_of_which_would_be_refused_is_refused_where_it_is_typed(
    sqlite_url: str, tmp_path: Path
) -> None:
    # Saved before, and then every poll of it was refused by the watcher's address guard.
    async with signed_in_editor(sqlite_url, tmp_path) as (h, client):
        for url in PRIVATE:
            for language, words in REFUSED_WORDS.items():
                page = await client.get(f"/admin/sources?lang={language}")
                data = {"url": url, "kind": "page", "topics": [TOPIC], "interval": "1h"}
                answer = await client.post(
                    f"/admin/sources?lang={language}",
                    data={**data, "csrf_token": csrf_token(page.text)},
                )
                assert answer.status_code == 400, (url, language)
                beside = answer.text.split('<p class="error-message" id="url-error">')[1]
                assert words in beside.split("</p>")[0], (url, language)
        assert set(await _sources(h)) == {KNOWN}
        # A name that resolves to a private address is judged when the watcher connects.
        named = {"url": "https://intranett.example.org/", "kind": "page", "topics": [TOPIC]}
        assert (await post_from_sources(client, "/admin/sources", named)).status_code == 303
        assert set(await _sources(h)) == {KNOWN, named["url"]}


async def test_where_the_watcher_may_fetch_private_addresses_the_form_saves_them(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with signed_in_editor(sqlite_url, tmp_path, allow_private_addresses=True) as (h, client):
        for url in PRIVATE:
            data = {"url": url, "kind": "page", "topics": [TOPIC]}
            assert (await post_from_sources(client, "/admin/sources", data)).status_code == 303
        assert set(await _sources(h)) == {KNOWN, *PRIVATE}
