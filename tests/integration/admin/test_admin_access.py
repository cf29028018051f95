"""Who gets into the admin area: every route refuses strangers and the wrong role.

The routes are read from the app itself, so a route added later without a guard fails here.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import httpx
import pytest
from fastapi.routing import APIRoute
from sqlalchemy import select

from services.admin.adapters.tables import AdminAuditEntry
from services.admin.entrypoints.access import RoleGuard
from tests.integration.admin.harness import PASSWORD, TOPIC, csrf_token, running, sign_in

PUBLIC = {("GET", "/admin/login"), ("POST", "/admin/login")}
PATH_VALUES = {
    "{slug}": TOPIC,
    "{version}": "2026-11-01",
    "{language}": "nb",
    "{source_id}": "1",
    "{kind}": "alert",
}


def _flat_routes(app: object) -> list[tuple[str, APIRoute]]:
    """Return (full path, route) for every API route, also inside included routers."""
    flat = []
    for route in app.routes:  # type: ignore[attr-defined]
        if isinstance(route, APIRoute):
            flat.append((route.path, route))
        elif hasattr(route, "effective_route_contexts"):
            # FastAPI >= 0.165 keeps included routers as branches instead of copying routes.
            for context in route.effective_route_contexts():
                if isinstance(context.original_route, APIRoute):
                    flat.append(
                        (context.path or context.original_route.path, context.original_route)
                    )
    return flat


def admin_routes(app: object) -> list[tuple[str, str, RoleGuard | None, bool]]:
    """Return (method, path, guard, is_api) for every admin page and API route."""
    found = []
    for full_path, route in _flat_routes(app):
        is_api = full_path.startswith("/api/v1/admin")
        if not (is_api or full_path.startswith("/admin")):
            continue
        guards = [d.call for d in route.dependant.dependencies if isinstance(d.call, RoleGuard)]
        path = full_path
        for placeholder, value in PATH_VALUES.items():
            path = path.replace(placeholder, value)
        for method in sorted(route.methods or ()):
            found.append((method, path, guards[0] if guards else None, is_api))
    return found


async def call(
    client: httpx.AsyncClient, method: str, path: str, **kwargs: object
) -> httpx.Response:
    body = {"json": {"address": "a@example.org"}} if path.startswith("/api") else {}
    return await client.request(method, path, **body, **kwargs)  # type: ignore[arg-type]


async def test_every_admin_route_refuses_strangers_and_the_wrong_role(
    database_url: str, tmp_path: Path
) -> None:
    async with running(database_url, tmp_path) as h:
        routes = admin_routes(h.app)
        assert len(routes) > 15
        unguarded = [(m, p) for m, p, guard, _ in routes if guard is None and (m, p) not in PUBLIC]
        assert unguarded == [], "every admin route needs a RoleGuard"
        assert {guard.page for _, _, guard, api in routes if guard} == {True, False}
        for _, _, guard, api in routes:
            if guard is not None:
                assert guard.page is not api, "pages use sessions, the API uses tokens"

        await h.user("aud", "auditor")
        await h.user("ops", "operator")
        await h.user("ed", "editor")
        _, auditor_token = await h.token("aud")
        _, operator_token = await h.token("ops")
        _, editor_token = await h.token("ed")
        async with (
            h.client() as anonymous,
            h.client() as auditor,
            h.client() as operator,
            h.client() as editor,
        ):
            assert (await sign_in(auditor, "aud")).status_code == 303
            assert (await sign_in(operator, "ops")).status_code == 303
            assert (await sign_in(editor, "ed")).status_code == 303
            for method, path, guard, is_api in routes:
                if guard is None:
                    continue
                response = await call(anonymous, method, path)
                if is_api:
                    assert response.status_code == 401, (method, path)
                    assert response.headers["www-authenticate"] == "Bearer"
                    wrong = await call(
                        anonymous, method, path, headers={"Authorization": "Bearer nonsense"}
                    )
                    assert wrong.status_code == 401, (method, path)
                else:
                    assert response.status_code == 303, (method, path)
                    assert response.headers["location"].startswith("/admin/login?next=")
                    # A bearer token opens no page: pages need a browser session.
                    with_token = await call(
                        anonymous,
                        method,
                        path,
                        headers={"Authorization": f"Bearer {operator_token}"},
                    )
                    assert with_token.status_code == 303, (method, path)

                headers = {"Authorization": f"Bearer {auditor_token}"} if is_api else {}
                as_auditor = await call(auditor, method, path, headers=headers)
                if guard.role in {"signed_in", "auditor"}:
                    assert as_auditor.status_code not in {401, 403}, (method, path)
                else:
                    assert as_auditor.status_code == 403, (method, path)

                # An editor reads no consent record, ledger or audit log, and an auditor edits
                # nothing: the roles are apart, not ranked.
                headers = {"Authorization": f"Bearer {editor_token}"} if is_api else {}
                as_editor = await call(editor, method, path, headers=headers)
                if guard.role in {"signed_in", "editor"}:
                    assert as_editor.status_code not in {401, 403}, (method, path)
                else:
                    assert as_editor.status_code == 403, (method, path)

                headers = {"Authorization": f"Bearer {operator_token}"} if is_api else {}
                as_operator = await call(operator, method, path, headers=headers)
                assert as_operator.status_code not in {401, 403}, (method, path)
            roles = {g.role for _, _, g, _ in routes if g}
            assert roles == {"signed_in", "auditor", "dpo", "editor", "operator"}

        async with h.runtime.sessions() as session:
            denied = (
                await session.scalars(
                    select(AdminAuditEntry.target).where(AdminAuditEntry.action == "access_denied")
                )
            ).all()
        assert "GET /admin/operations" in denied
        assert "GET /api/v1/admin/operations" in denied
        assert "GET /admin/ledger" in denied
        assert "POST /api/v1/admin/consent/lookup" in denied


async def test_revoked_token_is_refused(database_url: str, tmp_path: Path) -> None:
    from services.admin import handlers

    async with running(database_url, tmp_path) as h:
        await h.user("robot", "auditor")
        token_id, token = await h.token("robot")
        async with h.client(headers={"Authorization": f"Bearer {token}"}) as client:
            assert (await client.get("/api/v1/admin/audit")).status_code == 200
            async with h.runtime.sessions() as session, session.begin():
                assert await handlers.revoke_token(session, token_id, h.runtime.clock.now())
                assert not await handlers.revoke_token(session, token_id, h.runtime.clock.now())
            assert (await client.get("/api/v1/admin/audit")).status_code == 401


async def test_a_public_forms_token_opens_no_staff_form(database_url: str, tmp_path: Path) -> None:
    async with running(database_url, tmp_path) as h:
        await h.user("aud", "auditor")
        async with h.client() as client:
            public = await client.get("/")
            cookie, token = client.cookies["varsel_csrf"], csrf_token(public.text)
            # Someone who could set the staff side's cookie sets it to the public one's.
            client.cookies.set("varsel_admin_csrf", cookie)
            data = {"name": "aud", "password": PASSWORD, "csrf_token": token}
            refused = await client.post("/admin/login", data=data)
            assert refused.status_code == 400
            assert "varsel_admin=" not in refused.headers.get("set-cookie", "")
            assert (await sign_in(client, "aud")).status_code == 303


async def test_session_cookie_is_strict_and_logout_ends_it(
    database_url: str, tmp_path: Path
) -> None:
    async with running(database_url, tmp_path) as h:
        await h.user("aud", "auditor")
        async with h.client() as client:
            bad_csrf = await client.post(
                "/admin/login", data={"name": "aud", "password": "x", "csrf_token": "forged"}
            )
            assert bad_csrf.status_code == 400
            response = await sign_in(client, "aud")
            assert response.status_code == 303
            cookie = response.headers["set-cookie"].lower()
            assert "varsel_admin=" in cookie
            assert "httponly" in cookie and "samesite=strict" in cookie
            # Kept by the browser only while it is open: no one who opens it later is let in.
            assert "max-age=" not in cookie and "expires=" not in cookie
            home = await client.get("/admin")
            assert home.status_code == 200
            assert 'href="/static/varsel.css"' in home.text
            stolen = client.cookies.get("varsel_admin")
            from tests.integration.admin.harness import csrf_token

            assert (
                await client.post("/admin/logout", data={"csrf_token": csrf_token(home.text)})
            ).status_code == 303
        async with h.client(cookies={"varsel_admin": stolen or ""}) as replay:
            assert (await replay.get("/admin")).status_code == 303


async def test_admin_form_survives_a_visit_to_a_public_page(
    database_url: str, tmp_path: Path
) -> None:
    """A staff member opens an admin form, reads a public page on the same host, then posts:
    the browser now holds the public CSRF cookie (path /) and the admin's (path /admin) and
    sends both to /admin; the form must still be accepted, not answered as expired."""
    async with running(database_url, tmp_path) as h:
        await h.user("aud", "auditor")
        async with h.client() as client:
            assert (await sign_in(client, "aud")).status_code == 303
            home = await client.get("/admin")
            assert home.status_code == 200
            public = await client.get(f"/subscribe/{TOPIC}")
            assert public.status_code == 200
            paths = sorted(cookie.path for cookie in client.cookies.jar if "csrf" in cookie.name)
            assert paths == ["/", "/admin"], "the browser should hold both CSRF cookies"
            logout = await client.post("/admin/logout", data={"csrf_token": csrf_token(home.text)})
            assert logout.status_code == 303, logout.text
            assert (await client.get("/admin")).status_code == 303


async def test_a_role_this_version_does_not_know_opens_no_page_of_any_role(
    sqlite_url: str, tmp_path: Path
) -> None:
    """A role written by hand in the database ("Editor" for "editor"), or by a later version,
    grants no role's pages: not the auditor's, which hold personal data."""
    from sqlalchemy import update

    from services.admin.adapters.tables import AdminUser

    async with running(sqlite_url, tmp_path) as h:
        await h.user("kari", "editor")
        _, token = await h.token("kari")
        async with h.runtime.sessions() as session, session.begin():
            await session.execute(
                update(AdminUser).where(AdminUser.name == "kari").values(role="Editor")
            )
        async with h.client() as browser:
            assert (await sign_in(browser, "kari")).status_code == 303
            home = await browser.get("/admin")
            assert home.status_code == 200
            assert 'href="/admin/consent"' not in home.text
            for path in ("/admin/consent", "/admin/ledger", "/admin/audit", "/admin/sources"):
                assert (await browser.get(path)).status_code == 403, path
        async with h.client(headers={"Authorization": f"Bearer {token}"}) as api:
            assert (await api.get("/api/v1/admin/audit")).status_code == 403


async def test_signing_in_goes_on_only_to_an_admin_page(sqlite_url: str, tmp_path: Path) -> None:
    """The page to go on to after signing in (``next``) comes from a link anyone can write:
    whatever would leave the admin (another host, a backslash, "..", encoded or not) is
    replaced by the overview."""
    leaving = [
        "//evil.example",
        "/\\evil.example",
        "https://evil.example/admin",
        "/admin/../../evil",
        "/admin/%2e%2e/%2E%2E/subscribe/x",
        "/admin/..%2f..%2fsubscribe",
        "/admin\\..\\..\\evil.example",
        "/admin.evil.example",
        "/admin@evil.example",
        "/admin/\t/evil.example",
        "/administrator",
    ]
    staying = ["/admin", "/admin/ledger?topic=norge-i-verden&lang=en", "/admin/audit?before=x"]
    async with running(sqlite_url, tmp_path) as h:
        await h.user("aud", "auditor")
        async with h.client() as browser:
            for target in [*leaving, *staying]:
                form = await browser.get("/admin/login", params={"next": target})
                answer = await browser.post(
                    "/admin/login",
                    data={
                        "name": "aud",
                        "password": PASSWORD,
                        "next": target,
                        "csrf_token": csrf_token(form.text),
                    },
                )
                assert answer.status_code == 303, target
                expected = target if target in staying else "/admin"
                assert answer.headers["location"] == expected, target


@pytest.mark.parametrize(("language", "sign_in_words"), [("nn", "Logg inn"), ("en", "Sign in")])
async def test_signing_out_keeps_the_page_language(
    sqlite_url: str, tmp_path: Path, language: str, sign_in_words: str
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        await h.user("aud", "auditor")
        async with h.client() as client:
            await sign_in(client, "aud")
            home = await client.get(f"/admin?lang={language}")
            action = re.search(r'<form method="post" action="([^"]*logout[^"]*)"', home.text)
            assert action, "the page has a sign-out form"
            out = await client.post(
                html.unescape(action.group(1)), data={"csrf_token": csrf_token(home.text)}
            )
            assert out.status_code == 303
            assert out.headers["location"] == f"/admin/login?lang={language}"
            page = await client.get(out.headers["location"])
        assert f'<html lang="{language}">' in page.text and sign_in_words in page.text
