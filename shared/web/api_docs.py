"""The API documentation page (/docs): Swagger UI served from the installed package, no CDN.

FastAPI's own page loads Swagger UI from a CDN and starts it with an inline script, which a
strict Content-Security-Policy forbids. Here the assets come from ``fastapi-offline`` (which
vendors Swagger UI), the start-up script is a file of ours, and the page carries the same
security headers as every other page: nothing on it comes from another host.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Final

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse

from shared.web.conditional import ConditionalStaticFiles
from shared.web.headers import protect

DOCS: Final = "/docs"
_SWAGGER_UI = Path(str(files("fastapi_offline") / "static"))
_START = Path(__file__).resolve().parent / "static" / "api-docs.js"

_PAGE: Final = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>varsel API</title>
<link rel="stylesheet" href="{docs}/swagger-ui/swagger-ui.css">
<script src="{docs}/swagger-ui/swagger-ui-bundle.js" defer></script>
<script src="{docs}/start.js" defer></script>
</head>
<body>
<main id="swagger-ui" data-openapi="{openapi}"><h1>varsel API</h1>
<p>The interactive documentation needs JavaScript; the schema itself is at
<a href="{openapi}">{openapi}</a>.</p></main>
</body>
</html>
"""


def install_api_docs(app: FastAPI) -> None:
    """Serve the API documentation page and its assets from this host."""
    # The app is made with docs_url=None and redoc_url=None, so FastAPI's CDN pages are absent.
    assert app.openapi_url is not None and app.docs_url is None and app.redoc_url is None
    page = _PAGE.format(docs=DOCS, openapi=app.openapi_url)

    @app.get(DOCS, include_in_schema=False)
    async def api_docs() -> HTMLResponse:
        response = HTMLResponse(page)
        protect(response)
        return response

    @app.get(f"{DOCS}/start.js", include_in_schema=False)
    async def api_docs_start() -> FileResponse:
        return FileResponse(_START, media_type="text/javascript")

    app.mount(
        f"{DOCS}/swagger-ui", ConditionalStaticFiles(directory=_SWAGGER_UI), name="swagger-ui"
    )
