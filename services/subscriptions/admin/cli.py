"""``varsel admin``: admin accounts and tokens, ledger exports and consent retention."""

from __future__ import annotations

import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, TextIO, TypeVar

import typer
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from services.subscriptions.admin import audit, auth, consent, retention
from services.subscriptions.admin.progress import progress
from shared.clock import SystemClock
from shared.db import create_engine, session_factory
from shared.settings import Settings

admin_cli = typer.Typer(help="Admin accounts, API tokens, ledger exports and consent retention.")
T = TypeVar("T")
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar")]


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
    quiet: Quiet = False,
) -> None:
    """Delete consent history of people whose alerts ended more than the retention period ago."""
    settings, clock = _settings(), SystemClock()
    keep = days if days is not None else getattr(settings, "consent_retention_days", None)
    if keep is None or keep < 1:
        typer.echo("varsel: give --days or set VARSEL_CONSENT_RETENTION_DAYS", err=True)
        raise typer.Exit(2)

    async def work(session: AsyncSession) -> int:
        with progress("Purging consent history", quiet=quiet) as tracker:
            deleted = await retention.purge_consent(
                session, days=keep, now=clock.now(), tracker=tracker
            )
        audit.record(
            session, actor=_actor(), action="consent_purged", client="cli", now=clock.now(),
            details={"rows": deleted, "days": keep},
        )  # fmt: skip
        return deleted

    typer.echo(f"varsel: deleted {_in_transaction(settings, work)} consent ledger rows")


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "-"


@admin_cli.command("list-users")
def list_users() -> None:
    """List the admin accounts: name, role, created, last login and whether disabled."""
    settings, clock = _settings(), SystemClock()

    async def work(session: AsyncSession) -> list[tuple[str, ...]]:
        users = await auth.list_users(session)
        audit.record(session, actor=_actor(), action="users_listed", client="cli", now=clock.now())
        return [
            (u.name, u.role, _when(u.created_at), _when(u.last_login_at), _when(u.disabled_at))
            for u in users
        ]

    rows = [("name", "role", "created", "last login", "disabled"), *_in_transaction(settings, work)]
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    for row in rows:
        typer.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))


def _set_disabled(name: str, disabled: bool) -> None:
    settings, clock = _settings(), SystemClock()
    action = "user_disabled" if disabled else "user_enabled"

    async def work(session: AsyncSession) -> bool:
        changed = await auth.set_disabled(session, name, disabled, clock.now())
        if changed:
            audit.record(
                session, actor=_actor(), action=action, client="cli", now=clock.now(), target=name
            )
        return changed

    try:
        changed = _in_transaction(settings, work)
    except auth.AdminError as exc:
        typer.echo(f"varsel: {exc}", err=True)
        raise typer.Exit(1) from exc
    state = "disabled" if disabled else "enabled"
    typer.echo(f"varsel: {name!r} {'is now' if changed else 'was already'} {state}")


@admin_cli.command("disable-user")
def disable_user(name: Annotated[str, typer.Argument(help="the admin's user name")]) -> None:
    """Disable an admin account: it cannot sign in, its sessions end and its tokens are revoked."""
    _set_disabled(name, True)


@admin_cli.command("enable-user")
def enable_user(name: Annotated[str, typer.Argument(help="the admin's user name")]) -> None:
    """Enable a disabled admin account again (it needs to sign in and get new tokens)."""
    _set_disabled(name, False)


@admin_cli.command("export-ledger")
def export_ledger(
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="write the CSV here (default: stdout)")
    ] = None,
    topic: Annotated[str | None, typer.Option(help="only rows naming this topic")] = None,
    action: Annotated[str | None, typer.Option(help="only this event type")] = None,
    since: Annotated[str | None, typer.Option("--from", help="first UTC day, YYYY-MM-DD")] = None,
    until: Annotated[str | None, typer.Option("--to", help="last UTC day, YYYY-MM-DD")] = None,
    quiet: Quiet = False,
) -> None:
    """Export the consent ledger (keyed hashes only) as CSV, oldest first."""
    params = {"topic": topic or "", "action": action or "", "from": since or "", "to": until or ""}
    try:
        where = consent.parse_filter(params)
    except ValueError as exc:
        typer.echo(f"varsel: {exc}", err=True)
        raise typer.Exit(2) from exc
    settings, clock = _settings(), SystemClock()

    async def write(target: TextIO) -> int:
        engine = create_engine(settings.resolved_database_url)
        sessions = session_factory(engine)
        written = 0
        try:
            async with sessions() as session, session.begin():
                total = await consent.count_ledger(session, where)
                audit.record(
                    session, actor=_actor(), action="ledger_export", client="cli",
                    now=clock.now(), details=where.as_dict(),
                )  # fmt: skip
            with progress("Exporting the consent ledger", quiet=quiet) as tracker:
                tracker.total(total)
                header = True
                async for line in consent.ledger_csv(sessions, where):
                    target.write(line)
                    if not header:
                        written += 1
                        tracker.advance()
                    header = False
        finally:
            await engine.dispose()
        return written

    if out is None:
        written = asyncio.run(write(sys.stdout))
        sys.stdout.flush()
    else:
        # newline="": the CSV lines carry their own CRLF endings.
        with out.open("w", encoding="utf-8", newline="") as target:
            written = asyncio.run(write(target))
    typer.echo(f"varsel: exported {written} consent ledger rows", err=True)
