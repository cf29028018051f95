"""The publisher API reads a change only from a body that says it is JSON.

Before, a push sent as text/plain, as a form or with no Content-Type at all was read as JSON
anyway, where the public API answers 415: a CMS that one day sends its body another way would
be taken in by one and refused by the other. Real SQLite; the app over ASGI.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from shared.web.validation import NOT_JSON
from tests.integration.admin.harness import Harness, running
from tests.integration.admin.publisher_support import CHANGE, bearer, changes_sent, publisher_token


async def pushed_as(h: Harness, content_type: str | None) -> httpx.Response:
    """Push the change as JSON text, saying it is of ``content_type`` (or saying nothing)."""
    headers = bearer(await publisher_token(h))
    if content_type is not None:
        headers["Content-Type"] = content_type
    async with h.client() as client:
        return await client.post(
            "/api/v1/changes", content=json.dumps(CHANGE).encode(), headers=headers
        )


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "text/plain; charset=utf-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/jsonx",
        None,
    ],
)
async def test_a_body_that_does_not_say_it_is_json_is_a_415_with_the_reason(
    sqlite_url: str, tmp_path: Path, content_type: str | None
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        answer = await pushed_as(h, content_type)
        assert answer.status_code == 415, answer.text
        assert answer.json() == {"detail": NOT_JSON}
        assert await changes_sent(h) == []


@pytest.mark.parametrize(
    "content_type", ["application/json; charset=utf-8", "APPLICATION/JSON", "application/cms+json"]
)
async def test_json_by_any_of_its_names_is_taken_in(
    sqlite_url: str, tmp_path: Path, content_type: str
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        answer = await pushed_as(h, content_type)
        assert answer.status_code == 202, answer.text
        assert len(await changes_sent(h)) == 1


async def test_the_openapi_document_names_the_415(sqlite_url: str, tmp_path: Path) -> None:
    async with running(sqlite_url, tmp_path) as h, h.client() as client:
        document = (await client.get("/openapi.json")).json()
    assert "415" in document["paths"]["/api/v1/changes"]["post"]["responses"]
