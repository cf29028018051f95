"""Browser-tier fixtures: varsel as a real process, a real SMTP server, headless Chromium."""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Request, sync_playwright

from shared.tokens import address_hash
from tests.browser.checks import AXE_SOURCE
from tests.support.services import require
from tests.support.site import FixtureSite, Resource
from tests.support.smtp import Mailbox, SmtpServer
from tests.support.varsel_process import VarselProcess

CHROMIUM = Path("/usr/bin/chromium")
# Flags that keep Chromium from calling home: nothing may leave 127.0.0.1 during the tests.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SECRET_KEY = "browser-tests-secret-key-0123456789abcdef"
PAGE = "<!doctype html><html lang='nb'><title>Tema</title><main><h1>Tema</h1></main></html>"
CATALOGUE = """
[[topics]]
slug = "norge-i-verden"
title = {{ nb = "Norge i verden", en = "Norway in the world" }}
page = "{url}"
section = {{ nb = "Folkehelse", en = "Public health" }}
description = {{ nb = "Norges helsearbeid ute i verden.", en = "Norway's health work abroad." }}
related = ["vaksiner", "smittevern"]

[[topics]]
slug = "vaksiner"
title = {{ nb = "Vaksiner", en = "Vaccines" }}
page = "{url}"
section = {{ nb = "Smittevern", nn = "Smittevern", en = "Infection control" }}

[[topics]]
slug = "smittevern"
title = {{ nb = "Smittevern", en = "Infection control" }}
page = "{url}"
section = {{ nb = "Smittevern", nn = "Smittevern", en = "Infection control" }}

[[sources]]
url = "{url}"
kind = "page"
topics = ["norge-i-verden", "vaksiner", "smittevern"]
interval = "1h"
"""
LOOPBACK = {"127.0.0.1", "localhost", "[::1]", "::1"}
# A publisher's page that embeds the sign-up form. It is served as http://localhost:<port>, the
# form as http://127.0.0.1:<port>: two different sites, as a public body's CMS and varsel are.
HOST_PAGE = """<!doctype html><html lang="nb"><title>Kommunen</title><main><h1>Kommunen</h1>
<iframe title="Få varsel" src="{src}" width="640" height="900"></iframe></main></html>"""


@dataclass
class App:
    """The running varsel and the mailbox its mail lands in."""

    base_url: str
    mailbox: Mailbox
    varsel: VarselProcess
    # The publisher's page (another site) that frames the sign-up form.
    host_page: str
    database: Path

    def ledger_pages(self, address: str) -> list[str | None]:
        """Return the page of each consent step of an address, oldest first (read from SQLite)."""
        return self._ledger_column(address, "page")

    def ledger_languages(self, address: str) -> list[str | None]:
        """Return the language of each consent step of an address, oldest first: the language
        of the page, and so of the privacy notice, the person consented on."""
        return self._ledger_column(address, "language")

    def ledger_notices(self, address: str) -> list[tuple[str | None, str | None, str | None]]:
        """Return each consent step of an address: action, language and privacy notice version."""
        columns = ("action", "language", "privacy_version")
        return list(zip(*(self._ledger_column(address, c) for c in columns), strict=True))

    def ledger_details(self, address: str) -> list[object]:
        """Return the details of each consent step of an address (None where it has none)."""
        return [json.loads(d) if d else None for d in self._ledger_column(address, "details")]

    def _ledger_column(
        self,
        address: str,
        column: Literal["page", "language", "action", "privacy_version", "details"],
    ) -> list[str | None]:
        subject = address_hash(SECRET_KEY, address)
        with closing(sqlite3.connect(self.database)) as db:
            # The column is one the Literal names, never a caller's text.
            rows = db.execute(
                f"SELECT {column} FROM sub_consent_ledger WHERE subject_hash = ? ORDER BY id",
                (subject,),
            ).fetchall()
        return [value for (value,) in rows]

    def open_topics(self, address: str) -> set[str]:
        """Return the topics a person gets alerts about (read from SQLite)."""
        with closing(sqlite3.connect(self.database)) as db:
            rows = db.execute(
                "SELECT s.topic FROM sub_subscriptions s JOIN sub_subscribers p"
                " ON p.id = s.subscriber_id WHERE p.email = ? AND s.ended_at IS NULL",
                (address,),
            ).fetchall()
        return {topic for (topic,) in rows}

    def ledger(self, address: str) -> list[tuple[str, list[str], str | None, str | None]]:
        """Return each consent step of an address: action, topics, frequency and page."""
        subject = address_hash(SECRET_KEY, address)
        with closing(sqlite3.connect(self.database)) as db:
            rows = db.execute(
                "SELECT action, topics, frequency, page FROM sub_consent_ledger"
                " WHERE subject_hash = ? ORDER BY id",
                (subject,),
            ).fetchall()
        return [
            (action, json.loads(topics), frequency, page)
            for action, topics, frequency, page in rows
        ]

    def links_in_mails(
        self, recipient: str, path: str, count: int, timeout: float = 20.0
    ) -> list[str]:
        """Wait for ``count`` mails to ``recipient`` linking to ``path``; return their links."""
        pattern = re.compile(rf"{re.escape(self.base_url)}{re.escape(path)}[A-Za-z0-9_.\-]+")
        deadline = time.monotonic() + timeout
        found: list[str] = []
        while time.monotonic() < deadline:
            with self.mailbox.lock:
                mails = [m for m in self.mailbox.messages if recipient in m.recipients]
            found = []
            for mail in mails:
                body = mail.message.get_body(preferencelist=("plain",))
                links = pattern.findall(body.get_content()) if body is not None else []
                found.extend(str(link) for link in links[:1])
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"{len(found)} of {count} mails to {recipient} with a {path} link")

    def link_in_mail(self, recipient: str, path: str, timeout: float = 20.0) -> str:
        """Wait for a mail to ``recipient`` holding a link to ``path``; return the newest link."""
        pattern = re.compile(rf"{re.escape(self.base_url)}{re.escape(path)}[A-Za-z0-9_.\-]+")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.mailbox.lock:
                mails = [m for m in self.mailbox.messages if recipient in m.recipients]
            for mail in reversed(mails):
                body = mail.message.get_body(preferencelist=("plain",))
                found = pattern.findall(body.get_content()) if body is not None else []
                if found:
                    return str(found[0])
            time.sleep(0.05)
        raise AssertionError(
            f"no mail to {recipient} with a {path} link within {timeout}s; varsel's log ends:\n"
            + self.varsel.log()[-3000:]
        )


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """Run one varsel process (SQLite) for the whole module, with a real SMTP server."""
    workdir = tmp_path_factory.mktemp("browser")
    site = FixtureSite()
    site.set("/tema", Resource(PAGE.encode()))
    site.start()
    smtp = SmtpServer()
    smtp.start()
    config = workdir / "varsel.toml"
    config.write_text(CATALOGUE.format(url=f"{site.base_url}/tema"), encoding="utf-8")
    host_origin = f"http://localhost:{urlsplit(site.base_url).port}"
    varsel = VarselProcess(
        workdir,
        {
            "VARSEL_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'varsel.db'}",
            "VARSEL_SMTP_URL": smtp.url,
            "VARSEL_CONFIG": str(config),
            "VARSEL_SITE_NAME": "fhi.no",
            "VARSEL_SECRET_KEY": SECRET_KEY,
            "VARSEL_MAIL_FROM": "Varsler <varsel@fhi.example>",
            # Low, so the rate-limited page can be reached in three tries.
            "VARSEL_SIGNUP_LIMIT_PER_ADDRESS": "2",
            "VARSEL_EMBED_ORIGINS": host_origin,
        },
    )
    form = f"{varsel.base_url}/embed/subscribe/norge-i-verden?origin={host_origin}"
    site.set("/kommune", Resource(HOST_PAGE.format(src=form).encode()))
    varsel.start()
    try:
        yield App(
            varsel.base_url,
            smtp.mailbox,
            varsel,
            f"{host_origin}/kommune",
            workdir / "varsel.db",
        )
    finally:
        varsel.stop()
        smtp.stop()
        site.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Launch Debian's headless Chromium once per module (never a downloaded build)."""
    require(CHROMIUM.exists(), f"Chromium ({CHROMIUM})")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Requests:
    """Every URL the browser asked for during one test."""

    urls: list[str] = field(default_factory=list)

    def record(self, request: Request) -> None:
        """Remember a request's URL."""
        self.urls.append(request.url)

    def off_loopback(self) -> list[str]:
        """Return the URLs that went anywhere but loopback."""
        return [u for u in self.urls if urlsplit(u).hostname not in LOOPBACK]


def _context(browser: Browser, requests: Requests, **options: object) -> BrowserContext:
    # A Norwegian browser: pages without ?lang= must come in bokmål from Accept-Language.
    context = browser.new_context(locale="nb-NO", **options)  # type: ignore[arg-type]
    context.on("request", requests.record)
    return context


@pytest.fixture
def requests_seen() -> Iterator[Requests]:
    """Collect the test's requests and fail it if any left 127.0.0.1."""
    requests = Requests()
    yield requests
    assert requests.urls, "the browser made no request at all"
    assert requests.off_loopback() == [], "a page loaded something from outside 127.0.0.1"


def profile_context(
    browser: Browser, profile: Path, preferences: dict[str, object], **options: object
) -> BrowserContext:
    """Launch Chromium on a new persistent profile whose ``Default/Preferences`` hold
    ``preferences``: cookie settings, which Playwright's ordinary (off-the-record) contexts
    cannot change."""
    (profile / "Default").mkdir(parents=True)
    (profile / "Default" / "Preferences").write_text(json.dumps(preferences))
    return browser.browser_type.launch_persistent_context(
        str(profile),
        executable_path=str(CHROMIUM),
        args=CHROMIUM_ARGS,
        locale="nb-NO",
        **options,  # type: ignore[arg-type]
    )


def checked_context(context: BrowserContext, requests: Requests) -> Iterator[BrowserContext]:
    """Yield a context that records its requests and has axe-core in every frame; close it."""
    context.on("request", requests.record)
    context.add_init_script(AXE_SOURCE)
    try:
        yield context
    finally:
        context.close()


def _checked_page(browser: Browser, requests: Requests, width: int, height: int) -> Iterator[Page]:
    context = _context(browser, requests, viewport={"width": width, "height": height})
    # An init script rather than injecting per check: Chromium caches its compiled code.
    context.add_init_script(AXE_SOURCE)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def page(browser: Browser, requests_seen: Requests) -> Iterator[Page]:
    """A fresh desktop-sized page with scripts on and axe-core in every document."""
    yield from _checked_page(browser, requests_seen, 1280, 900)


@pytest.fixture
def narrow_page(browser: Browser, requests_seen: Requests) -> Iterator[Page]:
    """A fresh page 320 CSS pixels wide (WCAG 1.4.10 Reflow), axe-core in every document."""
    yield from _checked_page(browser, requests_seen, 320, 640)


@pytest.fixture
def cookies_blocked(
    browser: Browser, requests_seen: Requests, tmp_path: Path
) -> Iterator[BrowserContext]:
    """A Norwegian Chromium that saves and sends no cookie (and lets no site keep data in its
    storage either), axe-core in every document."""
    preferences = {"profile": {"default_content_setting_values": {"cookies": 2}}}
    context = profile_context(
        browser, tmp_path / "profile", preferences, viewport={"width": 1280, "height": 900}
    )
    yield from checked_context(context, requests_seen)


@pytest.fixture
def page_without_js(browser: Browser, requests_seen: Requests) -> Iterator[Page]:
    """A fresh page with JavaScript switched off, as some people browse."""
    context = _context(
        browser, requests_seen, java_script_enabled=False, viewport={"width": 375, "height": 812}
    )
    try:
        yield context.new_page()
    finally:
        context.close()
