"""The security headers every HTML page carries."""

from __future__ import annotations

from typing import Final

from starlette.responses import Response

# Tokens travel in URLs, so no page may leak its address to another site; nothing third-party loads.
_HEADERS: Final = {
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
_CSP: Final = (
    "default-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors {}"
)


def protect(response: Response, *, embeddable: bool = False) -> None:
    """Set the page headers: no referrer, no sniffing, no caching, a strict CSP and no framing.

    Only an ``embeddable`` page (the sign-up form a publisher puts in an iframe) may be framed.
    """
    for name, value in _HEADERS.items():
        response.headers[name] = value
    response.headers["Content-Security-Policy"] = _CSP.format("*" if embeddable else "'none'")
    if not embeddable:
        response.headers["X-Frame-Options"] = "DENY"
