"""A pushed change's address, however a CMS spells it, reaches the topic's feed, which answers.

Only HTTP in and out: varsel runs as its own process, a publisher token is issued on the admin
page, the change is pushed to the publisher API and the feed is read as a feed reader reads it.
"""

from __future__ import annotations

from pathlib import Path

import feedparser
import httpx

from tests.e2e.publisher_support import issue_token
from tests.support.journey import wait_until
from tests.support.varsel_process import VarselProcess

TOPIC = "alpha"
CATALOGUE = """
[[topics]]
slug = "alpha"
title = { nb = "Alfa", en = "Alpha" }
"""
# As a CMS sent them, and as the feed must link them: scheme and host in one case, the path and
# query as sent (a server may tell /Report from /report), a non-ASCII host as IDNA maps it.
SPELLINGS = {
    "HTTPS://www.example.org/report": "https://www.example.org/report",
    "HTTP://WWW.Example.org/Report?Id=7": "http://www.example.org/Report?Id=7",
    "https://BÜCHER.example/Side": "https://bücher.example/Side",
}


def test_a_change_pushed_in_capitals_is_linked_in_the_feed_which_answers(
    database_url: str, tmp_path: Path
) -> None:
    config = tmp_path / "varsel.toml"
    config.write_text(CATALOGUE, encoding="utf-8")
    varsel = VarselProcess(
        tmp_path, {"VARSEL_DATABASE_URL": database_url, "VARSEL_CONFIG": str(config)}
    )
    varsel.start()
    try:
        token = issue_token(varsel, tmp_path, ("www.example.org", "bücher.example"))
        with httpx.Client(base_url=varsel.base_url, timeout=30) as client:
            for number, url in enumerate(SPELLINGS):
                pushed = client.post(
                    "/api/v1/changes",
                    json={"topics": [TOPIC], "url": url, "title": f"Rapport {number}"},
                    headers={"Authorization": f"Bearer {token}", "Idempotency-Key": f"k{number}"},
                )
                assert pushed.status_code == 202, pushed.text

            def feed() -> httpx.Response:
                return client.get(f"/topics/{TOPIC}/feed.atom")

            wait_until(
                lambda: feed().content.count(b"<entry>") == len(SPELLINGS), 30, "the feed's entries"
            )
            answer = feed()
        assert answer.status_code == 200, answer.text
        parsed = feedparser.parse(answer.content)
        assert parsed.bozo == 0, parsed.get("bozo_exception")
        linked = {entry.title: entry.link for entry in parsed.entries}
        assert linked == {f"Rapport {n}": url for n, url in enumerate(SPELLINGS.values())}
        assert "Traceback" not in varsel.log()
    finally:
        varsel.stop()
