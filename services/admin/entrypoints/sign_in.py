"""Signing in and out of the admin pages."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.admin import handlers
from services.admin.domain.accounts import SESSION_TTL
from services.admin.entrypoints.access import (
    SESSION_COOKIE,
    AdminDep,
    AuditorPage,
    client_of,
    posted_form,
)
from shared.db import transaction
from shared.web import rate_limit

router = APIRouter(prefix="/admin", include_in_schema=False)


def _safe_next(target: str | None) -> str:
    # Only local admin paths, so the login form cannot bounce anyone to another site.
    if target and target.startswith("/admin") and not target.startswith("//"):
        return target
    return "/admin"


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, admin: AdminDep) -> HTMLResponse:
    """Show the sign-in form."""
    return admin.render(
        request, "login.html", error=None, next=_safe_next(request.query_params.get("next"))
    )


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request, admin: AdminDep) -> Response:
    """Sign in with name and password; failures are counted and limited."""
    fields = await posted_form(request, admin)
    target = _safe_next((fields or {}).get("next"))
    if fields is None:
        return admin.render(request, "login.html", status_code=400, error="bad_form", next=target)
    name, password = fields.get("name", "").strip(), fields.get("password", "")
    secret_key, client = admin.runtime.settings.secret_key, client_of(request)
    now = admin.runtime.clock.now()
    # Two transactions: the attempt is counted and committed before the slow password check.
    async with transaction(admin.runtime.sessions) as session:
        outcome = await handlers.admit_sign_in(session, secret_key, name, client, now)
    if outcome is None:
        async with transaction(admin.runtime.sessions) as session:
            outcome = await handlers.sign_in(session, secret_key, name, password, client, now)
    if outcome.session_id is None:
        limited = outcome.refused == "login_limited"
        page = admin.render(
            request,
            "login.html",
            status_code=429 if limited else 401,
            error=outcome.refused,
            next=target,
        )
        if outcome.retry_at is not None:
            page.headers["Retry-After"] = rate_limit.retry_after(now, outcome.retry_at)
        return page
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        outcome.session_id,
        max_age=int(SESSION_TTL.total_seconds()),
        httponly=True,
        secure=request.url.scheme == "https",
        samesite="strict",
        path="/admin",
    )
    return response


@router.post("/logout")
async def logout(request: Request, admin: AdminDep, actor: AuditorPage) -> Response:
    """Sign out of this browser session."""
    if await posted_form(request, admin) is None:
        return admin.render(request, "forbidden.html", status_code=400, message="bad_form")
    async with transaction(admin.runtime.sessions) as session:
        await handlers.end_session(session, request.cookies.get(SESSION_COOKIE, ""))
        actor.record(session, "logout")
    response = RedirectResponse("/admin/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/admin")
    return response
