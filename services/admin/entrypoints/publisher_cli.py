"""``varsel admin publishers``: issue, list and revoke publisher tokens from the server's shell.

The same tokens and audit entries as the operator's page /admin/publishers (ADR 0015), for an
organisation that wires its CMS up by script, or whose staff side is not reachable yet.
"""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from services.admin import publishing
from services.admin.entrypoints.command_io import (
    audit_command,
    is_row_number,
    print_table,
    token_number,
    when,
)
from shared.clock import SystemClock
from shared.commands import command_actor, command_settings, in_transaction

publisher_cli = typer.Typer(help="Publisher tokens a CMS pushes changes with.")


@publisher_cli.command("issue")
def issue(name: Annotated[str, typer.Argument(help="whose CMS it is, e.g. 'WordPress'")]) -> None:
    """Issue a publisher token; it is printed once and only its hash is kept."""
    settings, clock = command_settings(), SystemClock()

    async def work(session: AsyncSession) -> tuple[int, str, list[int]]:
        namesakes = await publishing.namesakes(session, name)
        number, token = await publishing.issue(session, name, command_actor(), clock.now())
        kept = publishing.token_name(name)
        audit_command(session, "publisher_token_issued", target=str(number), details={"name": kept})
        return number, token, namesakes

    try:
        number, token, namesakes = in_transaction(settings, work)
    except publishing.TokenNameNoncharacter as exc:
        typer.echo(
            f"varsel: the name holds {exc}, a Unicode noncharacter no page can show: "
            "type it without",
            err=True,
        )
        raise typer.Exit(1) from exc
    except publishing.TokenNameRefused as exc:
        limit = publishing.NAME_LIMIT
        typer.echo(f"varsel: a token's name needs 1 to {limit} characters", err=True)
        raise typer.Exit(1) from exc
    kept = publishing.token_name(name)
    if namesakes:
        typer.echo(_namesakes_warning(namesakes, kept), err=True)
    typer.echo(f"varsel: publisher token {number} for {kept!r} (shown only now):", err=True)
    typer.echo(token)


def _namesakes_warning(numbers: list[int], name: str) -> str:
    """Say, in one line, that live tokens of the same name share keys and limits."""
    if len(numbers) == 1:
        which = f"live publisher token {numbers[0]} is"
    else:
        listed = ", ".join(str(n) for n in numbers[:-1])
        which = f"live publisher tokens {listed} and {numbers[-1]} are"
    return (
        f"varsel: warning: {which} also named {name!r}: tokens of one name share idempotency "
        "keys and the hourly limit, as replacing a token wants (revoke the old one once the "
        "CMS uses the new); a second CMS needs a name of its own"
    )


@publisher_cli.command("list")
def list_tokens() -> None:
    """List the publisher tokens: number, name, created, last used and revoked (never a token)."""
    settings = command_settings()

    async def work(session: AsyncSession) -> list[tuple[str, ...]]:
        tokens = await publishing.listed(session)
        audit_command(session, "publisher_tokens_listed")
        return [
            (str(t.id), t.name, when(t.created_at), when(t.last_used_at), when(t.revoked_at))
            for t in tokens
        ]

    header = ("number", "name", "created", "last used", "revoked")
    print_table(header, in_transaction(settings, work))


@publisher_cli.command("revoke")
def revoke(
    typed: Annotated[str, typer.Argument(help="the token's number (see list)", metavar="NUMBER")],
) -> None:
    """Revoke a publisher token: the next push with it is refused."""
    number = token_number(typed, "varsel admin publishers list")
    settings, clock = command_settings(), SystemClock()

    async def work(session: AsyncSession) -> str | None:
        name = await publishing.revoke(session, number, clock.now())
        if name is not None:
            audit_command(
                session, "publisher_token_revoked", target=str(number), details={"name": name}
            )
        return name

    name = in_transaction(settings, work) if is_row_number(number) else None
    if name is None:
        typer.echo(f"varsel: no live publisher token {number}", err=True)
        raise typer.Exit(1)
    typer.echo(f"varsel: revoked publisher token {number} ({name!r})")
