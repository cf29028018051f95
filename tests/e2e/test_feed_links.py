"""A feed's relative link, odd links and oversized titles arrive in every subscriber's mail.

A real HTTP server publishes the feed, a real SMTP server receives the mail and varsel runs as
its own process, on SQLite and on PostgreSQL (which, unlike SQLite, refuses a NUL in text and a
title longer than its column).
"""

from __future__ import annotations

import zlib
from pathlib import Path

import httpx

from tests.support.feeds import rss
from tests.support.journey import subscribe_and_confirm, text_of
from tests.support.site import FixtureSite, Resource
from tests.support.smtp import SmtpServer
from tests.support.varsel_process import VarselProcess, wait_until

CATALOGUE = """
[[topics]]
slug = "helsenyheter"
title = {{ nb = "Helsenyheter", en = "Health news" }}

[[sources]]
url = "{url}"
kind = "feed"
topics = ["helsenyheter"]
interval = "1s"
"""
OLD = ("Eldre sak om folkehelse", "https://www.regjeringen.no/no/aktuelt/eldre/id1/")
LONG_TITLE = "Lang overskrift om helseberedskap " * 20  # 680 characters
NEW = [
    ("Relativ sak om helseberedskap", "/nyheter/relativ-sak"),
    ("Sak med skriptlenke", "javascript:alert(document.cookie)"),
    (LONG_TITLE, "nyheter/lang-sak?id=3&del=2"),
    ("Sak med \x00 nulltegn", "https://www.regjeringen.no/no/aktuelt/null/id4/"),
]


def feed(items: list[tuple[str, str]]) -> Resource:
    """Return the feed of ``items`` as a publisher keeps it: an item keeps its guid and its
    text when newer items are put above it."""
    guids = [f"sak-{zlib.crc32(title.encode()):08x}" for title, _ in items]
    texts = [f"Saken {guid} om helse og omsorg." for guid in guids]
    return Resource(rss(items, texts, guids=guids), "application/rss+xml")


def test_every_new_feed_item_is_mailed_with_its_link_resolved(
    database_url: str, tmp_path: Path, smtp: SmtpServer
) -> None:
    site = FixtureSite()
    site.set("/nyheter.rss", feed([OLD]))
    site.start()
    feed_url = f"{site.base_url}/nyheter.rss"
    config = tmp_path / "varsel.toml"
    config.write_text(CATALOGUE.format(url=feed_url), encoding="utf-8")
    varsel = VarselProcess(
        tmp_path,
        {
            "VARSEL_DATABASE_URL": database_url,
            "VARSEL_SMTP_URL": smtp.url,
            "VARSEL_CONFIG": str(config),
            "VARSEL_MAIL_FROM": "Varsler <varsel@fhi.example>",
        },
    )
    varsel.start()
    try:
        wait_until(lambda: site.hits("/nyheter.rss") >= 2, "the watcher's baseline", 30)
        with httpx.Client(base_url=varsel.base_url, timeout=10) as browser:
            subscribe_and_confirm(
                browser, smtp.mailbox, "helsenyheter", "kari@example.no", "immediate"
            )

        site.set("/nyheter.rss", feed([*NEW, OLD]))
        alerts = smtp.mailbox.wait_for(1 + len(NEW), timeout=60)[1:]
        # One alert for each new item and none for the old one, also after two more polls.
        polled = site.hits("/nyheter.rss")
        wait_until(lambda: site.hits("/nyheter.rss") >= polled + 2, "two more polls", 30)
        assert len(smtp.mailbox.wait_for(1 + len(NEW))) == 1 + len(NEW)

        texts = [text_of(mail) for mail in alerts]
        relative = next(t for t in texts if "Relativ sak" in t)
        assert f"{site.base_url}/nyheter/relativ-sak" in relative
        html = next(m for m in alerts if "Relativ sak" in text_of(m)).message.get_body(
            preferencelist=("html",)
        )
        assert html is not None
        assert f'href="{site.base_url}/nyheter/relativ-sak"' in html.get_content()
        scripted = next(t for t in texts if "skriptlenke" in t)
        assert "javascript:" not in scripted
        assert feed_url in scripted  # an item without a usable link points at its feed
        long = next(t for t in texts if "Lang overskrift" in t)
        assert f"{site.base_url}/nyheter/lang-sak?id=3&del=2" in long
        assert any("nulltegn" in t for t in texts)
        assert "Traceback" not in varsel.log()
    finally:
        varsel.stop()
        site.stop()
