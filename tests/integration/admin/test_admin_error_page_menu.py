"""The staff side's pages that no guard admitted (an unknown address, a wrong method, a refused
role, a form refused whole, a body too large) show whoever is signed in their menu, as every other
staff page does: what their role allows and the way to sign out. Finding them reads the session
and writes nothing, so such a page keeps no sign-in alive; signed out, with an ended or forged
session, or with a database that cannot answer, the page is as before, without a menu."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.admin import catalogue as commands
from services.admin import handlers
from services.admin.adapters.tables import AdminSession
from shared.clock import FrozenClock
from shared.db import create_engine, session_factory
from tests.integration.admin.harness import Harness, csrf_token, running, sign_in

BROWSER = {"accept": "text/html"}
START = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)
IDLE = timedelta(minutes=30)  # VARSEL_ADMIN_IDLE_MINUTES' default
NOT_FOUND = "There is no page at this address."
# Port 9 (discard) on loopback: nothing listens there on a test machine.
DOWN = "postgresql+asyncpg://varsel@127.0.0.1:9/varsel"
# The menu's links each role is given, and some it is not (services/admin/templates/base.html).
ROLE_LINKS = {
    "editor": (
        ("/admin/desk", "/admin/topics", "/admin/sources"),
        ("/admin/ledger", "/admin/users"),
    ),
    "auditor": (
        ("/admin/consent", "/admin/ledger", "/admin/audit"),
        ("/admin/desk", "/admin/users"),
    ),
}


def menu(page: httpx.Response) -> str | None:
    """Return the signed-in menu of a page, None if it has none."""
    found = re.search(r"<nav aria-label=\"[^\"]*\">(.*?)</nav>", page.text, re.DOTALL)
    return found.group(1) if found else None


def assert_menu_of(page: httpx.Response, name: str, role: str, lang: str = "en") -> None:
    """Assert a page shows ``name``'s menu: their role's links in the page's language, not the
    others, and the sign-out form naming them."""
    shown = menu(page)
    assert shown is not None, f"{page.request.url} has no menu"
    assert f"Sign out ({name})" in shown
    assert 'action="/admin/logout?lang=en"' in shown and 'name="csrf_token"' in shown
    allowed, withheld = ROLE_LINKS[role]
    for path in ("/admin", "/admin/password", *allowed):
        assert f'href="{path}?lang={lang}"' in shown, path
    for path in withheld:
        assert f'href="{path}?' not in shown, path


@asynccontextmanager
async def signed_in(
    url: str, tmp_path: Path, name: str = "ed", role: str = "editor"
) -> AsyncIterator[tuple[Harness, FrozenClock, httpx.AsyncClient]]:
    """Yield the harness, its clock (at START) and a browser signed in as ``name`` in ``role``,
    with the catalogue stored as start-up stores it."""
    clock = FrozenClock(START)
    async with running(url, tmp_path, clock=clock) as h:
        await commands.apply_at_start(
            h.runtime.sessions, tmp_path / "catalogue.toml", START, allow_private=True
        )
        await h.user(name, role)
        async with h.client() as browser:
            assert (await sign_in(browser, name)).status_code == 303
            yield h, clock, browser


async def _ends(h: Harness) -> list[datetime]:
    async with h.runtime.sessions() as session:
        return list((await session.scalars(select(AdminSession.expires_at))).all())


@pytest.mark.parametrize(("name", "role"), [("ed", "editor"), ("revisor", "auditor")])
async def test_a_signed_in_person_meets_their_menu_on_the_staff_error_pages(
    sqlite_url: str, tmp_path: Path, name: str, role: str
) -> None:
    async with signed_in(sqlite_url, tmp_path, name, role) as (_, _, browser):
        for path in ("/admin/finnes-ikke?lang=en", "/admin/topics/x/y?lang=en"):
            missing = await browser.get(path, headers=BROWSER)
            assert missing.status_code == 404, path
            assert NOT_FOUND in missing.text
            assert_menu_of(missing, name, role)
        nynorsk = await browser.get("/admin/finnes-ikke?lang=nn", headers=BROWSER)
        assert f"Logg ut ({name})" in (menu(nynorsk) or "")
        assert 'href="/admin?lang=nn"' in (menu(nynorsk) or "")
        method = await browser.delete("/admin?lang=en", headers=BROWSER)
        assert method.status_code == 405
        assert_menu_of(method, name, role)
        forbidden = await browser.get("/admin/users?lang=en", headers=BROWSER)
        assert forbidden.status_code == 403
        assert "You do not have access to this page." in forbidden.text
        assert_menu_of(forbidden, name, role)
        large = await browser.post(
            "/admin/login?lang=en", content=b"x" * 2_000_000, headers=BROWSER
        )
        assert large.status_code == 413
        assert_menu_of(large, name, role)

        # The sign-out of the error page signs out; the page then has no menu.
        out = await browser.post(
            "/admin/logout?lang=en", data={"csrf_token": csrf_token(missing.text)}
        )
        assert out.status_code == 303 and out.headers["location"] == "/admin/login?lang=en"
        after = await browser.get("/admin/finnes-ikke?lang=en", headers=BROWSER)
        assert after.status_code == 404 and NOT_FOUND in after.text
        assert menu(after) is None


async def test_a_form_refused_whole_keeps_the_menu(sqlite_url: str, tmp_path: Path) -> None:
    async with signed_in(sqlite_url, tmp_path) as (_, _, browser):
        page = await browser.get("/admin/sources?lang=en")
        fields = {"csrf_token": csrf_token(page.text), "url": "https://example.org/c"}
        too_long = await browser.post(
            "/admin/sources?lang=en", data={**fields, "kind": "page", "selector": "m" * 1001}
        )
        assert too_long.status_code == 400
        assert "it may hold at most 1000" in too_long.text
        assert_menu_of(too_long, "ed", "editor")
        null = await browser.post("/admin/sources?lang=en", data={**fields, "selector": "a\x00"})
        assert null.status_code == 400 and "null character" in null.text
        assert_menu_of(null, "ed", "editor")


async def test_an_error_page_keeps_no_sign_in_alive(sqlite_url: str, tmp_path: Path) -> None:
    async with signed_in(sqlite_url, tmp_path) as (h, clock, browser):
        signed_in_until = await _ends(h)
        clock.advance(IDLE - timedelta(minutes=5))
        missing = await browser.get("/admin/finnes-ikke?lang=en", headers=BROWSER)
        assert_menu_of(missing, "ed", "editor")
        # Found, not used: the session's end stays where the sign-in put it.
        assert await _ends(h) == signed_in_until
        clock.advance(timedelta(minutes=6))
        ended = await browser.get("/admin/finnes-ikke?lang=en", headers=BROWSER)
        assert ended.status_code == 404 and menu(ended) is None
        overview = await browser.get("/admin?lang=en")
        assert overview.status_code == 303
        assert "ended=idle" in overview.headers["location"]


async def test_a_page_opened_moves_the_end_an_error_page_leaves(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with signed_in(sqlite_url, tmp_path) as (h, clock, browser):
        clock.advance(timedelta(minutes=10))
        before = await _ends(h)
        assert_menu_of(await browser.get("/admin/nope?lang=en", headers=BROWSER), "ed", "editor")
        assert await _ends(h) == before
        assert (await browser.get("/admin?lang=en")).status_code == 200
        assert await _ends(h) == [START + timedelta(minutes=10) + IDLE]


async def test_no_menu_without_a_current_session_of_an_enabled_account(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with signed_in(sqlite_url, tmp_path) as (h, clock, browser):
        assert_menu_of(await browser.get("/admin/nope?lang=en", headers=BROWSER), "ed", "editor")
        forged = ("x" * 43, "x" * 101, "", "%00")
        for cookie in forged:
            async with h.client(cookies={"varsel_admin": cookie}) as stranger:
                page = await stranger.get("/admin/nope?lang=en", headers=BROWSER)
                assert page.status_code == 404 and NOT_FOUND in page.text, cookie
                assert menu(page) is None, cookie
        async with h.client() as signed_out:
            page = await signed_out.get("/admin/nope?lang=en", headers=BROWSER)
            assert page.status_code == 404 and NOT_FOUND in page.text
            assert menu(page) is None
            assert "Sign out" not in page.text

        clock.advance(IDLE)  # the session has ended
        ended = await browser.get("/admin/nope?lang=en", headers=BROWSER)
        assert ended.status_code == 404 and NOT_FOUND in ended.text
        assert menu(ended) is None

        assert (await sign_in(browser, "ed")).status_code == 303
        assert_menu_of(await browser.get("/admin/nope?lang=en", headers=BROWSER), "ed", "editor")
        async with h.runtime.sessions() as session, session.begin():
            assert await handlers.set_disabled(session, "ed", True, clock.now())
        disabled = await browser.get("/admin/nope?lang=en", headers=BROWSER)
        assert disabled.status_code == 404 and NOT_FOUND in disabled.text
        assert menu(disabled) is None


async def test_the_error_pages_render_without_a_menu_while_the_database_is_down(
    sqlite_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with signed_in(sqlite_url, tmp_path) as (h, _, browser):
        assert_menu_of(await browser.get("/admin/nope?lang=en", headers=BROWSER), "ed", "editor")
        down = create_engine(DOWN)
        unreachable = session_factory(down)
        asked: list[str] = []

        def sessions() -> AsyncSession:
            asked.append("session")
            return unreachable()

        monkeypatch.setattr(h.runtime, "sessions", sessions)
        caplog.set_level(logging.WARNING)
        try:
            outage = await browser.get("/admin?lang=en", headers=BROWSER)
            assert outage.status_code == 503
            assert outage.headers["retry-after"] == "30"
            assert "The database cannot be reached just now" in outage.text
            assert menu(outage) is None
            # The page's guard asked, and was refused; the 503's page did not ask again.
            assert asked == ["session"]

            missing = await browser.get("/admin/nope?lang=en", headers=BROWSER)
            assert missing.status_code == 404 and NOT_FOUND in missing.text
            assert menu(missing) is None
            assert len(asked) == 2
            assert any("left out who is signed in" in r.getMessage() for r in caplog.records)
        finally:
            monkeypatch.undo()
            await down.dispose()
