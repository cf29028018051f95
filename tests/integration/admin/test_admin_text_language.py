"""A topic's bokmål title on an English or nynorsk staff page says it is bokmål (WCAG 3.1.2)."""

from __future__ import annotations

import re
from pathlib import Path

from services.admin import read_api as admin_read
from tests.integration.admin.harness import OTHER, TOPIC, csrf_token, sign_in
from tests.integration.admin.sources_support import signed_in_editor
from tests.integration.admin.topics_support import post_from_topics, topic_edit_form

ADDRESS = "kari@example.no"
ENDED = "bare-bokmal"


def _one(pattern: str, text: str) -> str:
    found = re.findall(pattern, text, re.DOTALL)
    assert len(found) == 1, (pattern, found)
    return str(found[0])


async def test_a_fallback_to_bokmal_is_marked_on_the_staff_pages(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with signed_in_editor(sqlite_url, tmp_path) as (h, editor):
        # OTHER keeps only its bokmål title; an ended topic never had another.
        form = await topic_edit_form(editor, OTHER)
        only_bokmal = {**form, "title_nb": "Helsenyheter"}
        saved = await post_from_topics(editor, "/admin/topics", only_bokmal)
        assert saved.status_code == 303, saved.text
        created = await post_from_topics(
            editor, "/admin/topics", {"slug": ENDED, "title_nb": "Bare bokmål"}
        )
        assert created.status_code == 303, created.text
        ended = await post_from_topics(
            editor, "/admin/topics/retire", {"slug": ENDED, "confirm": "yes", "successor": OTHER}
        )
        assert ended.status_code == 303, ended.text
        async with h.runtime.sessions() as session:  # as every process follows within seconds
            version, stored = await admin_read.current_catalogue(session)
        h.runtime.catalogue.replace(stored, version)
        await h.sign_up(ADDRESS, (OTHER,))
        await h.user("op", "operator")
        async with h.client() as browser:
            await sign_in(browser, "op")
            for lang in ("en", "nn"):
                home = (await browser.get(f"/admin?lang={lang}")).text
                assert '<span lang="nb">Helsenyheter</span>' in home
                assert '<span lang="nb">Bare bokmål</span>' in home

                for slug, title in ((OTHER, "Helsenyheter"), (ENDED, "Bare bokmål")):
                    page = (await browser.get(f"/admin/topics/{slug}?lang={lang}")).text
                    heading = _one(r"<h1>(.*?)</h1>", page)
                    assert f'<span lang="nb">{title}</span>' in heading

                topics = (await browser.get(f"/admin/topics?lang={lang}")).text
                assert '<th scope="row" lang="nb">Helsenyheter</th>' in topics
                assert '<th scope="row" lang="nb">Bare bokmål</th>' in topics
                assert '<td lang="nb">Helsenyheter</td>' in topics
                assert _one(r'<label for="related-helsenyheter"[^>]*>', topics).endswith(
                    ' lang="nb">'
                )
                if lang == "en":
                    assert '<th scope="row">Norway in the world</th>' in topics
                editing = await browser.get("/admin/topics", params={"edit": OTHER, "lang": lang})
                heading = _one(r'<h2 id="topic-form">(.*?)</h2>', editing.text)
                assert '<span lang="nb">Helsenyheter</span>' in heading
                # The successor to choose in the form that ends the topic edited.
                editing = await browser.get("/admin/topics", params={"edit": TOPIC, "lang": lang})
                option = _one(r'<option value="helsenyheter"[^>]*>', editing.text)
                assert option.endswith(' lang="nb">')

                lookup = await browser.get(f"/admin/consent?lang={lang}")
                found = await browser.post(
                    f"/admin/consent?lang={lang}",
                    data={"address": ADDRESS, "csrf_token": csrf_token(lookup.text)},
                )
                assert found.status_code == 200, found.text
                assert '<span lang="nb">Helsenyheter</span>' in found.text
            # On a bokmål page bokmål is the page's own language: nothing to mark.
            home = (await browser.get("/admin?lang=nb")).text
            assert "<span lang=" not in home
