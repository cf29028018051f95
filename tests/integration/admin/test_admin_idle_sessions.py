"""A staff sign-in ends after a while without use, and after eight hours however busy it is;
the browser that comes back is told which, in its language."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import select

from services.admin.adapters.tables import AdminSession
from services.admin.domain.accounts import SESSION_TTL
from shared.clock import FrozenClock
from shared.settings import Settings
from tests.integration.admin.harness import Harness, running, sign_in

START = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)
IDLE = timedelta(minutes=30)  # VARSEL_ADMIN_IDLE_MINUTES' default


@asynccontextmanager
async def signed_in(
    url: str, tmp_path: Path, **settings: Any
) -> AsyncIterator[tuple[Harness, FrozenClock, httpx.AsyncClient]]:
    """Yield the harness, its clock (at START) and a browser signed in as an auditor."""
    clock = FrozenClock(START)
    async with running(url, tmp_path, clock=clock, **settings) as h:
        await h.user("aud", "auditor")
        async with h.client() as browser:
            assert (await sign_in(browser, "aud")).status_code == 303
            yield h, clock, browser


async def _ends(h: Harness) -> list[datetime]:
    async with h.runtime.sessions() as session:
        return list((await session.scalars(select(AdminSession.expires_at))).all())


async def _sent_to_sign_in(browser: httpx.AsyncClient, path: str) -> str:
    """Open a page whose session has ended; return the sign-in page it leads to."""
    answer = await browser.get(path)
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    assert location.startswith("/admin/login?next=")
    page = await browser.get(location)
    assert page.status_code == 200
    return page.text


async def test_a_browser_left_unused_is_signed_out_and_told_why(
    database_url: str, tmp_path: Path
) -> None:
    async with signed_in(database_url, tmp_path) as (_, clock, browser):
        # Each page opened within the idle time keeps the browser signed in.
        for _ in range(4):
            clock.advance(IDLE - timedelta(minutes=2))
            assert (await browser.get("/admin")).status_code == 200
        clock.advance(IDLE)
        page = await _sent_to_sign_in(browser, "/admin/ledger?lang=en")
        assert "signed out after 30 minutes without use" in page
        assert (await sign_in(browser, "aud")).status_code == 303
        assert (await browser.get("/admin")).status_code == 200


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("nb", "logget ut etter 30 minutter uten bruk"),
        ("nn", "logga ut etter 30 minutt utan bruk"),
        ("en", "signed out after 30 minutes without use"),
    ],
)
async def test_the_idle_sign_out_is_told_in_the_page_language(
    sqlite_url: str, tmp_path: Path, language: str, words: str
) -> None:
    async with signed_in(sqlite_url, tmp_path) as (_, clock, browser):
        clock.advance(IDLE)
        page = await _sent_to_sign_in(browser, f"/admin?lang={language}")
        assert words in page
        assert 'role="status"' in page


async def test_a_busy_session_still_ends_after_its_hours(sqlite_url: str, tmp_path: Path) -> None:
    async with signed_in(sqlite_url, tmp_path) as (h, clock, browser):
        while clock.now() + timedelta(minutes=20) < START + SESSION_TTL:
            clock.advance(timedelta(minutes=20))
            assert (await browser.get("/admin")).status_code == 200, clock.now()
        assert await _ends(h) == [START + SESSION_TTL]
        clock.set(START + SESSION_TTL)
        page = await _sent_to_sign_in(browser, "/admin?lang=en")
        assert "a sign-in lasts at most 8 hours" in page
        assert "without use" not in page


async def test_the_idle_time_is_a_setting_and_moves_the_end_only_now_and_then(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with signed_in(sqlite_url, tmp_path, admin_idle_minutes=5) as (h, clock, browser):
        assert await _ends(h) == [START + timedelta(minutes=5)]
        # Pages opened within a minute of the last move write nothing.
        clock.advance(timedelta(seconds=50))
        assert (await browser.get("/admin")).status_code == 200
        assert await _ends(h) == [START + timedelta(minutes=5)]
        clock.advance(timedelta(seconds=20))
        assert (await browser.get("/admin")).status_code == 200
        assert await _ends(h) == [clock.now() + timedelta(minutes=5)]
        clock.advance(timedelta(minutes=5))
        page = await _sent_to_sign_in(browser, "/admin?lang=en")
        assert "signed out after 5 minutes without use" in page


async def test_a_cookie_of_no_session_is_told_nothing(sqlite_url: str, tmp_path: Path) -> None:
    async with (
        running(sqlite_url, tmp_path) as h,
        h.client(cookies={"varsel_admin": "made-up"}) as browser,
    ):
        answer = await browser.get("/admin")
        assert answer.status_code == 303
        assert "ended=" not in answer.headers["location"]


@pytest.mark.parametrize("value", ["0", "-5", "thirty", "1.5", "481"])
def test_a_wrong_idle_time_is_refused_naming_its_variable(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VARSEL_ADMIN_IDLE_MINUTES", value)
    with pytest.raises(ValidationError, match="admin_idle_minutes"):
        Settings()


def test_the_idle_time_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().admin_idle_minutes == 30
    monkeypatch.setenv(
        "VARSEL_ADMIN_IDLE_MINUTES", ""
    )  # set to nothing: the default, as since 68bdb2c
    assert Settings().admin_idle_minutes == 30
    monkeypatch.setenv("VARSEL_ADMIN_IDLE_MINUTES", "15")
    assert Settings().admin_idle_minutes == 15


async def test_a_busy_session_lasts_its_whole_hours_and_is_told_so(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with signed_in(sqlite_url, tmp_path) as (h, clock, browser):
        # A page 30 s before the idle end reaches the last half hour would move the end to
        # 30 s short of the eight hours; the next, 40 s later, to the eight hours themselves,
        # 30 s further: a move under a minute, which must still be written.
        before_last_half_hour = START + SESSION_TTL - IDLE - timedelta(seconds=30)
        while clock.now() + timedelta(minutes=20) < before_last_half_hour:
            clock.advance(timedelta(minutes=20))
            assert (await browser.get("/admin")).status_code == 200, clock.now()
        clock.set(before_last_half_hour)
        assert (await browser.get("/admin")).status_code == 200
        assert await _ends(h) == [START + SESSION_TTL - timedelta(seconds=30)]
        clock.advance(timedelta(seconds=40))
        assert (await browser.get("/admin")).status_code == 200
        assert await _ends(h) == [START + SESSION_TTL]
        # Busy to the last second: it is not ended as if left unused.
        while clock.now() + timedelta(minutes=5) < START + SESSION_TTL:
            clock.advance(timedelta(minutes=5))
            assert (await browser.get("/admin")).status_code == 200, clock.now()
        clock.set(START + SESSION_TTL - timedelta(seconds=1))
        assert (await browser.get("/admin")).status_code == 200
        clock.set(START + SESSION_TTL)
        page = await _sent_to_sign_in(browser, "/admin?lang=en")
        assert "a sign-in lasts at most 8 hours" in page
        assert "without use" not in page
