"""The admin API reads a body only as JSON says it, as the publisher API reads a change: one
Content-Type, UTF-8, each key once, nothing converted and no field ignored.

Before, a request with two Content-Type headers (JSON, then text/plain) was read by the first,
where a proxy or a log may read the second; a body in UTF-16 and one declared
``charset=latin-1`` were read as JSON; and ``{"address": a, "address": b}`` looked up b, while
whatever logged the request may have shown a. Each is now refused with its reason, and nothing
is looked up or audited. Real SQLite; the app over ASGI.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from services.admin.adapters.tables import AdminAuditEntry
from services.admin.entrypoints.access import AuditorApi
from services.admin.entrypoints.api import router as admin_api
from services.admin.entrypoints.json_body import CHARSET_TWICE, NOT_UTF8, TYPE_TWICE
from tests.integration.admin.harness import Harness, running
from tests.integration.admin.publisher_support import staff_bearer

LOOKUP = "/api/v1/admin/consent/lookup"
BODY = {"address": "kari.nordmann@example.org"}


async def _lookups(h: Harness) -> list[str | None]:
    """Return the people the audit log says were looked up."""
    async with h.runtime.sessions() as session:
        query = select(AdminAuditEntry.target).where(AdminAuditEntry.action == "consent_lookup")
        return list((await session.scalars(query)).all())


async def _post(
    sqlite_url: str, tmp_path: Path, body: bytes, *content_types: str
) -> tuple[int, Any, list[str | None]]:
    """Look a person up with a body sent as it is, under the Content-Type headers given;
    return the answer's status, its JSON and the lookups audited."""
    async with running(sqlite_url, tmp_path) as h, h.client() as client:
        await h.user("ops", "operator")
        headers = [*(await staff_bearer(h)).items(), *(("Content-Type", t) for t in content_types)]
        answer = await client.post(LOOKUP, content=body, headers=headers)
        return answer.status_code, answer.json(), await _lookups(h)


async def test_two_content_type_headers_are_a_400_not_the_first_read(
    sqlite_url: str, tmp_path: Path
) -> None:
    body = json.dumps(BODY).encode()
    status, answer, looked_up = await _post(
        sqlite_url, tmp_path, body, "application/json", "text/plain"
    )
    assert status == 400, answer
    assert answer["errors"] == [{"field": "Content-Type", "reason": TYPE_TWICE, "input": None}]
    assert looked_up == []


async def test_a_charset_declared_twice_is_a_400_not_the_first_read(
    sqlite_url: str, tmp_path: Path
) -> None:
    # Read by its first charset, the body was taken as UTF-8 where a reader of the last one
    # would decode it as Latin-1.
    body = json.dumps({**BODY, "address": "åse@example.org"}, ensure_ascii=False).encode()
    content_type = "application/json; charset=utf-8; charset=latin-1"
    status, answer, looked_up = await _post(sqlite_url, tmp_path, body, content_type)
    assert status == 400, answer
    assert answer["errors"] == [{"field": "Content-Type", "reason": CHARSET_TWICE, "input": None}]
    assert looked_up == []


@pytest.mark.parametrize("charset", ["latin-1", "windows-1252", '"utf-16"', "x"])
async def test_a_charset_other_than_utf_8_is_a_415_saying_json_is_utf_8(
    sqlite_url: str, tmp_path: Path, charset: str
) -> None:
    content_type = f"application/json; charset={charset}"
    body = json.dumps(BODY).encode()
    status, answer, looked_up = await _post(sqlite_url, tmp_path, body, content_type)
    assert status == 415, answer
    assert answer["detail"] == (
        f"the body is declared as charset={charset.strip(chr(34))}: {NOT_UTF8}"
    )
    assert looked_up == []


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
async def test_a_body_in_utf_16_or_32_is_a_415_saying_json_is_utf_8(
    sqlite_url: str, tmp_path: Path, encoding: str
) -> None:
    body = json.dumps(BODY).encode(encoding)
    status, answer, looked_up = await _post(sqlite_url, tmp_path, body, "application/json")
    assert status == 415, answer
    assert answer["detail"] == f"the body is not UTF-8: {NOT_UTF8}"
    assert looked_up == []


async def test_a_body_declared_ascii_that_is_not_is_a_415(sqlite_url: str, tmp_path: Path) -> None:
    body = json.dumps({"address": "kåre@example.org"}, ensure_ascii=False).encode()
    content_type = "application/json; charset=us-ascii"
    status, answer, looked_up = await _post(sqlite_url, tmp_path, body, content_type)
    assert status == 415, answer
    assert answer["detail"].startswith("the body is declared as charset=us-ascii but is not ASCII")
    assert looked_up == []


async def test_a_key_given_twice_is_a_400_naming_it_not_the_last_read(
    sqlite_url: str, tmp_path: Path
) -> None:
    body = b'{"address": "ola@example.org", "address": "kari.nordmann@example.org"}'
    status, answer, looked_up = await _post(sqlite_url, tmp_path, body, "application/json")
    assert status == 400, answer
    assert answer["errors"] == [
        {"field": "address", "reason": "given more than once", "input": None}
    ]
    assert looked_up == []


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "application/json; charset=utf8"],
)
async def test_json_in_utf_8_is_read(sqlite_url: str, tmp_path: Path, content_type: str) -> None:
    body = b"\xef\xbb\xbf" + json.dumps(BODY).encode()  # a UTF-8 byte order mark is ignored
    status, answer, looked_up = await _post(sqlite_url, tmp_path, body, content_type)
    assert status == 200, answer
    assert looked_up == [answer["subject_hash"]]


@pytest.mark.parametrize(
    "config",
    [ConfigDict(extra="forbid"), ConfigDict(strict=True), ConfigDict(strict=True, extra="ignore")],
)
def test_a_route_reading_its_body_laxly_is_refused_when_declared(config: ConfigDict) -> None:
    # A model that took "yes" or 1 for true, or dropped a field it does not know, would read
    # a body otherwise than the client meant; the API's routes cannot be declared with one.
    lax = type("Lax", (BaseModel,), {"__annotations__": {"on": bool}, "model_config": config})
    router = APIRouter(route_class=admin_api.route_class)

    async def take(body: BaseModel, actor: AuditorApi) -> None:
        """A route of the admin API reading a body."""

    take.__annotations__["body"] = lax  # the model made above, not a name this module knows

    with pytest.raises(TypeError, match="reads its body laxly"):
        router.post("/lax")(take)
