"""The publisher API against bodies a careless or hostile CMS sends: each is a 400 that says
why, nothing is sent, and no answer is a 500.

Real SQLite and PostgreSQL (PostgreSQL refuses a NUL in any text, SQLite keeps it); the app over
ASGI, which hands an error the app did not answer to the test, as a server's log would show it.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from services.admin.adapters.tables import AdminAuditEntry
from tests.integration.admin.harness import running
from tests.integration.admin.publisher_support import CHANGE, bearer, changes_sent, publisher_token


async def pushed_as_written(url: str, folder: Path, content: str) -> tuple[httpx.Response, int]:
    """Push a body exactly as written, with a token and a key; return the answer and how many
    changes were sent."""
    async with running(url, folder) as h:
        token = await publisher_token(h)
        headers = {**bearer(token), "Content-Type": "application/json"}
        async with h.client() as client:
            answer = await client.post("/api/v1/changes", content=content, headers=headers)
        return answer, len(await changes_sent(h))


async def test_a_number_too_long_for_python_to_read_is_a_400_not_a_500(
    sqlite_url: str, tmp_path: Path
) -> None:
    # Valid JSON, but Python reads no integer of more than 4,300 digits (CVE-2020-10735).
    content = json.dumps(CHANGE)[:-1] + ', "minor": ' + "9" * 5000 + "}"
    answer, sent = await pushed_as_written(sqlite_url, tmp_path, content)
    assert answer.status_code == 400, answer.text
    problems = {p["field"]: p["reason"] for p in answer.json()["errors"]}
    assert "number" in problems["body"], problems
    assert "sys.set_int_max_str_digits" not in answer.text
    assert sent == 0


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        # PostgreSQL refuses the NUL when the watched sources are searched for the page.
        ("https://example.org/side\x00", "control character"),
        ("https://example.org/si\x07de", "control character"),
        # Every follower would get the password in their alert, and the feed would show it.
        ("https://cms:hemmelig@example.org/side", "password"),
        # A direction override shows the address backwards: the alert names another page.
        ("https://example.org/\u202eedis", "invisible"),
        ("https://example.org/si\u200bde", "invisible"),
    ],
)
async def test_an_address_no_catalogue_may_hold_is_refused_and_sends_nothing(
    database_url: str, tmp_path: Path, url: str, reason: str
) -> None:
    async with running(database_url, tmp_path) as h:
        token = await publisher_token(h)
        async with h.client() as client:
            answer = await client.post(
                "/api/v1/changes", json={**CHANGE, "url": url}, headers=bearer(token)
            )
        assert answer.status_code == 400, answer.text
        problems = {p["field"]: p["reason"] for p in answer.json()["errors"]}
        assert reason in problems["url"], problems
        assert "hemmelig" not in answer.text
        assert await changes_sent(h) == []
        async with h.runtime.sessions() as session:
            assert (await session.scalars(select(AdminAuditEntry.action))).all() == []


@pytest.mark.parametrize(
    "content",
    [
        '{"topics": ["norge-i-verden"], "url": "https://example.org/side", '
        '"title": "Rapport", "title": "Noe annet"}',
        '{"topics": ["norge-i-verden"], "url": "https://example.org/side", '
        '"url": "https://example.org/annen", "title": "Rapport"}',
    ],
)
async def test_a_field_given_twice_is_refused_rather_than_one_of_them_read(
    sqlite_url: str, tmp_path: Path, content: str
) -> None:
    # Parsers disagree on which of two equal keys counts (the first, the last, an error): a
    # proxy, a log or the CMS's own record could show one change while varsel mailed the other.
    answer, sent = await pushed_as_written(sqlite_url, tmp_path, content)
    assert answer.status_code == 400, answer.text
    problems = answer.json()["errors"]
    assert [p["reason"] for p in problems] == ["given more than once"], problems
    assert problems[0]["field"] in {"title", "url"}
    assert sent == 0


async def test_a_check_of_no_source_number_is_told_so_not_about_a_change(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        token = await publisher_token(h)
        async with h.client() as client:
            answer = await client.post("/api/v1/sources/eins/check", headers=bearer(token))
        assert answer.status_code == 400
        assert answer.json()["detail"] == "the source cannot be checked"
        assert answer.json()["errors"] == [
            {"field": "source_id", "reason": "a source number", "input": "eins"}
        ]


async def test_the_openapi_document_says_the_idempotency_key_is_required(
    sqlite_url: str, tmp_path: Path
) -> None:
    # A CMS developer who builds the client from the document would otherwise leave it out,
    # and every push would come back 400.
    async with running(sqlite_url, tmp_path) as h, h.client() as client:
        document = (await client.get("/openapi.json")).json()
    parameters = document["paths"]["/api/v1/changes"]["post"]["parameters"]
    key = next(p for p in parameters if p["name"] == "Idempotency-Key")
    assert key["in"] == "header" and key["required"] is True
    assert key["schema"] == {"type": "string", "minLength": 1, "maxLength": 200}
