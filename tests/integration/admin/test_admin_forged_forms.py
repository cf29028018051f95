"""A staff form is taken only from the signed-in staff member's own pages.

Someone who can set a cookie for the admin's host (a page on a sibling subdomain, another
service on the same host: cookies ignore ports) could plant the CSRF cookie of a pair read
from their own sign-in page, and post with its token from a page of theirs. The token is bound
to the sign-in session, and a browser that names another site as the form's origin is refused.
"""

from __future__ import annotations

from pathlib import Path

import httpx
from sqlalchemy import func, select

from services.admin.adapters.tables import AdminAuditEntry
from services.subscriptions.adapters.tables import Subscriber, Subscription
from tests.integration.admin.harness import Harness, csrf_token, running, sign_in

ADDRESS = "kari.nordmann@example.org"
ENDING = {"address": ADDRESS, "reason": "Asked by letter, case 2026/118", "action": "unsubscribe"}


async def _open_alerts(h: Harness) -> int:
    async with h.runtime.sessions() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(Subscription)
            .join(Subscriber, Subscriber.id == Subscription.subscriber_id)
            .where(Subscriber.email == ADDRESS, Subscription.ended_at.is_(None))
        )
        return int(count or 0)


async def _endings(h: Harness) -> int:
    async with h.runtime.sessions() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(AdminAuditEntry)
            .where(AdminAuditEntry.action == "organisation_unsubscribe")
        )
        return int(count or 0)


async def _signed_in_dpo(h: Harness, browser: httpx.AsyncClient) -> None:
    await h.sign_up(ADDRESS)
    await h.confirm(ADDRESS)
    await h.user("personvern", "dpo")
    assert (await sign_in(browser, "personvern")).status_code == 303
    assert await _open_alerts(h) == 1


async def test_a_pair_from_a_strangers_sign_in_page_opens_no_signed_in_form(
    database_url: str, tmp_path: Path
) -> None:
    async with running(database_url, tmp_path) as h:
        async with h.client() as stranger:
            page = await stranger.get("/admin/login")
            planted, token = stranger.cookies["varsel_admin_csrf"], csrf_token(page.text)
        async with h.client() as browser:
            await _signed_in_dpo(h, browser)
            browser.cookies.set("varsel_admin_csrf", planted, path="/admin")
            forged = await browser.post("/admin/erasure", data={**ENDING, "csrf_token": token})
            assert forged.status_code == 400, forged.text
            assert await _open_alerts(h) == 1 and await _endings(h) == 0

            # The staff member's own form, with the planted cookie, is taken.
            form = await browser.get("/admin/erasure")
            own = csrf_token(form.text)
            assert own != token
            taken = await browser.post("/admin/erasure", data={**ENDING, "csrf_token": own})
            assert taken.status_code == 200, taken.text
            assert await _open_alerts(h) == 0 and await _endings(h) == 1


async def test_a_token_of_an_ended_session_opens_no_form_of_the_next(
    database_url: str, tmp_path: Path
) -> None:
    async with running(database_url, tmp_path) as h, h.client() as browser:
        await _signed_in_dpo(h, browser)
        before = csrf_token((await browser.get("/admin/erasure")).text)
        # Signed in again (a new session), the form read before is out of date.
        assert (await sign_in(browser, "personvern")).status_code == 303
        stale = await browser.post("/admin/erasure", data={**ENDING, "csrf_token": before})
        assert stale.status_code == 400
        assert await _open_alerts(h) == 1


async def test_a_form_another_site_names_as_its_origin_is_refused(
    database_url: str, tmp_path: Path
) -> None:
    async with running(database_url, tmp_path) as h, h.client() as browser:
        await _signed_in_dpo(h, browser)
        for origin in ("http://evil.sibling.example", "http://testserver:8080", "garbage"):
            form = await browser.get("/admin/erasure")
            refused = await browser.post(
                "/admin/erasure",
                data={**ENDING, "csrf_token": csrf_token(form.text)},
                headers={"Origin": origin},
            )
            assert refused.status_code == 400, origin
        assert await _open_alerts(h) == 1 and await _endings(h) == 0

        # The page's own origin, and "null" (what a browser names under the staff pages'
        # no-referrer policy), are this site: the first ends the alerts, the second is
        # taken too (and audited), with none left to end.
        for origin, status in (("http://testserver", 200), ("null", 200)):
            form = await browser.get("/admin/erasure")
            taken = await browser.post(
                "/admin/erasure",
                data={**ENDING, "csrf_token": csrf_token(form.text)},
                headers={"Origin": origin},
            )
            assert taken.status_code == status, (origin, taken.text)
        assert await _open_alerts(h) == 0 and await _endings(h) == 2


async def test_the_configured_address_is_this_site_behind_a_proxy(
    database_url: str, tmp_path: Path
) -> None:
    """A proxy in front ends TLS and may pass its own Host on: the origin the browser names is
    then the admin's configured address."""
    async with (
        running(database_url, tmp_path, base_url="https://varsel.example.no", admin_url="") as h,
        h.client() as browser,
    ):
        await _signed_in_dpo(h, browser)
        form = await browser.get("/admin/erasure")
        taken = await browser.post(
            "/admin/erasure",
            data={**ENDING, "csrf_token": csrf_token(form.text)},
            headers={"Origin": "https://varsel.example.no"},
        )
        assert taken.status_code == 200, taken.text
        assert await _open_alerts(h) == 0


async def test_signing_out_deletes_the_session_cookie_as_it_was_set(
    database_url: str, tmp_path: Path
) -> None:
    async with running(database_url, tmp_path) as h:
        await h.user("personvern", "dpo")
        async with h.client() as browser:
            assert (await sign_in(browser, "personvern")).status_code == 303
            home = await browser.get("/admin")
            out = await browser.post("/admin/logout", data={"csrf_token": csrf_token(home.text)})
            assert out.status_code == 303
            deleted = out.headers["set-cookie"].lower()
            assert deleted.startswith("varsel_admin=")
            assert "samesite=strict" in deleted and "httponly" in deleted
            assert "path=/admin" in deleted
