"""Property-based run of the admin API's OpenAPI schema (schemathesis), signed in with a token.

Every operation under /api/v1/admin gets a bounded, deterministic set of generated requests
against the real admin app on a real SQLite file with a consent ledger in it, carrying an
operator's bearer token so the requests reach the code behind the sign-in; no answer may be a
5xx.
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

from shared.runtime import build_runtime
from shared.schema import upgrade
from shared.settings import Settings
from varsel.app import create_app

from . import harness

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
    tmp = tmp_path_factory.mktemp("admin-schemathesis")
    url = f"sqlite+aiosqlite:///{tmp / 'varsel.db'}"
    upgrade(url)
    token = asyncio.run(_seed(url, tmp))
    runtime = build_runtime(
        Settings(database_url=url, var_dir=tmp / "var", config=tmp / "catalogue.toml")
    )
    app = create_app(runtime, ("admin",))
    # schemathesis starts the app's lifespan once, on its own event loop, and keeps it running.
    schema = schemathesis.openapi.from_asgi("/openapi.json", app).include(
        path_regex="^/api/v1/admin/"
    )
    yield schema, token
    asgi.shutdown_lifespans()


def test_no_input_makes_the_admin_api_fail(
    signed_in: tuple[schemathesis.BaseSchema, str],
) -> None:
    schema, token = signed_in
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 7
    bearer = {"Authorization": f"Bearer {token}"}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=50,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def no_server_error(case: schemathesis.Case) -> None:
            answer = case.call(headers=bearer)
            # Signed in: a 401 would mean the run never reached the code it is meant to try.
            assert answer.status_code != 401, answer.text
            case.validate_response(answer, checks=[not_a_server_error])

        no_server_error()
        # The coverage phase adds boundary and wrong-type values the random phase may miss.
        generation = schema.config.generation_for(operation=operation)
        modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
        for case in schema.iter_coverage_cases(
            operation, generation_modes=modes, generation_config=generation
        ):
            answer = case.call(headers=bearer)
            assert answer.status_code != 401, answer.text
            case.validate_response(answer, checks=[not_a_server_error])
