"""A command imports what it runs: `varsel --help` no service, and a service run alone no other
service's code (bench/startup.py measures what that saves)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from varsel.cli import app

_LOADED = """
import json, sys
{imports}
print(json.dumps(sorted(sys.modules)))
"""


def _loaded_after(imports: str) -> set[str]:
    """Return the modules a fresh interpreter holds after running ``imports``."""
    done = subprocess.run(
        [sys.executable, "-c", _LOADED.format(imports=imports)],
        check=True,
        capture_output=True,
        text=True,
    )
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_the_command_line_imports_no_service_before_a_command_runs() -> None:
    loaded = _loaded_after("import varsel.cli")

    assert not {m for m in loaded if m.startswith("services.")}
    assert not loaded & {"alembic", "sqlalchemy", "fastapi", "pydantic"}


@pytest.mark.parametrize(
    ("service", "not_loaded"),
    [
        ("mailer", ("services.watcher.domain.content", "pypdf", "trafilatura", "zxcvbn")),
        ("watcher", ("services.subscriptions.entrypoints.web", "services.admin.entrypoints.api")),
    ],
)
def test_a_service_run_alone_imports_no_other_services_code(
    service: str, not_loaded: tuple[str, ...], tmp_path: object
) -> None:
    loaded = _loaded_after(
        "from shared.runtime import build_runtime\n"
        "from shared.settings import Settings\n"
        "from varsel.app import create_app\n"
        f"create_app(build_runtime(Settings(var_dir={str(tmp_path)!r})), ({service!r},))"
    )

    assert f"services.{service}.bootstrap" in loaded
    assert not loaded & set(not_loaded)


def test_the_staff_commands_are_listed_and_run_though_loaded_only_then() -> None:
    runner = CliRunner()
    listed = runner.invoke(app, ["--help"])
    assert listed.exit_code == 0
    assert "admin" in listed.output and "Admin accounts, API tokens" in listed.output
    assert "catalogue" in listed.output and "apply a TOML file" in listed.output

    admin = runner.invoke(app, ["admin", "--help"])
    assert admin.exit_code == 0, admin.output
    assert "Usage: varsel admin" in admin.output or "Usage: root admin" in admin.output
    assert "purge-consent" in admin.output and "publishers" in admin.output
    wrong = runner.invoke(app, ["admn"])
    assert wrong.exit_code == 2 and "Did you mean 'admin'" in wrong.output
