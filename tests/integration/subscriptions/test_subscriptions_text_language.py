"""A topic's bokmål text shown on an English or nynorsk page says it is bokmål (WCAG 3.1.2)."""

from __future__ import annotations

import re
from pathlib import Path

from .harness import running

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
