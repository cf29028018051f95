"""Long texts in staff forms: kept whole up to their field's limit, and past it refused with a
400 that names the field and the limit, in the page's language, with nothing changed."""

from __future__ import annotations

import json
from pathlib import Path

from services.mailer import read_api as mailer
from tests.integration.admin.bulletins_support import editor, events, form
from tests.integration.admin.desk_support import decide, detected, editor_at_desk
from tests.integration.admin.harness import TOPIC, Harness, csrf_token, running, sign_in
from tests.integration.admin.sources_support import KNOWN, post_from_sources, signed_in_editor
from tests.integration.admin.topics_support import post_from_topics, stored_catalogue

# A hundred ignore patterns: far past the 1,000 characters every field used to be cut to.
PATTERNS = [rf"Sist oppdatert {n:03} \d+\.\d+\.\d{{4}}" for n in range(100)]


async def _source_ignore(h: Harness, url: str) -> tuple[str, ...] | None:
    stored = await stored_catalogue(h)
    return next((s.ignore for s in stored.sources if s.url == url), None)


async def test_a_long_ignore_list_is_kept_whole_and_a_too_long_one_is_refused(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with signed_in_editor(sqlite_url, tmp_path) as (h, client):
        source = {"url": "https://example.org/a", "kind": "page", "topics": [TOPIC]}
        ignore = "\r\n".join(PATTERNS)
        assert len(ignore) > 3000
        saved = await post_from_sources(client, "/admin/sources", {**source, "ignore": ignore})
        assert saved.status_code == 303, saved.text[:300]
        assert await _source_ignore(h, "https://example.org/a") == tuple(PATTERNS)

        too_long = "x" * 10_001
        data = {**source, "url": "https://example.org/b", "ignore": too_long}
        refused = await post_from_sources(client, "/admin/sources", data)
        assert refused.status_code == 400
        assert "The field “ignore” holds 10001 characters; it may hold at most 10000." in (
            refused.text
        )
        assert f">{too_long}</textarea>" in refused.text  # kept, to copy and shorten
        assert await _source_ignore(h, "https://example.org/b") is None
        assert await _source_ignore(h, KNOWN) == ()


async def test_an_address_as_long_as_its_field_takes_is_saved(
    sqlite_url: str, tmp_path: Path
) -> None:
    # Addresses from some publishing systems run past 1,000 characters; the forms say they take
    # 2,000 (as the columns hold), and refused them past 1,000.
    long_address = "https://example.org/sok?" + "&".join(f"f{n}=verdi" for n in range(180))
    assert 1000 < len(long_address) <= 2000
    async with signed_in_editor(sqlite_url, tmp_path) as (h, client):
        source = {"url": long_address, "kind": "page", "topics": [TOPIC]}
        assert (await post_from_sources(client, "/admin/sources", source)).status_code == 303
        assert await _source_ignore(h, long_address) == ()
        topic = {"slug": "lang-side", "title_nb": "Lang side", "page": long_address}
        saved = await post_from_topics(client, "/admin/topics", topic)
        assert saved.status_code == 303, saved.text[:300]
        found = (await stored_catalogue(h)).topic("lang-side")
        assert found is not None and found.page == long_address


async def test_a_too_long_field_is_named_in_the_staff_members_language(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with signed_in_editor(sqlite_url, tmp_path) as (h, client):
        for lang, words in (
            ("nb", "Feltet «selector» har 1001 tegn; det kan ha høyst 1000."),
            ("nn", "Feltet «selector» har 1001 teikn; det kan ha høgst 1000."),
            ("en", "The field “selector” holds 1001 characters; it may hold at most 1000."),
        ):
            page = await client.get(f"/admin/sources?lang={lang}")
            data = {
                "csrf_token": csrf_token(page.text),
                "url": "https://example.org/c",
                "kind": "page",
                "topics": [TOPIC],
                "selector": "m" * 1001,
            }
            refused = await client.post(f"/admin/sources?lang={lang}", data=data)
            assert refused.status_code == 400
            assert words in refused.text, lang
        assert await _source_ignore(h, "https://example.org/c") is None


async def test_a_too_long_note_is_refused_and_the_change_waits_with_its_old_note(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with editor_at_desk(sqlite_url, tmp_path) as (h, client):
        change_id = await detected(h)
        held = await decide(client, change_id, "hold", "Første merknad")
        assert held.status_code == 303
        # Longer than the field may carry at all: refused before the mailer sees it.
        huge = await decide(client, change_id, "approve", "y" * 10_001, version="1")
        assert huge.status_code == 400
        assert "The field “note” holds 10001 characters; it may hold at most 10000." in (huge.text)
        # Past the note's own limit: the desk says so, with the note kept in the form.
        long = await decide(client, change_id, "approve", "z" * 5001, version="1")
        assert long.status_code == 400
        assert "longer than 5,000 characters" in long.text and "z" * 5001 in long.text
        # A note of 5,000 characters written in lines arrives with two-character line
        # breaks, over 5,000 as posted: it is accepted whole.
        lines = "\r\n".join(["n" * 99] * 50)
        assert len(lines) > 5000
        async with h.runtime.sessions() as session:
            change = await mailer.change_on_desk(session, change_id)
        assert change is not None and change.is_open
        assert change.note == "Første merknad" and change.version == 1
        async with h.client() as another_browser:
            await sign_in(another_browser, "ed")
            kept = await decide(another_browser, change_id, "hold", lines, version="1")
            assert kept.status_code == 303
        async with h.runtime.sessions() as session:
            change = await mailer.change_on_desk(session, change_id)
        assert change is not None and change.note == lines.replace("\r\n", "\n")


async def test_a_bulletin_is_read_whole_and_a_too_long_text_is_refused_naming_it(
    database_url: str, tmp_path: Path
) -> None:
    async with running(database_url, tmp_path) as h, h.client() as client:
        page = await editor(h, client, address="rita@example.no")
        too_long = await client.post(
            "/admin/bulletins?lang=en", data=form(page, body_en="b" * 20_001)
        )
        assert too_long.status_code == 400
        assert "The message is too long: it may hold at most 20,000 characters." in too_long.text
        assert "b" * 20_001 in too_long.text  # the form comes back filled in
        assert await events(h, "bulletin.published.v1") == []
        # 20,000 characters in lines: more as posted (two-character line breaks), sent whole.
        body = "\r\n".join(["w" * 199] * 100)
        sent = await client.post("/admin/bulletins", data=form(page, body_nb=body))
        assert sent.status_code == 200, sent.text[:300]
        (published,) = await events(h, "bulletin.published.v1")
        assert json.dumps(published).count("w" * 199) == 100
