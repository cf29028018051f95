"""``varsel admin``: manage admin accounts and tokens, and apply consent retention."""

from __future__ import annotations

import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from services.subscriptions.admin import audit, auth, retention
from shared.clock import SystemClock
from shared.db import create_engine, session_factory
from shared.settings import Settings

admin_cli = typer.Typer(help="Admin accounts, API tokens and consent retention.")
T = TypeVar("T")


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        typer.echo(f"varsel: invalid settings: {exc.error_count()} problem(s)", err=True)
        raise typer.Exit(2) from exc


def _actor() -> str:
    # The audit log names who ran the command on the server.
    try:
        return f"cli:{getpass.getuser()}"[:100]
    except OSError:
        return "cli"


def _in_transaction(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async def run() -> T:
        engine = create_engine(settings.resolved_database_url)
        try:
            async with session_factory(engine)() as session, session.begin():
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(run())


@admin_cli.command("create-user")
def create_user(
    name: Annotated[str, typer.Argument(help="the admin's user name")],
    role: Annotated[str, typer.Option(help="auditor or operator")] = "auditor",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from standard input")
    ] = False,
) -> None:
    """Create an admin account; the password is asked for, or read from stdin."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    settings, clock = _settings(), SystemClock()

    async def work(session: AsyncSession) -> None:
        await auth.create_user(session, name, role, password, clock.now())
        audit.record(
            session, actor=_actor(), action="user_created", client="cli", now=clock.now(),
            target=name, details={"role": role},
        )  # fmt: skip

    try:
        _in_transaction(settings, work)
    except auth.AdminError as exc:
        typer.echo(f"varsel: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"varsel: created {role} {name!r}")


@admin_cli.command("create-token")
def create_token(name: Annotated[str, typer.Argument(help="the admin the token acts for")]) -> None:
    """Issue an API token; it is printed once and only its hash is kept."""
    settings, clock = _settings(), SystemClock()

    async def work(session: AsyncSession) -> tuple[int, str]:
        token_id, token = await auth.create_token(session, name, clock.now())
        audit.record(
            session, actor=_actor(), action="token_created", client="cli", now=clock.now(),
            target=name, details={"token_id": token_id},
        )  # fmt: skip
        return token_id, token

    try:
        token_id, token = _in_transaction(settings, work)
    except auth.AdminError as exc:
        typer.echo(f"varsel: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"varsel: token {token_id} for {name!r} (shown only now):", err=True)
    typer.echo(token)


@admin_cli.command("revoke-token")
def revoke_token(token_id: Annotated[int, typer.Argument(help="the token's number")]) -> None:
    """Revoke an API token by its number."""
    settings, clock = _settings(), SystemClock()

    async def work(session: AsyncSession) -> bool:
        revoked = await auth.revoke_token(session, token_id, clock.now())
        if revoked:
            audit.record(
                session, actor=_actor(), action="token_revoked", client="cli", now=clock.now(),
                target=str(token_id),
            )  # fmt: skip
        return revoked

    if not _in_transaction(settings, work):
        typer.echo(f"varsel: no live token {token_id}", err=True)
        raise typer.Exit(1)
    typer.echo(f"varsel: revoked token {token_id}")


@admin_cli.command("purge-consent")
def purge_consent(
    days: Annotated[
        int | None,
        typer.Option(help="keep ended subjects this many days (VARSEL_CONSENT_RETENTION_DAYS)"),
    ] = None,
) -> None:
    """Delete consent history of people whose alerts ended more than the retention period ago."""
    settings, clock = _settings(), SystemClock()
    keep = days if days is not None else getattr(settings, "consent_retention_days", None)
    if keep is None or keep < 1:
        typer.echo("varsel: give --days or set VARSEL_CONSENT_RETENTION_DAYS", err=True)
        raise typer.Exit(2)

    async def work(session: AsyncSession) -> int:
        deleted = await retention.purge_consent(session, days=keep, now=clock.now())
        audit.record(
            session, actor=_actor(), action="consent_purged", client="cli", now=clock.now(),
            details={"rows": deleted, "days": keep},
        )  # fmt: skip
        return deleted

    typer.echo(f"varsel: deleted {_in_transaction(settings, work)} consent ledger rows")
