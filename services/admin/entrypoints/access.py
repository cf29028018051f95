"""Who may use an admin route: session cookies for pages, bearer tokens for the API, and roles.

Every guarded route depends on a ``RoleGuard``; the tests find the guards on the routes, so a
new route without one fails them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Final
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession

from services.admin import authentication
from services.admin.adapters import audit_log
from services.admin.domain.accounts import Access, Principal
from services.admin.entrypoints.action_wording import (
    AUDIT_ACTIONS,
    FREQUENCIES,
    LANGUAGE_NAMES,
    LEDGER_ACTIONS,
    LEDGER_CHANNELS,
)
from services.admin.entrypoints.failure_wording import FAILURES
from services.admin.entrypoints.form_origins import sent_from_here
from services.admin.entrypoints.problem_wording import TROUBLES
from services.admin.entrypoints.wording import MESSAGES
from shared.brand import Brand
from shared.db import transaction
from shared.i18n.catalogues import Catalogues
from shared.i18n.negotiation import language_of_tag
from shared.runtime import Runtime
from shared.unreachable import is_database_unreachable
from shared.vocabulary import DEFAULT_LANGUAGE, Language
from shared.web.csrf import FIELD as CSRF_FIELD
from shared.web.csrf import CsrfGuard
from shared.web.forms import read_form
from shared.web.pages import PageRenderer, page_templates

SESSION_COOKIE = "varsel_admin"
# Not the public pages' CSRF cookie name: after a visit to a public page on the same host the
# browser would send both cookies to /admin, and the public one would win.
CSRF_COOKIE = "varsel_admin_csrf"
MAX_FIELD = 1000
# The forms' password fields: the sign-in's, and the password page's three.
SECRET_FIELDS: Final = frozenset({"password", "current", "new", "again"})
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

log = logging.getLogger(__name__)


class LoginRequired(Exception):
    """A page was asked for without a signed-in session."""

    def __init__(
        self, target: str, language: Language = DEFAULT_LANGUAGE, ended: str | None = None
    ) -> None:
        super().__init__(target)
        self.target = target
        self.language = language
        self.ended = ended  # "idle" or "expired": the browser's session ended, and why


class FieldTooLong(Exception):
    """A posted field is longer than its limit: the form is refused whole, never cut short."""

    def __init__(self, field: str, limit: int, text: str) -> None:
        super().__init__(field)
        self.field = field
        self.limit = limit
        self.length = len(text)
        # Shown back on the refusal page, so the staff member can copy and shorten it; never
        # a password, which the page would show in the clear (and a browser might keep).
        self.secret = field in SECRET_FIELDS
        self.text = "" if self.secret else text


class FieldHoldsNull(Exception):
    """A posted field holds a NUL character, which no database text column keeps (PostgreSQL
    refuses it): the form is refused whole with a 400 that says so."""


class PageForbidden(Exception):
    """A signed-in admin lacks the role a page needs."""

    def __init__(self, principal: Principal) -> None:
        super().__init__(principal.name)
        # Who was refused: the refusal's page shows them their menu, as every page does.
        self.principal = principal


def client_of(request: Request) -> str:
    """Return the client address recorded in the audit log and counted by login limits."""
    return request.client.host if request.client else "unknown"


def idle_timeout(admin: Admin) -> timedelta:
    """Return how long a browser session lasts without use (VARSEL_ADMIN_IDLE_MINUTES)."""
    return timedelta(minutes=admin.runtime.settings.admin_idle_minutes)


def language_of(request: Request) -> Language:
    """Return the page language: the one ``?lang=`` names, else bokmål."""
    return language_of_tag(request.query_params.get("lang")) or DEFAULT_LANGUAGE


_ERROR_MESSAGES: Final = {
    400: "unreadable_form",
    404: "page_not_found",
    405: "wrong_method",
    413: "body_too_large",
    503: "database_unreachable",
}


@dataclass(frozen=True, slots=True)
class Admin:
    """What the admin routes need, built once in ``bootstrap.install``."""

    runtime: Runtime
    csrf: CsrfGuard
    pages: PageRenderer
    words: Catalogues

    async def render_error(self, request: Request, status_code: int) -> HTMLResponse:
        """Render the page of an unknown path, a wrong method, a form that cannot be read, a
        body too large or a database out of reach under /admin (shared/web/errors.py), with
        the menu of whoever is signed in.

        A 503 says the database cannot be reached: it is not asked who is signed in, which
        would only wait for it, and the page has no menu.
        """
        message = _ERROR_MESSAGES.get(status_code, "page_not_found")
        holder = None if status_code == 503 else await signed_in_holder(request, self)
        return self.render_refusal(request, "forbidden.html", status_code, holder, message=message)

    def render_refusal(
        self,
        request: Request,
        template: str,
        status_code: int,
        holder: Principal | None,
        **context: Any,
    ) -> HTMLResponse:
        """Render a page no guard admitted (an error, a refusal) with the menu of ``holder``,
        the admin signed in, as every other page has it; without one, none."""
        if holder is not None:
            context["actor"] = holder
        return self.render(request, template, status_code=status_code, **context)

    def render(
        self, request: Request, template: str, *, status_code: int = 200, **context: Any
    ) -> HTMLResponse:
        """Render an admin page with texts, CSRF token and strict headers."""
        language = language_of(request)

        def u(path: str) -> str:
            # Keep the chosen language across links.
            if language == DEFAULT_LANGUAGE:
                return path
            return f"{path}{'&' if '?' in path else '?'}lang={language}"

        return self.pages.render(
            request, template, language, status_code=status_code, u=u, **context
        )


def build_pages(
    csrf: CsrfGuard, words: Catalogues, site: str, brand: Brand, served_at: str
) -> PageRenderer:
    """Build the admin page renderer: its templates, the organisation's look, and a CSRF
    cookie kept to /admin (Secure when ``served_at``, the admin's address, is https)."""
    return PageRenderer(
        page_templates(TEMPLATES, words),
        csrf,
        context={
            "csrf_field": CSRF_FIELD,
            "messages": MESSAGES,
            "ledger_actions": LEDGER_ACTIONS,
            "ledger_channels": LEDGER_CHANNELS,
            "frequencies": FREQUENCIES,
            "language_names": LANGUAGE_NAMES,
            "audit_actions": AUDIT_ACTIONS,
            "failures": FAILURES,
            "troubles": TROUBLES,
            "site": site,
            "brand": brand,
        },
        cookie_name=CSRF_COOKIE,
        cookie_path="/admin",
        same_site="strict",
        served_at=served_at,
        session_cookie=SESSION_COOKIE,
    )


def get_admin(request: Request) -> Admin:
    """Return the admin context from the app state."""
    admin: Admin = request.app.state.admin
    return admin


async def signed_in_holder(request: Request, admin: Admin) -> Principal | None:
    """Return the admin the request's session cookie signs in, for the menu of a page rendered
    outside a route's guard (an error page, a form refused whole); None if nobody is, or if it
    cannot be told just now.

    The session is found as ``RoleGuard`` finds it, but only read: an error page does not count
    as use, so it neither moves the session's end nor writes anything. Nor does it fail harder
    than the error it shows: a database that cannot answer leaves the page without a menu.
    """
    cookie = request.cookies.get(SESSION_COOKIE, "")
    if not cookie:
        return None  # signed out: the database is not asked
    try:
        async with admin.runtime.sessions() as session:
            return await authentication.session_holder(session, cookie, admin.runtime.clock.now())
    except Exception as exc:
        if not is_database_unreachable(exc):
            log.exception("admin: an error page could not tell who is signed in")
            return None
        log.warning("admin: an error page left out who is signed in (%s)", type(exc).__name__)
        return None


async def admin_of(request: Request) -> Admin:
    """Return the admin context, as a dependency."""
    # A coroutine, so FastAPI calls it on the event loop: a plain function it would hand to a
    # worker thread on every request.
    return get_admin(request)


@dataclass(frozen=True, slots=True)
class Actor:
    """A signed-in admin making one request; records what they do in the audit log."""

    principal: Principal
    client: str
    admin: Admin

    def record(
        self,
        session: AsyncSession,
        action: str,
        target: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Append this request's action to the audit log, in the caller's transaction."""
        audit_log.record(
            session,
            actor=self.principal.name,
            action=action,
            client=self.client,
            now=self.admin.runtime.clock.now(),
            target=target,
            details=details,
        )


async def _token_principal(request: Request, admin: Admin) -> Principal | None:
    """Return the account of the request's bearer token, None without a live one.

    Kept on the request: an API route asks before it reads its input and again as its
    dependency (guard_first.py), and the second time needs no database.
    """
    kept: tuple[Principal | None] | None = getattr(request.state, "token_principal", None)
    if kept is not None:
        return kept[0]
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    async with admin.runtime.sessions() as session:
        principal = (
            await authentication.token_principal(session, token.strip())
            if scheme.lower() == "bearer"
            else None
        )
    request.state.token_principal = (principal,)
    return principal


class RoleGuard:
    """Dependency that admits a signed-in admin whose role grants ``role``.

    Pages and the API differ in how the admin is recognised.
    """

    def __init__(self, role: Access, *, page: bool) -> None:
        self.role = role
        self.page = page

    async def __call__(self, request: Request) -> Actor:
        admin = get_admin(request)
        now = admin.runtime.clock.now()
        ended = None
        if self.page:
            # A transaction: a page opened moves the end of its session (now and then).
            async with transaction(admin.runtime.sessions) as session:
                cookie = request.cookies.get(SESSION_COOKIE, "")
                check = await authentication.session_principal(
                    session, cookie, now, idle_timeout(admin)
                )
            principal, ended = check.principal, check.ended
        else:
            principal = await _token_principal(request, admin)
        if principal is None:
            if self.page:
                # The query too, so the chosen language and filters survive signing in.
                query = request.url.query
                target = f"{request.url.path}?{query}" if query else request.url.path
                raise LoginRequired(target, language_of(request), ended)
            raise HTTPException(
                401, "authentication required", headers={"WWW-Authenticate": "Bearer"}
            )
        actor = Actor(principal, client_of(request), admin)
        if not principal.may(self.role):
            async with transaction(admin.runtime.sessions) as session:
                actor.record(
                    session, "access_denied", target=f"{request.method} {request.url.path}"
                )
            if self.page:
                raise PageForbidden(principal)
            raise HTTPException(403, f"this needs the {self.role} role")
        return actor


SignedInPage = Annotated[Actor, Depends(RoleGuard("signed_in", page=True))]
AuditorPage = Annotated[Actor, Depends(RoleGuard("auditor", page=True))]
EditorPage = Annotated[Actor, Depends(RoleGuard("editor", page=True))]
DpoPage = Annotated[Actor, Depends(RoleGuard("dpo", page=True))]
OperatorPage = Annotated[Actor, Depends(RoleGuard("operator", page=True))]
AuditorApi = Annotated[Actor, Depends(RoleGuard("auditor", page=False))]
OperatorApi = Annotated[Actor, Depends(RoleGuard("operator", page=False))]
AdminDep = Annotated[Admin, Depends(admin_of)]


def login_url(target: str, language: Language = DEFAULT_LANGUAGE, ended: str | None = None) -> str:
    """Return the login page, in a language, that comes back to ``target`` afterwards and,
    for a session that ended (``ended``: "idle" or "expired"), says why."""
    url = f"/admin/login?next={quote(target, safe='/')}"
    if ended is not None:
        url = f"{url}&ended={ended}"
    return url if language == DEFAULT_LANGUAGE else f"{url}&lang={language}"


def form_is_ours(request: Request, admin: Admin, token: str | None) -> bool:
    """Tell whether a posted staff form came from one of the admin's own pages.

    Its token must match the browser's CSRF cookie and its sign-in session (CsrfGuard), and a
    browser that names the page it was sent from (``Origin``) must name one of the admin's
    own: a page on a sibling subdomain that set the cookie is refused on both counts.
    """
    session = admin.pages.session_of(request)
    if not admin.csrf.valid(request.cookies.get(CSRF_COOKIE), token, session):
        return False
    return sent_from_here(request, admin.runtime.settings)


async def posted_form(
    request: Request, admin: Admin, limits: Mapping[str, int] | None = None
) -> dict[str, str] | None:
    """Return the posted fields if the CSRF token matches; None otherwise.

    A field may hold ``MAX_FIELD`` characters, or what ``limits`` allows it; a longer one raises
    ``FieldTooLong`` (a 400 naming the field and its limit), so nothing is silently cut short.
    """
    form = await read_form(request)
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    if not form_is_ours(request, admin, fields.get(CSRF_FIELD)):
        return None
    allowed = limits or {}
    for name, value in form.multi_items():
        limit = allowed.get(name, MAX_FIELD)
        if isinstance(value, str) and len(value) > limit:
            raise FieldTooLong(name, limit, value)
        if isinstance(value, str) and "\x00" in value:
            raise FieldHoldsNull(name)
    return fields
