"""What every answer carries at the edge: HSTS in production, and API docs served from here.

The app runs in process over ASGI on SQLite (the subscriptions harness); the API documentation
page must load Swagger UI from this host under the same Content-Security-Policy as every page.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.integration.subscriptions.harness import TOPIC, running
from tests.support.databases import migrated_sqlite


def sqlite(folder: Path) -> str:
    return migrated_sqlite(folder / "varsel.db")


PATHS = [
    "/healthz",
    f"/subscribe/{TOPIC}",
    "/api/v1/topics",
    "/docs",
    "/static/varsel.css",
    "/nope",
]


async def test_hsts_is_sent_on_every_answer_in_production(tmp_path: Path) -> None:
    async with running(
        sqlite(tmp_path), tmp_path, environment="production", base_url="https://varsel.example.no"
    ) as h:
        for path in PATHS:
            answer = await h.client.get(path)
            assert answer.headers["strict-transport-security"] == (
                "max-age=31536000; includeSubDomains"
            ), path


async def test_no_hsts_in_development(tmp_path: Path) -> None:
    async with running(sqlite(tmp_path), tmp_path) as h:
        for path in PATHS:
            assert "strict-transport-security" not in (await h.client.get(path)).headers, path


async def test_api_docs_come_from_this_host_under_the_pages_policy(tmp_path: Path) -> None:
    async with running(sqlite(tmp_path), tmp_path) as h:
        docs = await h.client.get("/docs")
        page = await h.client.get(f"/subscribe/{TOPIC}")
        assert docs.status_code == 200
        for header in ("content-security-policy", "x-frame-options", "referrer-policy"):
            assert docs.headers[header] == page.headers[header], header
        assert "<script>" not in docs.text, "an inline script, which the policy forbids"
        assets = re.findall(r'(?:src|href)="([^"]+)"', docs.text)
        assert len(assets) >= 3
        for asset in assets:
            assert asset.startswith("/"), f"{asset} is not on this host"
            answer = await h.client.get(asset)
            assert answer.status_code == 200, asset
        assert "SwaggerUIBundle" in (await h.client.get("/docs/start.js")).text
        assert (await h.client.get("/redoc")).status_code == 404
        assert (await h.client.get("/openapi.json")).json()["paths"]


async def test_head_answers_as_get_does_without_a_body(tmp_path: Path) -> None:
    # RFC 9110 requires HEAD wherever GET is answered; uptime monitors and link checkers use it
    # and took a 405 for a site that is down.
    async with running(sqlite(tmp_path), tmp_path) as h:
        for path in PATHS:
            got = await h.client.get(path)
            head = await h.client.head(path)
            assert head.status_code == got.status_code, path
            assert head.content == b"", path
            assert head.headers["content-type"] == got.headers["content-type"], path
            assert head.headers["content-length"] == got.headers["content-length"], path
        # Only a GET route is answered: a route that takes only POST still refuses HEAD.
        assert (await h.client.head("/api/v1/subscriptions")).status_code == 405
