"""The admin's command line pointed at the test database and the harness's catalogue."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.integration.admin.harness import CATALOGUE


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """Point the CLI at the test database (import it, and name it in ``__all__``)."""
    (tmp_path / "catalogue.toml").write_text(CATALOGUE, encoding="utf-8")
    monkeypatch.setenv("VARSEL_DATABASE_URL", database_url)
    monkeypatch.setenv("VARSEL_CONFIG", str(tmp_path / "catalogue.toml"))
    return CliRunner()
