"""An admin changes their own password: the current one is checked like a sign-in, the new one
must be hard to guess, and every other browser signed in as them is signed out."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from services.admin.adapters.tables import AdminAuditEntry
from shared.clock import FrozenClock
from tests.integration.admin.harness import PASSWORD, csrf_token, running, sign_in

NEW = "Syv-svaner-over-Mjøsa-i-mars"


async def change(
    client: httpx.AsyncClient, current: str, new: str, again: str | None = None, lang: str = ""
) -> httpx.Response:
    """Post the change-password form (fetching it first for the CSRF token)."""
    query = f"?lang={lang}" if lang else ""
    form = await client.get(f"/admin/password{query}")
    assert form.status_code == 200
    fields = {"current": current, "new": new, "again": new if again is None else again}
    return await client.post(
        f"/admin/password{query}", data={**fields, "csrf_token": csrf_token(form.text)}
    )


@pytest.mark.parametrize(
    ("lang", "weak_words", "short_words"),
    [
        ("", "for lett å gjette", "kortere enn 12 tegn"),
        ("nn", "for lett å gjette", "kortare enn 12 teikn"),
        ("en", "too easy to guess", "shorter than 12 characters"),
    ],
)
async def test_weak_new_passwords_are_refused_with_the_reason(
    sqlite_url: str, tmp_path: Path, lang: str, weak_words: str, short_words: str
) -> None:
    async with running(sqlite_url, tmp_path) as h, h.client() as client:
        await h.user("aud", "auditor")
        assert (await sign_in(client, "aud")).status_code == 303
        for weak in ("aaaaaaaaaaaa", "password1234", "aud123456789"):
            refused = await change(client, PASSWORD, weak, lang=lang)
            assert refused.status_code == 400
            assert weak_words in refused.text
        short = await change(client, PASSWORD, "Kort!7", lang=lang)
        assert (short.status_code, short_words in short.text) == (400, True)
        # Still signed in, and the old password still works.
        assert (await client.get("/admin")).status_code == 200
    async with running(sqlite_url, tmp_path) as h, h.client() as other:
        assert (await sign_in(other, "aud")).status_code == 303


async def test_a_strong_password_replaces_the_old_and_signs_out_other_browsers(
    database_url: str, tmp_path: Path
) -> None:
    async with running(database_url, tmp_path) as h:
        await h.user("aud", "auditor")
        async with h.client() as here, h.client() as elsewhere:
            assert (await sign_in(here, "aud")).status_code == 303
            assert (await sign_in(elsewhere, "aud")).status_code == 303
            mismatch = await change(here, PASSWORD, NEW, again=NEW + "x")
            assert mismatch.status_code == 400
            assert "De to nye passordene er ikke like" in mismatch.text

            changed = await change(here, PASSWORD, NEW)
            assert changed.status_code == 303
            assert changed.headers["location"] == "/admin/password?done=1"
            done = await here.get(changed.headers["location"])
            assert done.status_code == 200, "this browser stays signed in, with a new session"
            assert "Passordet ditt er endret" in done.text
            assert (await elsewhere.get("/admin")).status_code == 303, "signed out"
        async with h.client() as fresh:
            assert (await sign_in(fresh, "aud")).status_code == 401
            assert (await sign_in(fresh, "aud", NEW)).status_code == 303
        async with h.runtime.sessions() as session:
            audited = await session.scalars(
                select(AdminAuditEntry.action).where(AdminAuditEntry.actor == "aud")
            )
            assert "password_changed" in audited.all()


async def test_guessing_the_current_password_is_slowed_like_signing_in(
    sqlite_url: str, tmp_path: Path
) -> None:
    clock = FrozenClock(datetime(2026, 12, 4, 9, tzinfo=UTC))
    async with running(sqlite_url, tmp_path, clock=clock) as h, h.client() as client:
        await h.user("aud", "auditor")
        assert (await sign_in(client, "aud")).status_code == 303
        for _ in range(3):
            assert (await change(client, "not my password", NEW)).status_code == 401
        limited = await change(client, PASSWORD, NEW)
        assert limited.status_code == 429
        assert limited.headers["Retry-After"] == "5"
        assert "For mange mislykkede forsøk" in limited.text
