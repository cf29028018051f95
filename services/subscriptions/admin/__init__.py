"""The admin area: consent audit, exports, per-topic numbers and operations, behind sign-in.

Install it on an app with ``install(app, runtime)``; manage accounts with ``varsel admin``.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.subscriptions.admin import api, operations, pages
from services.subscriptions.admin.access import (
    Admin,
    LoginRequired,
    PageForbidden,
    build_pages,
    get_admin,
    login_url,
)
from services.subscriptions.admin.tables import (
    AdminAuditEntry,
    AdminSession,
    AdminToken,
    AdminUser,
)
from shared.runtime import Runtime
from shared.web.csrf import CsrfGuard

__all__ = ["AdminAuditEntry", "AdminSession", "AdminToken", "AdminUser", "install"]


async def _to_login(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    return RedirectResponse(login_url(exc.target, exc.language), status_code=303)


async def _forbidden(request: Request, exc: Exception) -> Response:
    page: HTMLResponse = get_admin(request).render(
        request, "forbidden.html", status_code=403, message="forbidden"
    )
    return page


def install(app: FastAPI, runtime: Runtime) -> None:
    """Mount the admin pages and API on an app (the subscriptions service must be installed)."""
    csrf = CsrfGuard(runtime.settings.secret_key)
    app.state.admin = Admin(runtime=runtime, csrf=csrf, pages=build_pages(csrf))
    app.add_exception_handler(LoginRequired, _to_login)
    app.add_exception_handler(PageForbidden, _forbidden)
    app.include_router(pages.router)
    app.include_router(operations.router)
    app.include_router(api.router)
