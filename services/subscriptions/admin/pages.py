"""Admin pages under /admin: sign in, consent lookup, ledger, topics and the audit log."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from services.subscriptions.admin import audit, auth, consent, keyset, stats
from services.subscriptions.admin.access import (
    SESSION_COOKIE,
    AdminDep,
    AuditorPage,
    client_of,
    language_of,
)
from services.subscriptions.admin.chart import line_chart
from services.subscriptions.admin.texts import text
from services.subscriptions.domain.addresses import InvalidAddress
from shared.db import transaction
from shared.web.csrf import COOKIE as CSRF_COOKIE
from shared.web.csrf import FIELD as CSRF_FIELD

router = APIRouter(prefix="/admin", include_in_schema=False)
PAGE_SIZE = 50
MAX_FIELD = 1000


async def _form(request: Request, admin: AdminDep) -> dict[str, str] | None:
    """Return the posted fields if the CSRF token matches; None otherwise."""
    form = await request.form()
    fields = {k: v[:MAX_FIELD] for k, v in form.items() if isinstance(v, str)}
    if not admin.csrf.valid(request.cookies.get(CSRF_COOKIE), fields.get(CSRF_FIELD)):
        return None
    return fields


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
    fields = await _form(request, admin)
    target = _safe_next((fields or {}).get("next"))
    if fields is None:
        return admin.render(request, "login.html", status_code=400, error="bad_form", next=target)
    name, password = fields.get("name", "").strip(), fields.get("password", "")
    client, now = client_of(request), admin.runtime.clock.now()
    secret = admin.runtime.settings.secret_key
    principal: auth.Principal | None = None
    error = "login_failed"
    async with transaction(admin.runtime.sessions) as session:
        if await auth.login_blocked(session, secret, name, client, now):
            audit.record(session, actor=name, action="login_limited", client=client, now=now)
            error = "login_limited"
        else:
            principal = await auth.check_password(session, name, password)
            if principal is None:
                await auth.count_failed_login(session, secret, name, client, now)
                audit.record(session, actor=name, action="login_failed", client=client, now=now)
            else:
                session_id = await auth.start_session(session, principal, now)
                await auth.note_login(session, principal, now)
                audit.record(session, actor=name, action="login", client=client, now=now)
    if principal is None:
        status = 429 if error == "login_limited" else 401
        return admin.render(request, "login.html", status_code=status, error=error, next=target)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        max_age=int(auth.SESSION_TTL.total_seconds()),
        httponly=True,
        secure=request.url.scheme == "https",
        samesite="strict",
        path="/admin",
    )
    return response


@router.post("/logout")
async def logout(request: Request, admin: AdminDep, actor: AuditorPage) -> Response:
    """Sign out of this browser session."""
    if await _form(request, admin) is None:
        return admin.render(request, "forbidden.html", status_code=400, message="bad_form")
    async with transaction(admin.runtime.sessions) as session:
        await auth.end_session(session, request.cookies.get(SESSION_COOKIE, ""))
        actor.record(session, "logout")
    response = RedirectResponse("/admin/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/admin")
    return response


@router.get("", response_class=HTMLResponse)
async def home(request: Request, admin: AdminDep, actor: AuditorPage) -> HTMLResponse:
    """Show the overview with the topics."""
    language = language_of(request)
    topics = [(t.slug, t.title_in(language)) for t in admin.runtime.catalogue.topics]
    return admin.render(request, "home.html", actor=actor.principal, topics=topics)


@router.get("/consent", response_class=HTMLResponse)
async def consent_form(request: Request, admin: AdminDep, actor: AuditorPage) -> HTMLResponse:
    """Show the consent lookup form."""
    return admin.render(
        request, "consent.html", actor=actor.principal, address="", error=None, steps=None
    )


@router.post("/consent", response_class=HTMLResponse)
async def consent_lookup(request: Request, admin: AdminDep, actor: AuditorPage) -> HTMLResponse:
    """Show a person's consent timeline, found by their address (also after erasure)."""
    fields = await _form(request, admin)
    raw = (fields or {}).get("address", "")
    context: dict[str, Any] = {"actor": actor.principal, "address": raw, "steps": None}
    if fields is None:
        return admin.render(request, "consent.html", status_code=400, error="bad_form", **context)
    try:
        _, subject = consent.subject_of(admin.runtime.settings.secret_key, raw)
    except InvalidAddress:
        return admin.render(
            request, "consent.html", status_code=422, error="invalid_address", **context
        )
    async with transaction(admin.runtime.sessions) as session:
        steps = await consent.timeline(session, subject)
        actor.record(session, "consent_lookup", target=subject, details={"steps": len(steps)})
    context["steps"] = steps
    return admin.render(request, "consent.html", error=None, subject=subject, **context)


@router.post("/consent/export")
async def consent_export(request: Request, admin: AdminDep, actor: AuditorPage) -> Response:
    """Download what varsel holds about a person as JSON (a subject access request)."""
    fields = await _form(request, admin)
    if fields is None:
        return admin.render(request, "forbidden.html", status_code=400, message="bad_form")
    try:
        address, subject = consent.subject_of(
            admin.runtime.settings.secret_key, fields.get("address", "")
        )
    except InvalidAddress:
        return admin.render(request, "forbidden.html", status_code=422, message="invalid_address")
    async with transaction(admin.runtime.sessions) as session:
        data = await consent.subject_export(session, address, subject, admin.runtime.clock.now())
        actor.record(session, "consent_export", target=subject)
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="varsel-{subject[:12]}.json"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/privacy/{version}/{language}", response_class=HTMLResponse)
async def privacy_notice(
    version: str, language: str, request: Request, admin: AdminDep, actor: AuditorPage
) -> HTMLResponse:
    """Show the exact privacy text of a version and language."""
    async with transaction(admin.runtime.sessions) as session:
        notice = await consent.privacy_text(session, version[:40], language[:2])
        actor.record(session, "privacy_notice_read", target=f"{version[:40]}/{language[:2]}")
    if notice is None:
        return admin.render(request, "forbidden.html", status_code=404, message="not_found")
    return admin.render(request, "notice.html", actor=actor.principal, notice=notice)


@router.get("/ledger", response_class=HTMLResponse)
async def ledger(request: Request, admin: AdminDep, actor: AuditorPage) -> HTMLResponse:
    """Show the ledger filtered by topic, action and dates, one keyset page at a time."""
    params = dict(request.query_params)
    error: str | None = None
    try:
        where = consent.parse_filter(params)
    except ValueError:
        where, error = consent.LedgerFilter(), "bad_form"
    after = keyset.decode(params.get("after"))
    async with transaction(admin.runtime.sessions) as session:
        rows, following = await consent.ledger_page(session, where, after=after, limit=PAGE_SIZE)
        actor.record(session, "ledger_read", details=where.as_dict())
    kept = {k: v for k, v in params.items() if k != "after" and v}
    next_query = None
    if following is not None:
        next_query = urlencode({**kept, "after": keyset.encode(*following)})
    return admin.render(
        request,
        "ledger.html",
        actor=actor.principal,
        rows=[consent.record_dict(r) for r in rows],
        params=params,
        actions=consent.ACTIONS,
        topics=[t.slug for t in admin.runtime.catalogue.topics],
        next_query=next_query,
        query=urlencode(kept),
        error=error,
    )


@router.get("/ledger.csv")
async def ledger_csv(request: Request, admin: AdminDep, actor: AuditorPage) -> Response:
    """Download the filtered ledger as CSV, streamed."""
    try:
        where = consent.parse_filter(dict(request.query_params))
    except ValueError:
        return admin.render(request, "forbidden.html", status_code=400, message="bad_form")
    async with transaction(admin.runtime.sessions) as session:
        actor.record(session, "ledger_export", details=where.as_dict())
    return StreamingResponse(
        consent.ledger_csv(admin.runtime.sessions, where),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="consent-ledger.csv"'},
    )


@router.get("/topics/{slug}", response_class=HTMLResponse)
async def topic_page(
    slug: str, request: Request, admin: AdminDep, actor: AuditorPage
) -> HTMLResponse:
    """Show a topic's subscribers and daily activity as an SVG chart and a table."""
    topic = admin.runtime.catalogue.topic(slug)
    if topic is None:
        return admin.render(request, "forbidden.html", status_code=404, message="not_found")
    language = language_of(request)
    today = admin.runtime.clock.now().date()
    async with transaction(admin.runtime.sessions) as session:
        numbers = await stats.topic_stats(
            session, slug, first_day=today - timedelta(days=29), last_day=today
        )
        actor.record(session, "topic_stats_read", target=slug)
    labels = {s: text(language, s) for s in stats.SERIES}
    chart = line_chart(
        "chart",
        f"{topic.title_in(language)}: {text(language, 'per_day')}",
        text(language, "chart_desc"),
        numbers.days,
        numbers.per_day,
        labels,
    )
    return admin.render(
        request,
        "topic.html",
        actor=actor.principal,
        title=topic.title_in(language),
        stats=numbers,
        series=stats.SERIES,
        labels=labels,
        chart=chart,
    )


@router.get("/audit", response_class=HTMLResponse)
async def audit_log(request: Request, admin: AdminDep, actor: AuditorPage) -> HTMLResponse:
    """Show the admin audit log, newest first."""
    before = keyset.decode(request.query_params.get("before"))
    async with transaction(admin.runtime.sessions) as session:
        actor.record(session, "audit_read")  # first, so the reader sees their own read
        entries = await audit.recent(session, before=before, limit=PAGE_SIZE)
    more = (
        keyset.encode(entries[-1].occurred_at, entries[-1].id)
        if len(entries) == PAGE_SIZE
        else None
    )
    return admin.render(request, "audit.html", actor=actor.principal, entries=entries, more=more)
