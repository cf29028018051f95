"""What both schemathesis runs of the admin app share: the app on a seeded SQLite file, and the
check that no generated request with a valid token is refused at the door or answered with a 5xx.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.python import asgi

from shared.runtime import build_runtime
from shared.settings import Settings
from tests.support.databases import migrated_sqlite
from varsel.app import create_app


@contextmanager
def admin_schema(
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    seed: Callable[[str, Path], Awaitable[str]],
    path_regex: str,
) -> Iterator[tuple[schemathesis.BaseSchema, str]]:
    """Yield the admin app's schema, narrowed to ``path_regex``, and the token ``seed`` made."""
    tmp = tmp_path_factory.mktemp(name)
    url = migrated_sqlite(tmp / "varsel.db")
    token = asyncio.run(seed(url, tmp))
    runtime = build_runtime(
        Settings(database_url=url, var_dir=tmp / "var", config=tmp / "catalogue.toml")
    )
    app = create_app(runtime, ("admin",))
    # schemathesis starts the app's lifespan once, on its own event loop, and keeps it running.
    schema = schemathesis.openapi.from_asgi("/openapi.json", app).include(path_regex=path_regex)
    yield schema, token
    asgi.shutdown_lifespans()


def _token_left_out(case: schemathesis.Case) -> bool:
    """Tell whether the coverage phase made a case without the token (the document names the
    token's scheme, so schemathesis tries the door without it too)."""
    data = getattr(case.meta.phase, "data", None) if case.meta else None
    return getattr(data, "parameter", None) == "Authorization"


def no_request_fails(schema: schemathesis.BaseSchema, token: str, *, max_examples: int) -> int:
    """Try every operation with generated requests; return how many operations there were."""
    operations = [result.ok() for result in schema.get_all_operations()]
    bearer = {"Authorization": f"Bearer {token}"}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=max_examples,
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
        # The coverage phase adds boundary and wrong-type values the random phase may miss.
        generation = schema.config.generation_for(operation=operation)
        modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
        for case in schema.iter_coverage_cases(
            operation, generation_modes=modes, generation_config=generation
        ):
            answer = case.call(headers=bearer)
            if _token_left_out(case):
                # Refused, whatever else is wrong with the request (a malformed filter may be
                # named before the missing token): nothing is served without it.
                assert 400 <= answer.status_code < 500, answer.text
                continue
            assert answer.status_code != 401, answer.text
            case.validate_response(answer, checks=[not_a_server_error])
    return len(operations)
