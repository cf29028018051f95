"""What every request passes before it reaches a route, the same for every web-facing service.

From the outside in: its request id; the security headers on every answer; HEAD answered as GET
without the body; its real client (from forwarded headers only when the peer is a trusted
proxy); HSTS in production; the body limit. Validation errors answer with short excerpts; an
unknown path, a wrong method or a body too large answers a browser with a page (errors.py);
and the API documentation is served from this host.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from shared.settings import Settings
from shared.web.api_docs import install_api_docs
from shared.web.body_limit import BodyLimitMiddleware
from shared.web.errors import database_unreachable, http_error
from shared.web.head_requests import HeadAsGetMiddleware
from shared.web.headers import SecurityHeadersMiddleware, StrictTransportMiddleware
from shared.web.request_ids import RequestIdMiddleware
from shared.web.validation import validation_problem


def install_edge(
    app: FastAPI,
    settings: Settings,
    *,
    staff_paths: Collection[str] = (),
    body_limits: Mapping[str, int] | None = None,
) -> None:
    """Add the middleware, error answers and API docs every web-facing app shares.

    Call it last: middleware added later wraps what came before, and the request id must be
    outermost so that every line logged while a request is handled carries it. Paths under
    ``staff_paths`` take bodies up to the staff limit; a path in ``body_limits`` up to its own
    limit (or the public one, if that is larger); everything else the public one.
    """
    own = {path: max(limit, settings.max_body_bytes) for path, limit in (body_limits or {}).items()}
    app.add_exception_handler(RequestValidationError, validation_problem)
    app.add_exception_handler(HTTPException, http_error)
    for unreachable in (ConnectionError, DBAPIError):
        app.add_exception_handler(unreachable, database_unreachable)
    install_api_docs(app)
    app.add_middleware(
        BodyLimitMiddleware,
        limit=settings.max_body_bytes,
        larger={**{path: settings.max_staff_body_bytes for path in staff_paths}, **own},
    )
    if settings.environment == "production":
        app.add_middleware(StrictTransportMiddleware)
    if settings.trusted_proxies:
        # uvicorn's own middleware, with uvicorn's semantics: the client is the first address in
        # X-Forwarded-For, read from the right, that is not a trusted proxy. The server itself
        # is started with proxy_headers=False, so nothing else believes those headers.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(settings.trusted_proxies))
    app.add_middleware(HeadAsGetMiddleware)
    # Outside the body limit and the error answers, so their answers get the headers too.
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(RequestIdMiddleware)
