"""Review mode from the outside: only HTTP, a browser and SMTP in, only mail and pages out.

varsel runs as its own process on a watched page served on loopback, with aiosmtpd receiving
its mail. A change of a review source sends nothing until an editor approves it in Chromium
with an edited note, and the alert carries that note; a change marked minor sends nothing and
is recorded.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.browser.admin_support import sign_in_at
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.support.journey import subscribe_and_confirm, text_of, wait_until
from tests.support.services import require
from tests.support.site import FixtureSite
from tests.support.smtp import SmtpServer
from tests.support.varsel_process import VarselProcess, create_admin
from tests.support.watched_page import ADDED, watched_page
from tests.support.words import admin_text

PASSWORD = "correct horse battery staple"
TYPO = "<p>En rettet skrivefeil i en setning som ingen trenger å få varsel om.</p>"
NOTE = "Redaksjonens merknad: FHI har fått nye samarbeidspartnere i Afrika."
CATALOGUE = """
[[topics]]
slug = "norge-i-verden"
title = {{ nb = "Norge i verden", en = "Norway in the world" }}
page = "{url}"

[[sources]]
url = "{url}"
kind = "page"
topics = ["norge-i-verden"]
interval = "1s"
mode = "review"
"""


def t(text: str) -> str:
    return admin_text("nb", text)


@pytest.fixture
def browser() -> Iterator[Browser]:
    require(CHROMIUM.exists(), f"Chromium ({CHROMIUM})")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _open_from_desk(page: Page, base_url: str) -> None:
    """Wait until a change waits on the desk, then open it."""
    waiting = page.locator('table[aria-labelledby="waiting"] tbody a')

    def listed() -> bool:
        page.goto(f"{base_url}/admin/desk")
        return waiting.count() >= 1

    wait_until(listed, 60, "a change on the editor's desk")
    with page.expect_navigation():
        waiting.first.click()


def _rows(database: Path, query: str) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(database)) as connection:
        return connection.execute(query).fetchall()


def test_a_review_source_alerts_only_after_an_editor_approves_and_minor_alerts_nobody(
    tmp_path: Path, browser: Browser, smtp: SmtpServer
) -> None:
    site = FixtureSite()
    site.set("/norge-i-verden", watched_page())
    site.start()
    page_url = f"{site.base_url}/norge-i-verden"
    config = tmp_path / "varsel.toml"
    config.write_text(CATALOGUE.format(url=page_url), encoding="utf-8")
    database = tmp_path / "varsel.db"
    varsel = VarselProcess(
        tmp_path,
        {
            "VARSEL_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
            "VARSEL_SMTP_URL": smtp.url,
            "VARSEL_CONFIG": str(config),
            "VARSEL_MAIL_FROM": "Varsler <varsel@fhi.example>",
            "VARSEL_ALLOW_PRIVATE_ADDRESSES": "true",
        },
    )
    varsel.start()
    try:
        create_admin(varsel.environment, tmp_path, "redaktor", "editor", PASSWORD)
        with httpx.Client(base_url=varsel.base_url, timeout=10) as client:
            subscribe_and_confirm(
                client, smtp.mailbox, "norge-i-verden", "kari@example.no", "immediate"
            )
        wait_until(lambda: site.hits("/norge-i-verden") >= 2, 30, "the watcher's first polls")

        site.set("/norge-i-verden", watched_page(ADDED))
        page = browser.new_page()
        sign_in_at(page, varsel.base_url, "redaktor", PASSWORD)
        _open_from_desk(page, varsel.base_url)
        # The change is stored and waiting; give a wrong alert the time of two more polls.
        seen = site.hits("/norge-i-verden")
        wait_until(lambda: site.hits("/norge-i-verden") >= seen + 2, 30, "two more polls")
        assert len(smtp.mailbox.messages) == 1, "only the confirmation: the change waits"

        page.get_by_label(t("Change note")).fill(NOTE)
        with page.expect_navigation():
            page.get_by_role("button", name=t("Approve and send"), exact=True).click()
        _confirmation, alert = smtp.mailbox.wait_for(2, timeout=30)
        page.reload()  # queued and marked sent in one transaction, before the mail left
        expect(page.locator("dl")).to_contain_text(t("Approved and sent"))
        assert alert.recipients == ["kari@example.no"]
        body = text_of(alert)
        assert NOTE in body, "the alert carries the editor's note"
        assert "søsterinstitusjoner" not in body, "not the generated summary"

        site.set("/norge-i-verden", watched_page(ADDED + TYPO))
        _open_from_desk(page, varsel.base_url)
        expect(page.locator("h1")).to_contain_text("Norge i verden")
        with page.expect_navigation():
            page.get_by_role("button", name=t("Minor change: alert nobody"), exact=True).click()
        expect(page.locator("dl")).to_contain_text(t("Minor: nobody alerted"))
        seen = site.hits("/norge-i-verden")
        wait_until(lambda: site.hits("/norge-i-verden") >= seen + 2, 30, "two more polls")
        assert len(smtp.mailbox.messages) == 2, "a minor change alerts nobody"

        statuses = _rows(
            database, "SELECT status, decided_by FROM mail_changes ORDER BY decided_at"
        )
        assert statuses == [("approved", "redaktor"), ("minor", "redaktor")]
        actions = _rows(
            database,
            "SELECT action, actor FROM admin_audit_log WHERE action LIKE 'change_%' ORDER BY id",
        )
        assert actions == [("change_approved", "redaktor"), ("change_minor", "redaktor")]
        with httpx.Client(base_url=varsel.base_url, timeout=10) as client:
            feed = client.get("/topics/norge-i-verden/feed.atom")
        assert feed.status_code == 200
        assert NOTE in feed.text and "skrivefeil" not in feed.text, "the feed says what alerts did"
    finally:
        varsel.stop()
        site.stop()
