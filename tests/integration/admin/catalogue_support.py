"""Catalogues applied as `varsel catalogue apply` does: the command itself, run on a file, and
an apply on another machine (its own engine)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from services.admin import catalogue as commands
from shared.catalogue_file import parse_catalogue_text
from shared.clock import SystemClock
from shared.db import create_engine, session_factory
from varsel.cli import app as varsel_cli

# Three topics and two sources, the first file the command tests apply.
FIRST = """
[[topics]]
slug = "norge-i-verden"
title = { nb = "Norge i verden", en = "Norway in the world" }
related = ["helsenyheter"]

[[topics]]
slug = "helsenyheter"
title = { nb = "Helsenyheter" }

[[topics]]
slug = "gammelt-tema"
title = { nb = "Gammelt tema" }

[[sources]]
url = "https://example.org/verden"
kind = "page"
topics = ["norge-i-verden"]
interval = "15m"

[[sources]]
url = "https://example.org/gammel"
kind = "page"
topics = ["gammelt-tema"]
"""


async def apply_elsewhere(database_url: str, text: str, origin: str = "catalogue.toml") -> None:
    """Apply a catalogue's text in one transaction of a fresh engine, as the command does."""
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            await commands.apply(
                session,
                parse_catalogue_text(text, origin),
                actor="cli:test",
                client="cli",
                origin=origin,
                now=SystemClock().now(),
            )
    finally:
        await engine.dispose()


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A command line pointed at the test database (import it, and name it in ``__all__``)."""
    monkeypatch.setenv("VARSEL_DATABASE_URL", database_url)
    return CliRunner()


def write(tmp_path: Path, name: str, text: str) -> Path:
    """Write a catalogue file for a command to read; return its path."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def catalogue(cli: CliRunner, *args: str) -> Any:
    """Run ``varsel catalogue`` with these arguments; return the result."""
    return cli.invoke(varsel_cli, ["catalogue", *args])


def read_scalar(database_url: str, query: Any) -> Any:
    """Read one value from the database on an engine of its own, as another process would."""

    async def read() -> Any:
        engine = create_engine(database_url)
        try:
            async with session_factory(engine)() as session:
                return await session.scalar(query)
        finally:
            await engine.dispose()

    return asyncio.run(read())
