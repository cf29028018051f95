"""The publisher API reads a change only from a body that says it is JSON, and takes every
change within its limits however its characters are written.

Before, a push sent as text/plain, as a form or with no Content-Type at all was read as JSON
anyway, where the public API answers 415: a CMS that one day sends its body another way would
be taken in by one and refused by the other. And a note of 20,000 characters (its limit) from a
client that writes non-ASCII as \\uXXXX was a 413: the body passed the public 64 KiB limit.
Real SQLite; the app over ASGI.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from services.admin.entrypoints.publisher_api import CHANGE_BODY_BYTES
from shared.web.validation import NOT_JSON
from tests.integration.admin.harness import Harness, running
from tests.integration.admin.publisher_support import CHANGE, bearer, changes_sent, publisher_token

DOCS = Path(__file__).resolve().parents[3] / "docs" / "publishing.md"


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


def escaped(text: str) -> str:
    """Return a text as JSON writes it at its longest: every character as \\uXXXX, a pair of
    them for one outside the Basic Multilingual Plane."""
    units = text.encode("utf-16-be")
    return "".join(f"\\u{units[i]:02x}{units[i + 1]:02x}" for i in range(0, len(units), 2))


async def pushed_raw(h: Harness, body: str) -> httpx.Response:
    headers = {**bearer(await publisher_token(h)), "Content-Type": "application/json"}
    async with h.client() as client:
        return await client.post("/api/v1/changes", content=body.encode(), headers=headers)


async def test_a_note_at_its_limit_written_as_escapes_is_taken_in(
    sqlite_url: str, tmp_path: Path
) -> None:
    # What json.dumps, PHP's json_encode and many others write by default: 12 bytes for 😀.
    change = {**CHANGE, "title": "📣" * 5000, "note": "Endret 😀 " + "😀" * 19991}
    body = json.dumps(change)
    assert len(body) > 64 * 1024
    async with running(sqlite_url, tmp_path) as h:
        answer = await pushed_raw(h, body)
        assert answer.status_code == 202, answer.text[:300]
        [sent] = await changes_sent(h)
    assert sent.note is not None and sent.note.startswith("Endret 😀 😀")


async def test_the_widest_valid_body_is_read_and_one_byte_more_is_a_413_naming_the_limit(
    sqlite_url: str, tmp_path: Path
) -> None:
    fields = {
        "topics": [f"emne-{n:02}-" + "x" * 92 for n in range(50)],
        # An address is kept to 2,000 characters once percent-encoded (574736b): 🔗 is 12.
        "url": "https://example.org/" + "🔗" * 165,
        "title": "📣" * 5000,
        "note": "😀" * 20000,
        "minor": False,
    }
    members = []
    for name, value in fields.items():
        if isinstance(value, list):
            written = "[" + ",".join(f'"{escaped(v)}"' for v in value) + "]"
        else:
            written = json.dumps(value) if isinstance(value, bool) else f'"{escaped(value)}"'
        members.append(f'"{escaped(name)}": {written}')
    widest = "{\n    " + ",\n    ".join(members) + "\n}"
    assert len(widest) <= CHANGE_BODY_BYTES, len(widest)
    async with running(sqlite_url, tmp_path) as h:
        read = await pushed_raw(h, widest)
        too_large = await pushed_raw(h, widest + " " * (CHANGE_BODY_BYTES + 1 - len(widest)))
    # Read whole: every topic is unknown here, and the answer names them.
    assert read.status_code == 422, read.text[:300]
    assert len(read.json()["unknown_topics"]) == 50
    assert too_large.status_code == 413
    assert f"({CHANGE_BODY_BYTES} bytes at most)" in too_large.json()["detail"]
    assert f"{CHANGE_BODY_BYTES:,} bytes" in DOCS.read_text(encoding="utf-8"), "the docs say it"
