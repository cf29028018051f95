"""A varsel process with the admin area filled in: accounts, an erased person, a long ledger,
a watched source with snapshots, mail in every state and a digest run."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, Response

from services.admin.adapters import publisher_tokens
from services.subscriptions import bootstrap as subscriptions
from shared.runtime import build_runtime
from shared.schema import upgrade_async
from shared.settings import Settings
from tests.browser.conftest import SECRET_KEY
from tests.integration.admin import seed
from tests.integration.admin.harness import CATALOGUE, OTHER, PASSWORD, TOPIC, Harness
from tests.support.varsel_process import VarselProcess
from tests.support.words import admin_text
from varsel.app import create_app

AUDITOR, OPERATOR, EDITOR, DPO = "revisor", "drift", "redaktor", "personvern"
ERASED = "slettet@example.no"
# People who ask the organisation by phone to be erased, one for each language's page.
CALLERS = {language: f"ringte-{language}@example.no" for language in ("nb", "nn", "en")}
# 130 made-up ledger steps an hour apart from New Year: the even ones "requested" TOPIC.
LEDGER_STEPS = 130
LEDGER_START = date(2026, 1, 1)


BEFORE_SITES = "Gammel CMS"


@dataclass
class AdminApp:
    """The running varsel with seeded admin data."""

    base_url: str
    source_id: int
    snapshot_ids: list[int]
    varsel: VarselProcess


async def _seed(url: str, config: Path, workdir: Path) -> tuple[int, list[int]]:
    await upgrade_async(url)
    settings = Settings(database_url=url, config=config, var_dir=workdir, secret_key=SECRET_KEY)
    runtime = build_runtime(settings)
    h = Harness(runtime, create_app(runtime, ("subscriptions", "admin")))
    try:
        await subscriptions.record_privacy_notices(runtime)
        await h.user(AUDITOR, "auditor")
        await h.user(OPERATOR, "operator")
        await h.user(EDITOR, "editor")
        await h.user(DPO, "dpo")
        for caller in CALLERS.values():
            await h.sign_up(caller)
            await h.confirm(caller)
        await h.sign_up(ERASED, (TOPIC, OTHER))
        await h.confirm(ERASED)
        await h.erase(ERASED)
        now = runtime.clock.now()
        async with runtime.sessions() as session, session.begin():
            await seed.ledger_steps(session, LEDGER_STEPS, LEDGER_START, (TOPIC, OTHER))
            source = await seed.source_with_snapshots(
                session, "https://example.org/vaksiner", now, [TOPIC]
            )
            await seed.deliveries(session, now)
            # A publisher token issued before tokens had sites: the list marks it to be replaced.
            await publisher_tokens.add(session, BEFORE_SITES, "0" * 64, OPERATOR, now, None)
            await seed.digest_run(
                session, "daily:2026-11-01", datetime(2026, 11, 1, 6, tzinfo=UTC), "done"
            )
        return source
    finally:
        await runtime.close()


@pytest.fixture(scope="module")
def admin_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AdminApp]:
    """Seed a SQLite database, then run varsel on it (the watcher off: nothing to fetch)."""
    workdir = tmp_path_factory.mktemp("admin")
    config = workdir / "catalogue.toml"
    config.write_text(CATALOGUE, encoding="utf-8")
    url = f"sqlite+aiosqlite:///{workdir / 'varsel.db'}"
    # In a thread of its own: Playwright's sync API keeps an event loop running in this one.
    with ThreadPoolExecutor(1) as pool:
        source_id, snapshot_ids = pool.submit(asyncio.run, _seed(url, config, workdir)).result()
    varsel = VarselProcess(
        workdir,
        {
            "VARSEL_DATABASE_URL": url,
            "VARSEL_CONFIG": str(config),
            "VARSEL_SECRET_KEY": SECRET_KEY,
            "VARSEL_WATCHER_ENABLED": "false",
            # "Test this source" fetches pages a test serves on loopback.
            "VARSEL_ALLOW_PRIVATE_ADDRESSES": "true",
            "VARSEL_MAIL_FROM": "Varsler <varsel@fhi.example>",
        },
    )
    varsel.start()
    try:
        yield AdminApp(varsel.base_url, source_id, snapshot_ids, varsel)
    finally:
        varsel.stop()


def go(page: Page, url: str) -> Response:
    """Open a URL and return its response."""
    response = page.goto(url)
    assert response is not None
    return response


def press(page: Page, name: str) -> Response:
    """Press a button by its name and return the response of the page it leads to."""
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name=name, exact=True).click()
    response = navigation.value
    assert response is not None
    return response


def sign_in(page: Page, app: AdminApp, name: str, language: str = "nb") -> Response:
    """Sign in through the login form."""
    return sign_in_at(page, app.base_url, name, PASSWORD, language)


def sign_in_at(
    page: Page, base_url: str, name: str, password: str, language: str = "nb"
) -> Response:
    """Sign in to the admin at ``base_url`` through its login form."""
    query = "" if language == "nb" else f"?lang={language}"
    go(page, f"{base_url}/admin/login{query}")
    page.get_by_label(admin_text(language, "User name")).fill(name)
    page.get_by_label(admin_text(language, "Password")).fill(password)
    return press(page, admin_text(language, "Sign in"))


@contextmanager
def seeded_varsel(
    workdir: Path, seed_with: Callable[[Harness], Awaitable[None]], catalogue: str = CATALOGUE
) -> Iterator[VarselProcess]:
    """Seed a SQLite database (the catalogue, by default the test one, an editor and an
    auditor, then ``seed_with``), then run varsel on it with the watcher off; stop it afterwards."""
    config = workdir / "catalogue.toml"
    config.write_text(catalogue, encoding="utf-8")
    url = f"sqlite+aiosqlite:///{workdir / 'varsel.db'}"
    settings = Settings(database_url=url, config=config, var_dir=workdir, secret_key=SECRET_KEY)

    async def run_seed() -> None:
        await upgrade_async(url)
        runtime = build_runtime(settings)
        try:
            await subscriptions.record_privacy_notices(runtime)
            h = Harness(runtime, create_app(runtime, ("subscriptions", "admin")))
            await h.user(EDITOR, "editor")
            await h.user(AUDITOR, "auditor")
            await seed_with(h)
        finally:
            await runtime.close()

    # In a thread of its own: Playwright's sync API keeps an event loop running in this one.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run_seed()).result()
    environment = {
        "VARSEL_DATABASE_URL": url,
        "VARSEL_CONFIG": str(config),
        "VARSEL_SECRET_KEY": SECRET_KEY,
        "VARSEL_WATCHER_ENABLED": "false",
    }
    varsel = VarselProcess(workdir, environment)
    varsel.start()
    try:
        yield varsel
    finally:
        varsel.stop()
