"""A topic's bokmål text shown on an English or nynorsk page says it is bokmål (WCAG 3.1.2)."""

from __future__ import annotations

import re
from pathlib import Path

from tests.support.journey import hidden_fields

from .harness import running, sign_up

CATALOGUE = """
[[topics]]
slug = "bare-bokmal"
title = { nb = "Bare bokmål" }
description = { nb = "Skrevet bare på bokmål" }
related = ["alle-sprak"]

[[topics]]
slug = "alle-sprak"
title = { nb = "Alle språk", nn = "Alle språk nn", en = "Every language" }
description = { nb = "Beskrivelse", nn = "Skildring", en = "Description" }
related = ["bare-bokmal"]
"""


def _one(pattern: str, text: str) -> str:
    found = re.findall(pattern, text)
    assert len(found) == 1, (pattern, found)
    return str(found[0])


async def test_a_fallback_to_bokmal_is_marked_as_bokmal(sqlite_url: str, tmp_path: Path) -> None:
    config = tmp_path / "catalogue.toml"
    config.write_text(CATALOGUE, encoding="utf-8")
    async with running(sqlite_url, tmp_path, config=config) as h:
        for lang in ("en", "nn"):
            page = (await h.client.get(f"/subscribe/bare-bokmal?lang={lang}")).text
            assert '<span lang="nb">Bare bokmål</span>' in _one(r"<h1>.*?</h1>", page)
            own = (await h.client.get(f"/subscribe/alle-sprak?lang={lang}")).text
            assert "lang=" not in _one(r"<h1>.*?</h1>", own)
            assert _one(r'<label for="related-bare-bokmal"[^>]*>', own) == (
                '<label for="related-bare-bokmal" lang="nb">'
            )
            index = (await h.client.get(f"/?lang={lang}")).text
            assert _one(r'<label for="topic-bare-bokmal"[^>]*>', index) == (
                '<label for="topic-bare-bokmal" lang="nb">'
            )
            assert _one(r'<p class="hint" id="topic-bare-bokmal-hint"[^>]*>', index).endswith(
                ' lang="nb">'
            )
            assert _one(r'<label for="topic-alle-sprak"[^>]*>', index) == (
                '<label for="topic-alle-sprak">'
            )
            assert _one(r'<p class="hint" id="topic-alle-sprak-hint"[^>]*>', index) == (
                '<p class="hint" id="topic-alle-sprak-hint">'
            )
        # On a bokmål page bokmål is the page's own language: nothing to mark.
        page = (await h.client.get("/subscribe/bare-bokmal?lang=nb")).text
        assert "<span lang=" not in page
        index = (await h.client.get("/?lang=nb")).text
        assert '<label for="topic-bare-bokmal">' in index


# The catalogue above, with an ended topic that has only a bokmål title and names one as its
# successor.
ENDED = (
    CATALOGUE
    + """
[[topics]]
slug = "gammelt-bokmal"
title = { nb = "Gammelt på bokmål" }
retired = true
successor = "bare-bokmal"
"""
)


async def test_the_pages_after_the_sign_up_mark_a_fallback_to_bokmal(
    sqlite_url: str, tmp_path: Path
) -> None:
    config = tmp_path / "catalogue.toml"
    config.write_text(ENDED, encoding="utf-8")
    async with running(sqlite_url, tmp_path, config=config) as h:
        for lang in ("en", "nn"):
            own = "Every language" if lang == "en" else "Alle språk nn"
            address = f"kari-{lang}@example.no"
            answer = await sign_up(
                h.client, address, slug="bare-bokmal", related=["alle-sprak"], lang=lang
            )
            assert answer.status_code == 200, answer.text
            token = await h.confirm_token(address)
            page = await h.client.get(f"/confirm/{token}?lang={lang}")
            assert '<li lang="nb">Bare bokmål</li>' in page.text
            assert f"<li>{own}</li>" in page.text
            pressed = hidden_fields(page.text)
            done = await h.client.post(f"/confirm/{token}?lang={lang}", data=pressed)
            assert done.status_code == 200, done.text
            assert '<li lang="nb">Bare bokmål</li>' in done.text
            assert f"<li>{own}</li>" in done.text

            manage = await h.link_token(address, "manage")
            page = await h.client.get(f"/manage/{manage}?lang={lang}")
            assert _one(r'<label for="topic-bare-bokmal"[^>]*>', page.text) == (
                '<label for="topic-bare-bokmal" lang="nb">'
            )
            assert _one(r'<label for="topic-alle-sprak"[^>]*>', page.text) == (
                '<label for="topic-alle-sprak">'
            )

            ended = await h.client.get(f"/subscribe/gammelt-bokmal?lang={lang}")
            assert ended.status_code == 410
            heading = _one(r"<h1>.*?</h1>", ended.text)
            assert '<span lang="nb">Gammelt på bokmål</span>' in heading
            assert '<span lang="nb">Bare bokmål</span>' in ended.text
            assert '<a href="/subscribe/bare-bokmal" lang="nb">Bare bokmål</a>' in ended.text

            changes = (await h.client.get(f"/topics/bare-bokmal/changes?lang={lang}")).text
            assert '<span lang="nb">Bare bokmål</span>' in _one(r"<h1>.*?</h1>", changes)
            own_changes = (await h.client.get(f"/topics/alle-sprak/changes?lang={lang}")).text
            assert "lang=" not in _one(r"<h1>.*?</h1>", own_changes)
