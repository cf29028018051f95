"""An editor adds a source in the browser and its alerts reach a subscriber, with no restart.

varsel runs as its own process (all services in one, then each service apart on PostgreSQL and
RabbitMQ with two watchers); the editor's account is made on the command line, the editor signs
in and adds the source in headless Chromium, the subscriber signs up and confirms through the
public pages and the real confirmation mail, and the alert arrives at a real SMTP server.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from services.mailer.domain.wording import quote
from tests.browser.admin_support import sign_in_at
from tests.browser.checks import assert_accessible
from tests.browser.conftest import browser, page, requests_seen
from tests.support.broker import rabbitmq_namespace
from tests.support.journey import subscribe_and_confirm, text_of, wait_until
from tests.support.services import fresh_postgres_database
from tests.support.site import FixtureSite
from tests.support.smtp import Received, SmtpServer
from tests.support.varsel_process import VarselProcess, create_admin
from tests.support.watched_page import ADDED, watched_page
from tests.support.words import admin_text, mail_text, words

pytestmark = pytest.mark.browser
__all__ = ["browser", "page", "requests_seen"]  # Chromium fixtures, imported for pytest to find

TOPIC, TITLE = "norge-i-verden", "Norge i verden"
ADDRESS = "kari.nordmann@example.no"
EDITOR, PASSWORD = "redaktor", "a long enough password for an editor"
SECRET_KEY = "e2e-secret-key-shared-by-every-service-process"
# The topic exists; nothing is watched for it until the editor adds a source.
CATALOGUE = f"""
[[topics]]
slug = "{TOPIC}"
title = {{ nb = "{TITLE}", en = "Norway in the world" }}
"""
PATH = "/norge-i-verden"


@pytest.fixture
def site() -> Iterator[FixtureSite]:
    served = FixtureSite()
    served.set(PATH, watched_page())
    served.start()
    yield served
    served.stop()


@pytest.fixture
def broker() -> Iterator[dict[str, str]]:
    """A RabbitMQ namespace of the test's own, deleted after its processes have stopped."""
    with rabbitmq_namespace("varsel-e2e16") as settings:
        yield settings


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """An empty PostgreSQL database, made and dropped in a thread of its own: Playwright's sync
    API keeps an event loop running in this one, and the database helper runs its own."""
    database = fresh_postgres_database()
    with ThreadPoolExecutor(1) as pool:
        url = pool.submit(database.__enter__).result()
        try:
            yield url
        finally:
            pool.submit(database.__exit__, None, None, None).result()


def _environment(tmp_path: Path, smtp: SmtpServer) -> dict[str, str]:
    config = tmp_path / "varsel.toml"
    config.write_text(CATALOGUE, encoding="utf-8")
    return {
        "VARSEL_CONFIG": str(config),
        "VARSEL_SMTP_URL": smtp.url,
        "VARSEL_MAIL_FROM": "Varsler <varsel@fhi.example>",
        "VARSEL_SECRET_KEY": SECRET_KEY,
    }


def _add_source_in_the_browser(page: Page, admin_url: str, url: str, interval: str) -> None:
    """Sign in as the editor and add ``url`` for the topic through the sources form."""
    sign_in_at(page, admin_url, EDITOR, PASSWORD)
    page.get_by_role("link", name=admin_text("nb", "Sources"), exact=True).click()
    expect(page.locator("h1")).to_have_text(admin_text("nb", "Sources"))
    form = page.get_by_role("form", name=admin_text("nb", "Add a source"))
    form.get_by_label(admin_text("nb", "Address (URL)")).fill(url)
    form.get_by_label(TITLE, exact=True).check()
    form.get_by_label(admin_text("nb", "Interval (for example 15m or 1h)")).fill(interval)
    with page.expect_navigation() as added:
        form.get_by_role("button", name=admin_text("nb", "Add the source"), exact=True).click()
    assert added.value is not None and added.value.status == 200
    row = page.get_by_role("row").filter(has_text=url)
    expect(row).to_contain_text(admin_text("nb", "Active"))
    expect(row).to_contain_text(TOPIC)
    assert_accessible(page, "nb")


def _assert_alert(alert: Received, public_url: str, page_url: str) -> None:
    """The alert names the topic and the change, and carries working links to manage and end."""
    assert alert.recipients == [ADDRESS]
    topic = quote(words("mails", "nb"), TITLE)
    # The page's own heading is the change's title.
    assert alert.message["Subject"] == mail_text(
        "nb", "Update in %(topic)s: %(title)s", topic=topic, title="Norge i verden"
    )
    text = text_of(alert)
    assert mail_text("nb", "There is an update in %(topic)s:", topic=topic) in text
    assert page_url in text
    assert mail_text("nb", "What changed") in text and "partnerskap" in text
    manage = re.search(rf"{re.escape(public_url)}/manage/\S+", text)
    unsubscribe = re.search(rf"{re.escape(public_url)}/unsubscribe/\S+", text)
    assert manage and unsubscribe, text
    assert alert.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    with httpx.Client(timeout=10) as http:
        manage_page = http.get(manage.group(0))
        assert manage_page.status_code == 200 and TITLE in manage_page.text
        assert http.get(unsubscribe.group(0)).status_code == 200


def _sign_up(public_url: str, smtp: SmtpServer) -> None:
    with httpx.Client(base_url=public_url, timeout=10) as person:
        subscribe_and_confirm(person, smtp.mailbox, TOPIC, ADDRESS, "immediate")


def _change_and_receive(site: FixtureSite, smtp: SmtpServer, delay: float = 0.0) -> Received:
    """Change the page once its baseline is stored; return the one mail that follows.

    ``delay`` keeps the site as slow to answer as it was."""
    # A second request means the first (the baseline) has been stored.
    wait_until(lambda: site.hits(PATH) >= 2, 60, "the new source's first polls")
    mails_before = len(smtp.mailbox.messages)
    site.set(PATH, replace(watched_page(ADDED), delay=delay))
    return smtp.mailbox.wait_for(mails_before + 1, timeout=60)[mails_before]


def test_an_editor_adds_a_source_and_its_change_reaches_a_subscriber(
    tmp_path: Path, site: FixtureSite, smtp: SmtpServer, page: Page
) -> None:
    env = _environment(tmp_path, smtp)
    env["VARSEL_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'varsel.db'}"
    varsel = VarselProcess(tmp_path, env)
    varsel.start()
    try:
        create_admin(varsel.environment, tmp_path, EDITOR, "editor", PASSWORD)
        _sign_up(varsel.base_url, smtp)
        assert site.hits(PATH) == 0, "polled before anyone added it"
        pid = varsel.pid

        _add_source_in_the_browser(page, varsel.base_url, f"{site.base_url}{PATH}", "1s")
        alert = _change_and_receive(site, smtp)
        _assert_alert(alert, varsel.base_url, f"{site.base_url}{PATH}")
        # The same process did it all: the catalogue reached the watcher without a restart.
        assert varsel.pid == pid and varsel.running
    finally:
        varsel.stop()
    assert "catalogue: now at version 2" in varsel.log()


@pytest.mark.postgres
@pytest.mark.rabbitmq
def test_two_watchers_share_a_source_an_editor_adds_polling_it_once_per_interval(
    tmp_path: Path,
    site: FixtureSite,
    smtp: SmtpServer,
    postgres_url: str,
    broker: dict[str, str],
    page: Page,
) -> None:
    interval = 2
    # The site answers slowly, so every poll is under way through two of the other watcher's
    # one-second ticks: without the claim's lock and lease, it would fetch the page too.
    slow = 2.0
    site.set(PATH, replace(watched_page(), delay=slow))
    env = {
        **_environment(tmp_path, smtp),
        "VARSEL_DATABASE_URL": postgres_url,
        **broker,
    }
    processes = _start_apart(tmp_path, env)
    public, admin, watchers = processes[1], processes[2], processes[3:]
    try:
        create_admin(admin.environment, tmp_path, EDITOR, "editor", PASSWORD)
        _sign_up(public.base_url, smtp)
        pids = [p.pid for p in processes]

        url = f"{site.base_url}{PATH}"
        _add_source_in_the_browser(page, admin.base_url, url, f"{interval}s")
        alert = _change_and_receive(site, smtp, slow)
        _assert_alert(alert, public.base_url, url)

        # Several intervals more: each must see one poll, by one watcher or the other.
        wait_until(lambda: site.hits(PATH) >= 8, 180, "eight polls of the new source")
        visits = site.visits(PATH)
        pollers = {headers.get("User-Agent") for _, headers in visits}
        assert pollers <= {_user_agent(w) for w in watchers}, pollers
        # The next poll is due 0.9 to 1.1 intervals after the last one ended (its answer took
        # ``slow``), and a busy machine only delays it; a second watcher's poll of the same
        # interval would arrive while the first was still being answered.
        gaps = site.gaps(PATH)
        assert min(gaps) > slow + interval / 2, [round(g, 2) for g in gaps]

        # The alert came once, to the one subscriber, and nobody restarted.
        to_person = [m for m in smtp.mailbox.messages if m.recipients == [ADDRESS]]
        assert len(to_person) == 2, [m.message["Subject"] for m in to_person]
        assert [p.pid for p in processes] == pids and all(p.running for p in processes)
    finally:
        for process in processes:
            process.stop()
    for watcher in watchers:
        assert "catalogue: now at version 2" in watcher.log(), watcher.log()[-3000:]


def _user_agent(watcher: VarselProcess) -> str:
    return f"varsel-e2e ({watcher.name})"


def _start_apart(tmp_path: Path, env: dict[str, str]) -> list[VarselProcess]:
    """Start mailer, subscriptions, admin and two watchers, each a process of its own."""
    names = ("mailer", "subscriptions", "admin", "watcher-1", "watcher-2")
    for name in names:
        (tmp_path / name).mkdir()
    public = VarselProcess(tmp_path / "subscriptions", env, "subscriptions", migrate=False)
    # Links in mail point at the public pages, whichever process builds the mail.
    env = {**env, "VARSEL_BASE_URL": public.base_url}
    mailer = VarselProcess(tmp_path / "mailer", env, "mailer", name="mailer")
    admin = VarselProcess(tmp_path / "admin", env, "admin", name="admin", migrate=False)
    watchers = []
    for name in names[3:]:
        # Each watcher names itself to the site, so every poll says who made it.
        own = {**env, "VARSEL_USER_AGENT": f"varsel-e2e ({name})"}
        watchers.append(VarselProcess(tmp_path / name, own, "watcher", name=name, migrate=False))
    processes = [mailer, public, admin, *watchers]
    # The mailer first: it migrates, and its queues exist before anything is published.
    for process in processes:
        process.start()
    return processes
