"""What every service's command-line commands need: settings, who runs them, one transaction."""

from __future__ import annotations

import asyncio
import getpass
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import create_engine, session_factory
from shared.settings import Settings

T = TypeVar("T")
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar")]


def command_settings() -> Settings:
    """Read the settings, or end the command with status 2 naming each wrong variable."""
    try:
        return Settings()
    except ValidationError as exc:
        # Each problem by its variable, never its value (a URL may hold a password).
        problems = "\n".join(
            f"  VARSEL_{'_'.join(str(p) for p in e['loc']).upper() or '?'}: {e['msg']}"
            for e in exc.errors()
        )
        typer.echo(f"varsel: invalid settings:\n{problems}", err=True)
        raise typer.Exit(2) from exc


def command_actor() -> str:
    """Name who runs a command on the server, as the audit log records it."""
    try:
        return f"cli:{getpass.getuser()}"[:100]
    except OSError:
        return "cli"


def database_problem(exc: DBAPIError) -> str:
    """Return the driver's first line of a database error, without the statement."""
    return str(exc.orig).splitlines()[0][:200] if exc.orig else type(exc).__name__


def in_transaction(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` in one transaction on its own engine, from synchronous command code."""

    async def run() -> T:
        engine = create_engine(settings.resolved_database_url)
        try:
            async with session_factory(engine)() as session, session.begin():
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(run())
