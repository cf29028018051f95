"""Noncharacters a publisher's system writes into a title reach no page and no mail.

U+FFFE, U+FDD0 and the last two code points of every plane are noncharacters: they mean nothing
to a reader and no HTML document may hold one. A real HTTP server publishes a feed and a page
whose titles hold some, a real SMTP server receives the alerts, varsel runs as its own process
(on SQLite and on PostgreSQL), and the W3C checker reads the alerts and the admin pages that
show the titles.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from tests.support.feeds import rss
from tests.support.html_checker import check_documents, checker_jar
from tests.support.journey import hidden_fields, subscribe_and_confirm, text_of
from tests.support.site import FixtureSite, Resource
from tests.support.smtp import SmtpServer
from tests.support.varsel_process import VarselProcess, create_admin, wait_until

CATALOGUE = """
[[topics]]
slug = "helsenyheter"
title = {{ nb = "Helsenyheter", en = "Health news" }}

[[sources]]
url = "{feed}"
kind = "feed"
topics = ["helsenyheter"]
interval = "1s"

[[sources]]
url = "{page}"
kind = "page"
topics = ["helsenyheter"]
interval = "1s"
"""
NONCHARACTERS = "\ufffe\ufdd0\uffff\ufdef\U0001fffe\U0010ffff"
OLD = ("Eldre sak om folkehelse", "https://www.regjeringen.no/no/aktuelt/eldre/id1/")
# U+FFFE and U+FFFF are not XML characters, so a feed that holds them is no feed at all.
NEW = ("Ny\ufdd0 sak om \ufdefvann\U0001fffe", "https://www.regjeringen.no/no/aktuelt/ny/id2/")
# Each item keeps its text when a newer one is put above it, as a publisher's feed does.
TEXTS = ["Vannverkene får nye krav.", "Eldre sak om helse og omsorg i kommunene."]
PAGE = """<!doctype html>
<html lang="nb"><head><title>Drikke\ufffe{vann}vann\ufdd0 og helse\U0010ffff</title></head>
<body><main><article><h1>Drikkevann og helse</h1>
<p>Godt drikkevann er avgjørende for folkehelsen, og vannverkene har ansvaret for at vannet
som leveres er trygt å drikke hele året.</p>
{extra}
</article></main></body></html>
"""
ADDED = "<p>Nye\uffff krav til vannverkene gjelder fra 1. januar, og alle skal ha en plan.</p>"
PASSWORD = "correct horse battery staple"


def _html(mail: object) -> str:
    part = mail.message.get_body(preferencelist=("html",))  # type: ignore[attr-defined]
    assert part is not None
    return str(part.get_content())


def _sign_in(client: httpx.Client) -> None:
    login = client.get("/admin/login")
    answer = client.post(
        "/admin/login", data={**hidden_fields(login.text), "name": "drift", "password": PASSWORD}
    )
    assert answer.status_code == 303, answer.text


def test_a_title_with_noncharacters_is_mailed_and_shown_without_them(
    database_url: str, tmp_path: Path, smtp: SmtpServer
) -> None:
    checker_jar()  # skip before starting anything when the checker is missing
    site = FixtureSite()
    site.set(
        "/nyheter.rss", Resource(rss([OLD], TEXTS[1:], guids=["sak-1"]), "application/rss+xml")
    )
    site.set("/vann", Resource(PAGE.format(vann="", extra="").encode()))
    site.start()
    feed_url, page_url = f"{site.base_url}/nyheter.rss", f"{site.base_url}/vann"
    config = tmp_path / "varsel.toml"
    config.write_text(CATALOGUE.format(feed=feed_url, page=page_url), encoding="utf-8")
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
        create_admin(varsel.environment, tmp_path, "drift", "operator", PASSWORD)
        wait_until(lambda: site.hits("/nyheter.rss") >= 2, "the feed's baseline", 30)
        wait_until(lambda: site.hits("/vann") >= 2, "the page's baseline", 30)
        with httpx.Client(base_url=varsel.base_url, timeout=10) as browser:
            subscribe_and_confirm(
                browser, smtp.mailbox, "helsenyheter", "kari@example.no", "immediate"
            )
        feed = rss([NEW, OLD], TEXTS, guids=["sak-2", "sak-1"])
        site.set("/nyheter.rss", Resource(feed, "application/rss+xml"))
        site.set("/vann", Resource(PAGE.format(vann="\ufdd0", extra=ADDED).encode()))
        alerts = smtp.mailbox.wait_for(3, timeout=60)[1:]
        texts = [text_of(mail) for mail in alerts]
        assert any("Ny sak om vann" in text for text in texts), "\n\n".join(texts)
        assert any("Drikkevann og helse" in text for text in texts), "\n\n".join(texts)
        documents = {f"alert {n}": _html(mail) for n, mail in enumerate(alerts)}
        for mail in alerts:
            assert not set(NONCHARACTERS) & set(str(mail.message["Subject"]) + text_of(mail))

        with httpx.Client(base_url=varsel.base_url, timeout=10) as admin:
            _sign_in(admin)
            for source_id in (1, 2):
                diff = admin.get(f"/admin/sources/{source_id}/diff")
                assert diff.status_code == 200, diff.text
                documents[f"diff of source {source_id}"] = diff.text
                newer, older = dict.fromkeys(re.findall(r'<option value="(\d+)"', diff.text))
                lines = admin.get(f"/admin/sources/{source_id}/diff?from={older}&to={newer}")
                assert lines.status_code == 200, lines.text
                documents[f"lines of source {source_id}"] = lines.text
            assert "Drikkevann og helse" in "".join(documents.values())
            assert "Nye krav til vannverkene" in "".join(documents.values())
            for url, kind in ((feed_url, "feed"), (page_url, "page")):
                form = admin.get("/admin/sources/test")
                tried = admin.post(
                    "/admin/sources/test",
                    data={**hidden_fields(form.text), "url": url, "kind": kind},
                )
                assert tried.status_code == 200, tried.text
                documents[f"trial of the {kind}"] = tried.text
            # The topic's Atom feed is XML, which holds no U+FFFE or U+FFFF either.
            atom = admin.get("/topics/helsenyheter/feed.atom")
            assert atom.status_code == 200, atom.text
            assert "Ny sak om vann" in atom.text
        for name, html in {**documents, "the topic's feed": atom.text}.items():
            assert not set(NONCHARACTERS) & set(html), name
        problems = check_documents(documents, tmp_path)
        assert problems == {name: [] for name in documents}, problems
        assert "Traceback" not in varsel.log()
    finally:
        varsel.stop()
        site.stop()
