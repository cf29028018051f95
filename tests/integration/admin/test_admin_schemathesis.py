"""Property-based run of the admin API's OpenAPI schema (schemathesis), signed in with a token.

Every operation under /api/v1/admin gets a bounded, deterministic set of generated requests
against the real admin app on a real SQLite file with a consent ledger in it, carrying an
operator's bearer token so the requests reach the code behind the sign-in; no answer may be a
5xx.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis

from . import harness
from .schema_run import admin_schema, no_request_fails

ADDRESS = "kari.nordmann@example.no"


async def _seed(url: str, folder: Path) -> str:
    """Create an operator with an API token and a confirmed sign-up; return the token."""
    async with harness.running(url, folder) as h:
        await h.user("ops", "operator")
        _, token = await h.token("ops")
        await h.sign_up(ADDRESS)
        await h.confirm(ADDRESS)
    return token


@pytest.fixture(scope="module")
def signed_in(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[schemathesis.BaseSchema, str]]:
    with admin_schema(tmp_path_factory, "admin-schemathesis", _seed, "^/api/v1/admin/") as run:
        yield run


def test_no_input_makes_the_admin_api_fail(
    signed_in: tuple[schemathesis.BaseSchema, str],
) -> None:
    schema, token = signed_in
    assert no_request_fails(schema, token, max_examples=50) >= 7
