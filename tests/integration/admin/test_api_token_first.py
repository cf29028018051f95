"""Every staff and publisher API operation asks who is asking before it reads what is asked.

Before, a request without a token to the ledger got a 400 naming the ledger's actions (or that a
parameter was given twice), and one to the consent lookup with a body that was no JSON a 422:
a stranger learnt how the API reads its input before being told to sign in. The operations are
read from the OpenAPI document, so one added later is walked too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.admin.harness import TOPIC, running

# Every parameter any of the operations reads, each given twice and each unusable.
BAD_QUERY = "&".join(
    f"{name}={value}&{name}={value}"
    for name, value in [
        ("topic", "../../etc"),
        ("action", "deleted"),
        ("from", "9999-12-31"),
        ("to", "yesterday"),
        ("after", "x.1"),
        ("before", "1.-1"),
        ("limit", "many"),
        ("days", "-x"),
    ]
)
PATH_VALUES = {"{slug}": TOPIC, "{source_id}": "not-a-number"}
BAD_BODIES = [
    (b"{not json", "application/json"),
    (b'{"address": "a@example.org", "extra": 1}', "application/json"),
    (b"address=a@example.org", "application/x-www-form-urlencoded"),
    (b"\xff\xfe", "text/plain"),
]


def _operations(document: dict[str, object], scheme: str) -> list[tuple[str, str]]:
    found = []
    for path, operations in document["paths"].items():  # type: ignore[attr-defined]
        for method, operation in operations.items():
            if operation.get("security") == [{scheme: []}]:
                for placeholder, value in PATH_VALUES.items():
                    path = path.replace(placeholder, value)
                found.append((method.upper(), path))
    return found


@pytest.mark.parametrize(("content", "content_type"), BAD_BODIES)
@pytest.mark.parametrize("authorization", [None, "Bearer varsel_pub_nobody", "Basic YTpi"])
async def test_no_live_token_is_a_401_whatever_the_query_or_body(
    sqlite_url: str, tmp_path: Path, content: bytes, content_type: str, authorization: str | None
) -> None:
    async with running(sqlite_url, tmp_path) as h, h.client() as client:
        document = (await client.get("/openapi.json")).json()
        staff = _operations(document, "adminToken")
        publishing = _operations(document, "publisherToken")
        assert len(staff) >= 7 and len(publishing) == 2
        headers = {"Content-Type": content_type}
        if authorization:
            headers["Authorization"] = authorization
        for method, path in staff + publishing:
            answer = await client.request(
                method, f"{path}?{BAD_QUERY}", content=content, headers=headers
            )
            assert answer.status_code == 401, (method, path, answer.text)
            assert answer.headers["WWW-Authenticate"] == "Bearer"


async def test_the_wrong_role_is_a_403_whatever_the_query(sqlite_url: str, tmp_path: Path) -> None:
    async with running(sqlite_url, tmp_path) as h, h.client() as client:
        await h.user("aud", "auditor")
        _, token = await h.token("aud")
        answer = await client.get(
            f"/api/v1/admin/operations?{BAD_QUERY}", headers={"Authorization": f"Bearer {token}"}
        )
    assert answer.status_code == 403, answer.text
    assert answer.json()["detail"] == "this needs the operator role"


async def test_a_live_token_still_reads_its_input_after_the_token(
    sqlite_url: str, tmp_path: Path
) -> None:
    # The token first, then the input, as before: the same request with a token is a 400.
    async with running(sqlite_url, tmp_path) as h, h.client() as client:
        await h.user("aud", "auditor")
        _, token = await h.token("aud")
        headers = {"Authorization": f"Bearer {token}"}
        ledger = await client.get(f"/api/v1/admin/ledger?{BAD_QUERY}", headers=headers)
        lookup = await client.post(
            "/api/v1/admin/consent/lookup",
            content=b"{not json",
            headers={**headers, "Content-Type": "application/json"},
        )
    assert ledger.status_code == 400 and "more than once" in ledger.json()["detail"]
    assert lookup.status_code == 422, lookup.text
