"""What the ``varsel admin`` commands share: a command's audit entry, a password asked for or
read from standard input, a refusal explained, and a table printed."""

from __future__ import annotations

import os
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from services.admin.adapters import audit_log
from services.admin.domain.accounts import AdminError
from shared.clock import SystemClock
from shared.commands import command_actor, in_transaction
from shared.settings import Settings

T = TypeVar("T")


def audit_command(
    session: AsyncSession,
    action: str,
    target: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Record a command in the audit log, in its transaction, under who ran it."""
    audit_log.record(
        session,
        actor=command_actor(),
        action=action,
        client="cli",
        now=SystemClock().now(),
        target=target,
        details=details,
    )


def _has_terminal() -> bool:
    """Whether a password can be asked for unseen: on the process's terminal, or stdin as one."""
    # As getpass looks. Without either (cron, a container's exec without -t, ssh without a
    # tty) it warned that the password may be echoed, read stdin, and ended in "Aborted.".
    try:
        os.close(os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY))
    except OSError:
        return sys.stdin.isatty()
    return True


def read_password(from_stdin: bool) -> str:
    """Read a new password from standard input, or ask for it twice unseen on the terminal."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not _has_terminal():
        typer.echo(
            "varsel: no terminal to ask for the password on: give it on standard input with "
            "--password-stdin",
            err=True,
        )
        raise typer.Exit(2)
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


def run_or_explain(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run a command's work; a refusal is printed and ends the command with status 1."""
    try:
        return in_transaction(settings, work)
    except AdminError as exc:
        typer.echo(f"varsel: {exc}", err=True)
        raise typer.Exit(1) from exc


def is_row_number(number: int) -> bool:
    """Tell whether a number typed for a token can name one: their rows are numbered 1 to 2³¹-1.

    A larger one would fail as the database's error, not as no such token.
    """
    return 0 < number < 2**31


def token_number(typed: str, shown_by: str) -> int:
    """Return the number typed for a token, or end the command in one line saying what it is."""
    # Read by Typer as an integer, a word was refused in its usage error: a box of eight lines.
    try:
        return int(typed.strip())
    except ValueError:
        typer.echo(
            f"varsel: a token's number is a whole number, as {shown_by} shows it; "
            f"not {typed[:40]!r}",
            err=True,
        )
        raise typer.Exit(2) from None


def when(moment: datetime | None) -> str:
    """Show a moment in a command's table, or '-' for none."""
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "-"


def print_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    """Print rows under a header, each column as wide as its widest cell."""
    lines = [header, *rows]
    widths = [max(len(row[i]) for row in lines) for i in range(len(header))]
    for row in lines:
        typer.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
