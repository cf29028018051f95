"""A topic's recent changes as a public page, where a digest cut short links its readers."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from .harness import ENDED_CATALOGUE, RELATED, START, TOPIC, running
from .test_subscriptions_feeds import HOSTILE, _changed

PAGE = f"/topics/{TOPIC}/changes"


def _main(html: str) -> str:
    return html.split('<main id="main">')[1].split("</main>")[0]


@pytest.mark.parametrize(
    ("lang", "heading", "empty"),
    [
        ("nb", "Endringer i «Norge i verden»", "Ingen endringer ennå."),
        # The topic has no nynorsk title: its bokmål one is marked as bokmål (WCAG 3.1.2).
        ("nn", 'Endringar i «<span lang="nb">Norge i verden</span>»', "Ingen endringar enno."),
        ("en", "Changes in “Norway in the world”", "No changes yet."),
    ],
)
async def test_a_topics_page_lists_its_changes_newest_first(
    sqlite_url: str, tmp_path: Path, lang: str, heading: str, empty: str
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        before = await h.client.get(f"{PAGE}?lang={lang}")
        assert before.status_code == 200
        assert empty in _main(before.text)
        await _changed(h, (TOPIC,), "Eldre endring", START - timedelta(days=2))
        await _changed(h, (RELATED[0], TOPIC), HOSTILE, START - timedelta(hours=1))
        await _changed(h, (RELATED[0],), "Et annet tema", START)
        answer = await h.client.get(f"{PAGE}?lang={lang}")
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/html")
        words = _main(answer.text)
        assert f"<h1>{heading}</h1>" in words
        # Newest first, only this topic's, the untrusted title escaped.
        assert words.index("Ny side &lt;script&gt;") < words.index("Eldre endring")
        assert "Et annet tema" not in words and "<script>alert" not in words
        assert "«Eldre endring»: Et nytt avsnitt." in words
        assert '<a href="https://www.fhi.no/om/fhi-og-verden/">Eldre endring</a>' in words
        assert f'href="/subscribe/{TOPIC}?lang={lang}"' in words
        assert f'href="/topics/{TOPIC}/feed.atom?lang={lang}"' in words


async def test_an_ended_or_unknown_topics_page_says_so(sqlite_url: str, tmp_path: Path) -> None:
    config = tmp_path / "catalogue.toml"
    config.write_text(ENDED_CATALOGUE, encoding="utf-8")
    async with running(sqlite_url, tmp_path, config=config) as h:
        assert (await h.client.get("/topics/gammelt-tema/changes")).status_code == 410
        assert (await h.client.get("/topics/finnes-ikke/changes")).status_code == 404
