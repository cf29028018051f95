"""The security headers every HTML page carries, and HSTS on every answer in production."""

from __future__ import annotations

from typing import Final

from starlette.datastructures import MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Tokens travel in URLs, so no page may leak its address to another site; nothing third-party loads.
_HEADERS: Final = {
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
_CSP: Final = (
    "default-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors {}"
)


def protect(response: Response, *, framed_by: str | None = None) -> None:
    """Set the page headers: no referrer, no sniffing, no caching, a strict CSP and no framing.

    Only an embedded page (the sign-up form a publisher puts in an iframe) may be framed, and
    only by ``framed_by``: the origin of the publisher's page, checked against the operator's
    list before it gets here (or ``*`` for a page that holds nothing but a refusal).
    """
    for name, value in _HEADERS.items():
        response.headers[name] = value
    response.headers["Content-Security-Policy"] = _CSP.format(framed_by or "'none'")
    if framed_by is None:
        response.headers["X-Frame-Options"] = "DENY"


# A year, the least that browsers' HSTS preload lists accept; subdomains of varsel's own host too.
HSTS: Final = "max-age=31536000; includeSubDomains"


class StrictTransportMiddleware:
    """Tell browsers to reach this host over https only (HSTS), on every answer.

    Added only in production, where the base URL must be https: a development server on plain
    http would otherwise teach a browser that localhost speaks only https.
    """

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return

        async def with_hsts(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["Strict-Transport-Security"] = HSTS
            await send(message)

        await self._app(scope, receive, with_hsts)
