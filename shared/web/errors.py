"""Errors no route answers itself (an unknown path, a wrong method, a form that cannot be read, a
body too large): a page for a person's browser, JSON for the API and its clients as before.

Someone whose link lost its end in a mail program lands on such an error: a page in their
language tells them what happened and where to go, not ``{"detail":"Not Found"}``. The service
that serves the public pages renders it (``app.state.error_pages``); a process without them
answers JSON.
"""

from __future__ import annotations

import logging
from typing import Final, Protocol

from fastapi.exception_handlers import http_exception_handler
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Mount

from shared.unreachable import is_database_unreachable

# The errors a person meets by following a cut link or an old form; a route's own refusals
# (401, 403, 422, ...) are answered by the route, each as its page or API says. A 400 is the
# framework's, when it cannot read a posted form (more than 1,000 fields, a broken multipart
# body): no page route raises one itself.
# A 503 is the answer while the database cannot be reached (a restart, a failover).
PAGE_ERRORS: Final = frozenset({400, 404, 405, 413, 503})
# How long a client is asked to wait before trying again while the database is away.
RETRY_AFTER_SECONDS: Final = 30


class ErrorPages(Protocol):
    """Renders the page of an error status in the request's language."""

    async def render_error(self, request: Request, status_code: int) -> Response:
        """Return the page."""


def wants_page(request: Request) -> bool:
    """Tell whether the request is a browser's asking for a page, not the API's."""
    path = request.url.path
    if path.startswith("/api/") or path == "/api":
        return False
    return "text/html" in request.headers.get("accept", "")


def _pages_for(request: Request) -> ErrorPages | None:
    """Return who renders the request's error page: the service whose paths it is under
    (``app.state.error_pages_under``, such as the staff side's /admin), else the public pages."""
    path = request.url.path
    under: dict[str, ErrorPages] = getattr(request.app.state, "error_pages_under", {})
    for prefix, owner in under.items():
        if path == prefix or path.startswith(f"{prefix}/"):
            return owner
    pages: ErrorPages | None = getattr(request.app.state, "error_pages", None)
    return pages


async def error_response(request: Request, exc: HTTPException) -> Response | None:
    """Return the error's page if the request wants one and a service renders them, else None."""
    pages = _pages_for(request)
    if pages is None or exc.status_code not in PAGE_ERRORS or not wants_page(request):
        return None
    response = await pages.render_error(request, exc.status_code)
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value  # Allow of a 405, Connection: close of a 413
    return response


log = logging.getLogger(__name__)


async def database_unreachable(request: Request, exc: Exception) -> Response:
    """Answer 503 with Retry-After while the database cannot be reached; re-raise any other."""
    # Before, a person got "Internal Server Error" in English and an API client a 500, which
    # says the request is at fault and is not to be repeated.
    if not is_database_unreachable(exc):
        raise exc
    log.warning("http: the database cannot be reached (%s); answered 503", type(exc).__name__)
    unavailable = HTTPException(
        503,
        detail="the service cannot reach its database; try again in a minute",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )
    return await http_error(request, unavailable)


def allowed_methods(request: Request) -> str:
    """Return the Allow header of a 405: every method some route serves at the request's path.

    Starlette's names only the first route whose path matched: ``GET`` where a form's page is
    one route and its POST another, though RFC 9110 (15.5.6) wants every method listed. Each
    method is asked of the routes as a request with it would be, through their public
    ``matches`` (FastAPI nests included routers as routes of their own). HEAD is served
    wherever GET is (head_requests).
    """
    methods = [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL
            for route in request.app.router.routes
            if not isinstance(route, Mount)  # an app of its own (/static), which says its own
        )
    ]
    if "GET" in methods:
        methods.append("HEAD")
    return ", ".join(sorted(methods))


# The methods a route of varsel may serve (HEAD follows GET; OPTIONS is served by none).
_METHODS: Final = ("GET", "POST", "PUT", "PATCH", "DELETE")


async def http_error(request: Request, exc: Exception) -> Response:
    """Answer an HTTP error with its page (``error_response``) or FastAPI's JSON."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405 and (allowed := allowed_methods(request)):
        exc = HTTPException(
            405, detail=exc.detail, headers={**(exc.headers or {}), "Allow": allowed}
        )
    page = await error_response(request, exc)
    return page if page is not None else await http_exception_handler(request, exc)
