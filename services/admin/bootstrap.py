"""Wiring of the admin service: its pages and API, its event consumer and its housekeeping.

Manage accounts with ``varsel admin``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Final

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from services.admin.adapters import accounts, audit_log, login_failures
from services.admin.adapters.tables import (
    AdminAuditEntry,
    AdminLoginFailures,
    AdminSession,
    AdminToken,
    AdminUser,
    CatalogueSource,
    CatalogueState,
    CatalogueTopic,
    PublisherToken,
)
from services.admin.domain.accounts import ENDED_SESSION_KEPT, LOGIN_FAILURES_KEPT
from services.admin.entrypoints import (
    api,
    bulletin_pages,
    catalogue_pages,
    consent_pages,
    desk_pages,
    editor_pages,
    erasure_pages,
    gone_pages,
    operations,
    preview_pages,
    publisher_api,
    publisher_pages,
    sign_in,
    topic_pages,
)
from services.admin.entrypoints.access import (
    Admin,
    FieldHoldsNull,
    FieldTooLong,
    LoginRequired,
    PageForbidden,
    build_pages,
    get_admin,
    login_url,
    signed_in_holder,
)
from shared.db import Base
from shared.events import RetentionApplied
from shared.housekeeping import run_retention
from shared.i18n.catalogues import Catalogues
from shared.runtime import Runtime
from shared.web.brand import mount_brand
from shared.web.csrf import CsrfGuard
from shared.web.pages import mount_static

CONSUMER = "admin"
# The words of the staff pages: locale/<language>/LC_MESSAGES/admin.po (``make messages``).
LOCALES = Path(__file__).resolve().parent / "locale"
DOMAIN: Final = "admin"
# The service's tables, registered with the composition root (varsel.schema).
TABLES: Final[tuple[type[Base], ...]] = (
    AdminUser,
    AdminSession,
    AdminToken,
    AdminAuditEntry,
    AdminLoginFailures,
    CatalogueTopic,
    CatalogueSource,
    CatalogueState,
    PublisherToken,
)
# Where the staff side answers: its pages and its API.
PATHS: Final = (sign_in.router.prefix, api.router.prefix)
# Paths whose bodies have a limit of their own: a pushed change at the limits of its fields.
BODY_LIMITS: Final = {publisher_api.CHANGES_PATH: publisher_api.CHANGE_BODY_BYTES}


async def _to_login(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    return RedirectResponse(login_url(exc.target, exc.language, exc.ended), status_code=303)


# Each refusal's page keeps the menu of whoever is signed in, as the page they came from had.
async def _forbidden(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PageForbidden)
    page: HTMLResponse = get_admin(request).render_refusal(
        request, "forbidden.html", 403, exc.principal, message="forbidden"
    )
    return page


async def _too_long(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, FieldTooLong)
    admin = get_admin(request)
    holder = await signed_in_holder(request, admin)
    page: HTMLResponse = admin.render_refusal(request, "too_long.html", 400, holder, refused=exc)
    return page


async def _holds_null(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, FieldHoldsNull)
    admin = get_admin(request)
    holder = await signed_in_holder(request, admin)
    page: HTMLResponse = admin.render_refusal(
        request, "forbidden.html", 400, holder, message="null_character"
    )
    return page


def install(app: FastAPI, runtime: Runtime) -> None:
    """Mount the admin pages and API on an app, and record retention runs in the audit log."""
    csrf = CsrfGuard(runtime.settings.secret_key, scope="admin")
    words = Catalogues.load(LOCALES, DOMAIN)
    app.state.admin = Admin(
        runtime=runtime,
        csrf=csrf,
        pages=build_pages(
            csrf,
            words,
            runtime.settings.site_name,
            runtime.settings.brand,
            runtime.settings.resolved_admin_url,
        ),
        words=words,
    )
    # The public pages answer a browser's unknown path where they run too; here alone, the admin.
    if getattr(app.state, "error_pages", None) is None:
        app.state.error_pages = app.state.admin
    # Under /admin, staff meet the staff side's own page (its layout, its words), not the
    # public one with its advice about a link in an email.
    app.state.error_pages_under = {
        **getattr(app.state, "error_pages_under", {}),
        "/admin": app.state.admin,
    }
    app.add_exception_handler(LoginRequired, _to_login)
    app.add_exception_handler(PageForbidden, _forbidden)
    app.add_exception_handler(FieldTooLong, _too_long)
    app.add_exception_handler(FieldHoldsNull, _holds_null)
    app.include_router(sign_in.router)
    app.include_router(consent_pages.router)
    app.include_router(erasure_pages.router)
    app.include_router(operations.router)
    app.include_router(catalogue_pages.router)
    app.include_router(topic_pages.router)
    app.include_router(editor_pages.router)
    app.include_router(desk_pages.router)
    app.include_router(gone_pages.router)
    app.include_router(preview_pages.router)
    app.include_router(bulletin_pages.router)
    app.include_router(api.router)
    app.include_router(publisher_api.router)
    app.include_router(publisher_pages.router)
    mount_static(app)
    # The admin may run alone (`varsel run admin`): it serves the organisation's look itself.
    mount_brand(app, runtime.settings)
    runtime.bus.subscribe(CONSUMER, RetentionApplied, retention_applied)


async def retention_applied(event: RetentionApplied, session: AsyncSession) -> None:
    """Write a service's retention run to the audit log: who ran it and how many rows went."""
    audit_log.record(
        session,
        actor=event.actor,
        action="retention_run",
        client="scheduler" if event.trigger == "schedule" else "cli",
        now=event.occurred_at,
        target=event.service,
        details=dict(event.removed),
    )


async def housekeeping(runtime: Runtime) -> dict[str, int]:
    """Delete expired admin sessions, stale failed sign-ins and audit entries past their period
    (the admin process's hourly job)."""
    keep = timedelta(days=runtime.settings.audit_retention_days)

    async def purge(session: AsyncSession, now: datetime) -> dict[str, int]:
        # Failed sign-ins go once their clients have stopped failing.
        return {
            "admin_sessions": await accounts.purge_expired_sessions(
                session, now - ENDED_SESSION_KEPT
            ),
            "admin_login_failures": await login_failures.purge_stale(
                session, now - LOGIN_FAILURES_KEPT
            ),
            "audit_entries": await audit_log.purge_older(session, now - keep),
        }

    return await run_retention(runtime, "admin", purge)
