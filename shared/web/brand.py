"""Serving the organisation's look: the accent stylesheet and the logo, from varsel itself.

Pages and mails name these under ``/brand``; nothing is loaded from a third-party host. The
files are read once at start-up (the settings have already checked them).
"""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter, FastAPI, Request, Response

from shared.brand import LOGO_TYPES
from shared.settings import Settings
from shared.web.conditional import etag_of, not_modified

# The logo and colours change only with a restart; an hour's caching is plenty.
CACHE_CONTROL: Final = "public, max-age=3600"
_ROUTE_NAME: Final = "brand_stylesheet"


def _answer(request: Request, body: bytes, media_type: str) -> Response:
    etag = etag_of(body)
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL, "X-Content-Type-Options": "nosniff"}
    if not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    if media_type == "image/svg+xml":
        # An SVG opened on its own is a document: it may run or load nothing.
        headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return Response(body, media_type=media_type, headers=headers)


def mount_brand(app: FastAPI, settings: Settings) -> None:
    """Serve /brand/brand.css and, if one is set, /brand/logo.svg or .png; once per app."""
    if any(getattr(route, "name", None) == _ROUTE_NAME for route in app.routes):
        return
    router = APIRouter()
    stylesheet = settings.brand.stylesheet().encode()

    @router.get("/brand/brand.css", name=_ROUTE_NAME, include_in_schema=False)
    async def brand_stylesheet(request: Request) -> Response:
        return _answer(request, stylesheet, "text/css; charset=utf-8")

    if settings.logo is not None:
        suffix = settings.logo.suffix.lower()
        logo, media_type = settings.logo.read_bytes(), LOGO_TYPES[suffix]

        @router.get(f"/brand/logo{suffix}", include_in_schema=False)
        async def brand_logo(request: Request) -> Response:
            return _answer(request, logo, media_type)

    app.include_router(router)
