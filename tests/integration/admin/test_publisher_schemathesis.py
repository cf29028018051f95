"""Property-based run of the publisher API's OpenAPI schema (schemathesis), with a token.

``POST /api/v1/changes`` and ``POST /api/v1/sources/{id}/check`` get a bounded, deterministic
set of generated requests (bodies, keys and ids of every shape) against the real admin app on a
real SQLite file, carrying a live publisher token; no answer may be a 5xx.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.python import asgi

from services.admin.publishing import issue
from shared.runtime import build_runtime
from shared.schema import upgrade
from shared.settings import Settings
from varsel.app import create_app

from . import harness


async def _seed(url: str, folder: Path) -> str:
    """Issue a publisher token; return it."""
    async with harness.running(url, folder) as h, h.runtime.sessions() as session, session.begin():
        _, token = await issue(session, "CMS", "ops", h.runtime.clock.now())
    return token


@pytest.fixture(scope="module")
def publishing(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[schemathesis.BaseSchema, str]]:
    tmp = tmp_path_factory.mktemp("publisher-schemathesis")
    url = f"sqlite+aiosqlite:///{tmp / 'varsel.db'}"
    upgrade(url)
    token = asyncio.run(_seed(url, tmp))
    runtime = build_runtime(
        Settings(database_url=url, var_dir=tmp / "var", config=tmp / "catalogue.toml")
    )
    app = create_app(runtime, ("admin",))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app).include(
        path_regex="^/api/v1/(changes|sources/)"
    )
    yield schema, token
    asgi.shutdown_lifespans()


def test_no_input_makes_the_publisher_api_fail(
    publishing: tuple[schemathesis.BaseSchema, str],
) -> None:
    schema, token = publishing
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 2
    bearer = {"Authorization": f"Bearer {token}"}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=60,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def no_server_error(case: schemathesis.Case) -> None:
            answer = case.call(headers=bearer)
            # With a token: a 401 would mean the run never reached the code it is meant to try.
            assert answer.status_code != 401, answer.text
            case.validate_response(answer, checks=[not_a_server_error])

        no_server_error()
        generation = schema.config.generation_for(operation=operation)
        modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
        for case in schema.iter_coverage_cases(
            operation, generation_modes=modes, generation_config=generation
        ):
            answer = case.call(headers=bearer)
            assert answer.status_code != 401, answer.text
            case.validate_response(answer, checks=[not_a_server_error])
