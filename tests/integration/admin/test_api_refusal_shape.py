"""The admin API and the publisher API refuse in one shape, the one docs/publishing.md documents:
``detail``, a sentence, and for input that cannot be used ``errors``, one ``{"field", "reason",
"input"}`` per problem. Before, the admin API answered a body it could not read with FastAPI's
list of problems under ``detail``, and a query it could not use with a sentence alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.integration.admin.harness import running
from tests.integration.admin.publisher_support import bearer, publisher_token, staff_bearer

PROBLEM = {"field", "reason", "input"}


def _shape(answer: httpx.Response) -> tuple[int, list[dict[str, Any]]]:
    """Return an answer's status and its problems, once its body is known to be a refusal."""
    refused = answer.json()
    assert set(refused) <= {"detail", "errors"} and isinstance(refused["detail"], str), refused
    errors = refused.get("errors", [])
    assert errors and all(set(e) == PROBLEM for e in errors), refused
    return answer.status_code, errors


async def test_the_admin_api_refuses_its_input_in_the_publisher_apis_shape(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running(sqlite_url, tmp_path) as h, h.client() as client:
        await h.user("ops", "operator")
        auth, lookup = await staff_bearer(h), "/api/v1/admin/consent/lookup"
        extra = await client.post(lookup, json={"address": "a@example.org", "x": 1}, headers=auth)
        missing = await client.post(lookup, json={}, headers=auth)
        invalid = await client.post(lookup, json={"address": "kari"}, headers=auth)
        twice = await client.get("/api/v1/admin/ledger?topic=a&topic=b", headers=auth)
        day = await client.get("/api/v1/admin/ledger?from=20261205", headers=auth)
        cursor = await client.get("/api/v1/admin/audit?before=x.1", headers=auth)
        long_topic = await client.get(f"/api/v1/admin/ledger?topic={'a' * 101}", headers=auth)
        document = (await client.get("/openapi.json")).json()
    assert _shape(extra) == (
        422,
        [{"field": "x", "reason": extra.json()["errors"][0]["reason"], "input": 1}],
    )
    assert [(e["field"], e["input"]) for e in _shape(missing)[1]] == [("address", {})]
    # An address is not shown back: it may be a person's.
    assert _shape(invalid) == (
        422,
        [{"field": "address", "reason": "not a valid email address", "input": None}],
    )
    assert _shape(twice) == (
        400,
        [{"field": "topic", "reason": "given more than once", "input": None}],
    )
    assert [(e["field"], e["input"]) for e in _shape(day)[1]] == [("from", "20261205")]
    assert _shape(day)[0] == 400
    assert [(e["field"], e["input"]) for e in _shape(cursor)[1]] == [("before", "x.1")]
    assert _shape(long_topic)[0] == 422
    assert [e["field"] for e in _shape(long_topic)[1]] == ["topic"]
    # The API document says so, as it does for the publisher API.
    ledger = document["paths"]["/api/v1/admin/ledger"]["get"]["responses"]
    lookup_answers = document["paths"][lookup]["post"]["responses"]
    changes = document["paths"]["/api/v1/changes"]["post"]["responses"]
    refusal = {"$ref": "#/components/schemas/Refusal"}
    for answers, status in ((ledger, "400"), (ledger, "422"), (lookup_answers, "422")):
        assert answers[status]["content"]["application/json"]["schema"] == refusal, status
    assert changes["400"]["content"]["application/json"]["schema"] == refusal
    staff = [op for path, op in document["paths"].items() if path.startswith("/api/v1/admin/")]
    assert len(staff) >= 7 and "HTTPValidationError" not in str(staff)


async def test_the_publisher_api_refuses_in_the_shape_it_documents(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running(sqlite_url, tmp_path) as h, h.client() as client:
        token = await publisher_token(h)
        bad = {"url": "ftp://x", "title": "T", "topics": ["norge-i-verden"], "extra": 1}
        change = await client.post("/api/v1/changes", json=bad, headers=bearer(token))
        check = await client.post("/api/v1/sources/x/check", headers=bearer(token, None))
    status, errors = _shape(change)
    assert status == 400
    assert {e["field"] for e in errors} == {"url", "extra"}
    assert _shape(check) == (
        400,
        [{"field": "source_id", "reason": "a source number", "input": "x"}],
    )
