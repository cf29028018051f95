"""Errors no route answers itself (an unknown path, a wrong method, a form that cannot be read, a
body too large): a page for a person's browser, JSON for the API and its clients as before.

Someone whose link lost its end in a mail program lands on such an error: a page in their
language tells them what happened and where to go, not ``{"detail":"Not Found"}``. The service
that serves the public pages renders it (``app.state.error_pages``); a process without them
answers JSON.
"""

from __future__ import annotations

from typing import Final, Protocol

from fastapi.exception_handlers import http_exception_handler
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

# The errors a person meets by following a cut link or an old form; a route's own refusals
# (401, 403, 422, ...) are answered by the route, each as its page or API says. A 400 is the
# framework's, when it cannot read a posted form (more than 1,000 fields, a broken multipart
# body): no page route raises one itself.
PAGE_ERRORS: Final = frozenset({400, 404, 405, 413})


class ErrorPages(Protocol):
    """Renders the page of an error status in the request's language."""

    def render_error(self, request: Request, status_code: int) -> Response:
        """Return the page."""


def wants_page(request: Request) -> bool:
    """Tell whether the request is a browser's asking for a page, not the API's."""
    path = request.url.path
    if path.startswith("/api/") or path == "/api":
        return False
    return "text/html" in request.headers.get("accept", "")


def error_response(request: Request, exc: HTTPException) -> Response | None:
    """Return the error's page if the request wants one and a service renders them, else None."""
    pages: ErrorPages | None = getattr(request.app.state, "error_pages", None)
    if pages is None or exc.status_code not in PAGE_ERRORS or not wants_page(request):
        return None
    response = pages.render_error(request, exc.status_code)
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value  # Allow of a 405, Connection: close of a 413
    return response


async def http_error(request: Request, exc: Exception) -> Response:
    """Answer an HTTP error with its page (``error_response``) or FastAPI's JSON."""
    assert isinstance(exc, HTTPException)
    page = error_response(request, exc)
    return page if page is not None else await http_exception_handler(request, exc)
