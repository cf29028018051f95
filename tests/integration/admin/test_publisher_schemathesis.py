"""Property-based run of the publisher API's OpenAPI schema (schemathesis), with a token.

``POST /api/v1/changes`` and ``POST /api/v1/sources/{id}/check`` get a bounded, deterministic
set of generated requests (bodies, keys and ids of every shape) against the real admin app on a
real SQLite file, carrying a live publisher token; no answer may be a 5xx.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis

from services.admin.publishing import issue

from . import harness
from .schema_run import admin_schema, no_request_fails


async def _seed(url: str, folder: Path) -> str:
    """Issue a publisher token; return it."""
    async with harness.running(url, folder) as h, h.runtime.sessions() as session, session.begin():
        _, token = await issue(session, "CMS", "ops", h.runtime.clock.now(), sites=("example.org",))
    return token


@pytest.fixture(scope="module")
def publishing(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[schemathesis.BaseSchema, str]]:
    pattern = "^/api/v1/(changes|sources/)"
    with admin_schema(tmp_path_factory, "publisher-schemathesis", _seed, pattern) as run:
        yield run


def test_no_input_makes_the_publisher_api_fail(
    publishing: tuple[schemathesis.BaseSchema, str],
) -> None:
    schema, token = publishing
    assert no_request_fails(schema, token, max_examples=60) == 2
