"""The publisher API takes a change only as JSON says it: booleans as true or false, one
Content-Type, and UTF-8.

Before, ``"minor": "yes"`` and ``"minor": 1`` were taken as true; a request with two
Content-Type headers (JSON, then text/plain) was read by the first, where a proxy or a log may
read the second; a body in UTF-16 and one declared ``charset=latin-1`` were read as JSON. Each
is now refused with its reason, and nothing is sent. Real SQLite; the app over ASGI.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from services.admin.entrypoints.json_body import NOT_UTF8, TYPE_TWICE
from tests.integration.admin.harness import running
from tests.integration.admin.publisher_support import CHANGE, bearer, changes_sent, publisher_token


@pytest.mark.parametrize(
    ("minor", "answer"),
    [
        *[(refused, 400) for refused in ("yes", 1, 0, "true", "false", None, [True], 1.0)],
        (True, 202),
        (False, 202),
    ],
)
async def test_minor_is_a_json_boolean_or_a_400_naming_it(
    sqlite_url: str, tmp_path: Path, minor: Any, answer: int
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        headers = bearer(await publisher_token(h))
        async with h.client() as client:
            pushed = await client.post(
                "/api/v1/changes", json={**CHANGE, "minor": minor}, headers=headers
            )
        assert pushed.status_code == answer, pushed.text
        if answer == 400:
            assert [p["field"] for p in pushed.json()["errors"]] == ["minor"], pushed.text
            assert await changes_sent(h) == []
        else:
            assert pushed.json()["minor"] is minor


async def test_two_content_type_headers_are_a_400_not_the_first_read(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        headers = list(bearer(await publisher_token(h)).items())
        headers += [("Content-Type", "application/json"), ("Content-Type", "text/plain")]
        async with h.client() as client:
            answer = await client.post(
                "/api/v1/changes", content=json.dumps(CHANGE).encode(), headers=headers
            )
        assert answer.status_code == 400, answer.text
        assert answer.json()["errors"] == [
            {"field": "Content-Type", "reason": TYPE_TWICE, "input": None}
        ]
        assert await changes_sent(h) == []


@pytest.mark.parametrize(
    "charset", ["latin-1", "ISO-8859-1", '"utf-16"', "windows-1252", "utf-8-sig", "rot13", "x"]
)
async def test_a_charset_other_than_utf_8_is_a_415_saying_json_is_utf_8(
    sqlite_url: str, tmp_path: Path, charset: str
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        headers = bearer(await publisher_token(h))
        headers["Content-Type"] = f"application/json; charset={charset}"
        async with h.client() as client:
            answer = await client.post(
                "/api/v1/changes", content=json.dumps(CHANGE).encode(), headers=headers
            )
        assert answer.status_code == 415, answer.text
        assert answer.json()["detail"].endswith(NOT_UTF8)
        assert f"charset={charset.strip(chr(34)).lower()}" in answer.json()["detail"]
        assert await changes_sent(h) == []


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
async def test_a_body_in_utf_16_or_32_is_a_415_saying_json_is_utf_8(
    sqlite_url: str, tmp_path: Path, encoding: str
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        headers = bearer(await publisher_token(h))
        headers["Content-Type"] = "application/json"
        async with h.client() as client:
            answer = await client.post(
                "/api/v1/changes", content=json.dumps(CHANGE).encode(encoding), headers=headers
            )
        assert answer.status_code == 415, answer.text
        assert answer.json()["detail"] == f"the body is not UTF-8: {NOT_UTF8}"
        assert await changes_sent(h) == []


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json; charset=utf-8", json.dumps(CHANGE, ensure_ascii=False).encode()),
        ('application/json; charset="UTF-8"', json.dumps(CHANGE).encode()),
        ("application/json", b"\xef\xbb\xbf" + json.dumps(CHANGE).encode()),  # a UTF-8 BOM
        # Other names of UTF-8 (PHP's and WordPress's «utf8»), and ASCII, which is UTF-8 too.
        ("application/json; charset=utf8", json.dumps(CHANGE, ensure_ascii=False).encode()),
        ("application/json; charset=UTF_8", json.dumps(CHANGE, ensure_ascii=False).encode()),
        ("application/json; charset=us-ascii", json.dumps(CHANGE).encode()),
        ("application/json; charset=ASCII", json.dumps(CHANGE).encode()),
    ],
)
async def test_utf_8_declared_or_not_is_taken_in(
    sqlite_url: str, tmp_path: Path, content_type: str, body: bytes
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        headers = bearer(await publisher_token(h))
        headers["Content-Type"] = content_type
        async with h.client() as client:
            answer = await client.post("/api/v1/changes", content=body, headers=headers)
        assert answer.status_code == 202, answer.text
        assert [e.title for e in await changes_sent(h)] == [CHANGE["title"]]


async def test_a_body_declared_ascii_that_is_not_is_a_415(sqlite_url: str, tmp_path: Path) -> None:
    async with running(sqlite_url, tmp_path) as h:
        headers = bearer(await publisher_token(h))
        headers["Content-Type"] = "application/json; charset=us-ascii"
        body = json.dumps(CHANGE, ensure_ascii=False).encode()  # «høringen» in UTF-8
        async with h.client() as client:
            answer = await client.post("/api/v1/changes", content=body, headers=headers)
        assert answer.status_code == 415, answer.text
        assert answer.json()["detail"] == (
            f"the body is declared as charset=us-ascii but is not ASCII: {NOT_UTF8}"
        )
        assert await changes_sent(h) == []
