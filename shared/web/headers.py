"""The security headers every HTML page carries, and HSTS on every answer in production."""

from __future__ import annotations

from typing import Final

from starlette.datastructures import Headers, MutableHeaders
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
# The stylesheet and scripts may be kept, but are asked about again (their ETag) each time.
_STATIC: Final = "/static/"


class _AmendHeaders:
    """An ASGI middleware that amends the headers of every HTTP answer as it starts."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return

        async def amended(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.amend(MutableHeaders(scope=message), scope)
            await send(message)

        await self._app(scope, receive, amended)

    def amend(self, headers: MutableHeaders, scope: Scope) -> None:
        """Change an answer's headers."""
        raise NotImplementedError


class StrictTransportMiddleware(_AmendHeaders):
    """Tell browsers to reach this host over https only (HSTS), on every answer.

    Added only in production, where the base URL must be https: a development server on plain
    http would otherwise teach a browser that localhost speaks only https.
    """

    def amend(self, headers: MutableHeaders, scope: Scope) -> None:
        headers["Strict-Transport-Security"] = HSTS


class SecurityHeadersMiddleware(_AmendHeaders):
    """Give every answer the page headers that it did not set itself, and keep redirects on
    this site.

    ``protect`` sets them on pages; answers no page renders (Starlette's 404 and 405, a 413 of
    the body limit, JSON, redirects) would otherwise go without. A header an answer set wins:
    a feed's caching, an embedded form's framing (its CSP names who may frame it, so it gets
    no X-Frame-Options either).

    A redirect to this request's own scheme and Host (Starlette's added or removed slash builds
    one from the Host header, which anyone can send) is made relative, so it cannot send the
    browser to another host; behind a proxy a relative one is right whatever the proxy's name.
    """

    def amend(self, headers: MutableHeaders, scope: Scope) -> None:
        for name, value in _HEADERS.items():
            headers.setdefault(name, value)
        if scope["path"].startswith(_STATIC):
            headers["Cache-Control"] = "no-cache"
        if "content-security-policy" not in headers:
            headers["Content-Security-Policy"] = _CSP.format("'none'")
            headers.setdefault("X-Frame-Options", "DENY")
        location = headers.get("location")
        if location is not None:
            headers["Location"] = _on_this_site(location, scope)


def _on_this_site(location: str, scope: Scope) -> str:
    """Return a Location that names this request's own origin as a path; any other unchanged."""
    host = Headers(scope=scope).get("host", "")
    origin = f"{scope.get('scheme', 'http')}://{host}"
    if host and location.startswith(origin) and location[len(origin) : len(origin) + 1] in "/?":
        rest = location[len(origin) :]
        return rest if rest.startswith("/") else f"/{rest}"
    return location
