"""Signing in and out of the admin pages, and changing one's own password."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from services.admin import authentication
from services.admin.entrypoints.access import (
    SESSION_COOKIE,
    Admin,
    AdminDep,
    SignedInPage,
    client_of,
    idle_timeout,
    language_of,
    posted_form,
)
from shared.db import transaction
from shared.vocabulary import DEFAULT_LANGUAGE
from shared.web import rate_limit
from shared.web.pages import cookie_is_secure

router = APIRouter(prefix="/admin", include_in_schema=False)


def _safe_next(target: str | None) -> str:
    """Return where to go after signing in: ``target`` if it is an admin page, else /admin.

    Only /admin and paths below it, so the login form bounces nobody to another site, nor out
    of the admin: no backslash (browsers read it as a slash), no control character and no ".."
    segment, also percent-encoded (browsers resolve "%2e%2e" as "..").
    """
    if not target or not target.isprintable():
        return "/admin"
    path = unquote(target.partition("?")[0].partition("#")[0])
    inside = path == "/admin" or path.startswith("/admin/")
    if inside and "\\" not in path and ".." not in path.split("/"):
        return target
    return "/admin"


# Why a browser was sent here (access.login_url): the session it had ended.
_ENDINGS = {"idle": "session_idle", "expired": "session_expired"}


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, admin: AdminDep) -> HTMLResponse:
    """Show the sign-in form, and why the last sign-in ended when it did."""
    return admin.render(
        request,
        "login.html",
        error=None,
        ended=_ENDINGS.get(request.query_params.get("ended", "")),
        idle_minutes=admin.runtime.settings.admin_idle_minutes,
        next=_safe_next(request.query_params.get("next")),
    )


Check = Callable[[AsyncSession, str, str, datetime], Awaitable[authentication.SignIn]]


async def _attempt(
    request: Request, admin: Admin, name: str, check: Check
) -> authentication.SignIn:
    """Admit a password attempt for ``name`` from this client, then run ``check`` on it."""
    secret_key, client = admin.runtime.settings.secret_key, client_of(request)
    now = admin.runtime.clock.now()
    # Two transactions: the attempt is counted and committed before the slow password check.
    async with transaction(admin.runtime.sessions) as session:
        outcome = await authentication.admit_sign_in(session, secret_key, name, client, now)
    if outcome is None:
        async with transaction(admin.runtime.sessions) as session:
            outcome = await check(session, secret_key, client, now)
    return outcome


def _refused(
    request: Request, admin: Admin, outcome: authentication.SignIn, template: str, **context: Any
) -> HTMLResponse:
    status = {"login_limited": 429, "login_failed": 401}.get(outcome.refused or "", 400)
    page = admin.render(request, template, status_code=status, error=outcome.refused, **context)
    if outcome.retry_at is not None:
        now = admin.runtime.clock.now()
        page.headers["Retry-After"] = rate_limit.retry_after(now, outcome.retry_at)
    return page


def _signed_in(request: Request, admin: Admin, session_id: str, target: str) -> Response:
    response = RedirectResponse(target, status_code=303)
    # A browser session's cookie, without Max-Age: closing the browser signs out, so the next
    # person at a shared computer does not open the admin as this one. The server still ends
    # the session after VARSEL_ADMIN_IDLE_MINUTES without use, and after SESSION_TTL however
    # busy the browser is.
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        httponly=True,
        secure=cookie_is_secure(request, admin.runtime.settings.resolved_admin_url),
        samesite="strict",
        path="/admin",
    )
    return response


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request, admin: AdminDep) -> Response:
    """Sign in with name and password; failures are counted and limited."""
    fields = await posted_form(request, admin)
    target = _safe_next((fields or {}).get("next"))
    if fields is None:
        return admin.render(request, "login.html", status_code=400, error="bad_form", next=target)
    name, password = fields.get("name", "").strip(), fields.get("password", "")

    async def check(
        session: AsyncSession, key: str, client: str, now: datetime
    ) -> authentication.SignIn:
        return await authentication.sign_in(
            session, key, name, password, client, now, idle_timeout(admin)
        )

    outcome = await _attempt(request, admin, name, check)
    if outcome.session_id is None:
        return _refused(request, admin, outcome, "login.html", next=target)
    return _signed_in(request, admin, outcome.session_id, target)


@router.get("/password", response_class=HTMLResponse)
async def password_form(request: Request, admin: AdminDep, actor: SignedInPage) -> HTMLResponse:
    """Show the form that changes the signed-in admin's own password."""
    done = request.query_params.get("done") == "1"
    return admin.render(request, "password.html", actor=actor.principal, error=None, done=done)


@router.post("/password", response_class=HTMLResponse)
async def change_password(request: Request, admin: AdminDep, actor: SignedInPage) -> Response:
    """Change one's own password: the current one is checked like a sign-in, the new one's
    strength like a new account's. Other browsers signed in as this admin are signed out."""
    fields = await posted_form(request, admin)
    page = {"actor": actor.principal, "done": False}
    if fields is None:
        return admin.render(request, "password.html", status_code=400, error="bad_form", **page)
    current, new = fields.get("current", ""), fields.get("new", "")
    if new != fields.get("again", ""):
        return admin.render(
            request, "password.html", status_code=400, error="password_mismatch", **page
        )

    async def check(
        session: AsyncSession, key: str, client: str, now: datetime
    ) -> authentication.SignIn:
        return await authentication.change_own_password(
            session, key, actor.principal, current, new, client, now, idle_timeout(admin)
        )

    outcome = await _attempt(request, admin, actor.principal.name, check)
    if outcome.session_id is None:
        return _refused(request, admin, outcome, "password.html", **page)
    language = language_of(request)
    done = "/admin/password?done=1" + ("" if language == DEFAULT_LANGUAGE else f"&lang={language}")
    return _signed_in(request, admin, outcome.session_id, done)


@router.post("/logout")
async def logout(request: Request, admin: AdminDep, actor: SignedInPage) -> Response:
    """Sign out of this browser session."""
    if await posted_form(request, admin) is None:
        return admin.render(request, "forbidden.html", status_code=400, message="bad_form")
    async with transaction(admin.runtime.sessions) as session:
        await authentication.end_session(session, request.cookies.get(SESSION_COOKIE, ""))
        actor.record(session, "logout")
    # The sign-in page in the language the staff member used: nothing else of theirs is kept.
    language = language_of(request)
    login = "/admin/login" + ("" if language == DEFAULT_LANGUAGE else f"?lang={language}")
    response = RedirectResponse(login, status_code=303)
    # Deleted as it was set: a browser may keep a cookie whose attributes differ apart.
    response.delete_cookie(
        SESSION_COOKIE,
        path="/admin",
        secure=cookie_is_secure(request, admin.runtime.settings.resolved_admin_url),
        httponly=True,
        samesite="strict",
    )
    return response
