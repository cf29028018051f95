"""``varsel admin publishers``: issue, list and revoke publisher tokens from the server's shell.

The same tokens and audit entries as the operator's page /admin/publishers (ADR 0015), for an
organisation that wires its CMS up by script, or whose staff side is not reachable yet.
"""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from services.admin import publishing
from services.admin.domain import publisher_sites
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


_SITE_HELP = (
    "a site the token may push for, e.g. https://www.example.no (its host: every page there);"
    " give --site once per site, at least once"
)


@publisher_cli.command("issue")
def issue(
    name: Annotated[str, typer.Argument(help="whose CMS it is, e.g. 'WordPress'")],
    site: Annotated[list[str] | None, typer.Option("--site", help=_SITE_HELP)] = None,
) -> None:
    """Issue a publisher token for some sites; it is printed once and only its hash is kept."""
    try:
        publishing.check_name(name)  # as the page: the name first, then the sites
        sites = publisher_sites.each_site(site or [])
    except publishing.TokenNameRefused as exc:
        typer.echo(f"varsel: {_name_problem(exc)}", err=True)
        raise typer.Exit(1) from exc
    except publisher_sites.SiteRefused as exc:
        typer.echo(f"varsel: {_site_problem(exc)}", err=True)
        raise typer.Exit(1) from exc
    settings, clock = command_settings(), SystemClock()

    async def work(session: AsyncSession) -> tuple[int, str, list[int]]:
        namesakes = await publishing.namesakes(session, name)
        actor, now = command_actor(), clock.now()
        number, token = await publishing.issue(session, name, actor, now, sites=sites)
        kept = publishing.token_name(name)
        details = {"name": kept, "sites": list(sites)}
        audit_command(session, "publisher_token_issued", target=str(number), details=details)
        return number, token, namesakes

    number, token, namesakes = in_transaction(settings, work)
    kept = publishing.token_name(name)
    if namesakes:
        typer.echo(_namesakes_warning(namesakes, kept), err=True)
    typer.echo(f"varsel: publisher token {number} for {kept!r} (shown only now):", err=True)
    typer.echo(token)


def _name_problem(refused: publishing.TokenNameRefused) -> str:
    """Say in one line why a token's name cannot be kept."""
    if isinstance(refused, publishing.TokenNameNoncharacter):
        return f"the name holds {refused}, a Unicode noncharacter no page can show: type it without"
    if isinstance(refused, publishing.TokenNameBidiControl):
        return (
            f"the name holds {refused}, an invisible direction control that makes text show in "
            "another order than it is stored: type it without"
        )
    return f"a token's name needs 1 to {publishing.NAME_LIMIT} characters"


def _site_problem(refused: publisher_sites.SiteRefused) -> str:
    """Say in one line why a --site cannot be kept."""
    typed = repr(refused.typed)
    return {
        "site_none": "a token needs at least one --site, e.g. --site https://www.example.no",
        "site_many": f"at most {publisher_sites.SITES_LIMIT} sites for one token",
        "site_wildcard": f"{typed} holds a *: name each host with a --site of its own",
        "site_scheme": f"{typed} is no web address: start it with https://, http:// or the host",
        "site_userinfo": f"{typed} holds a user name or password (before @): leave it out",
        "site_path": f"{typed} names a page or folder: give only the site, e.g. "
        "https://www.example.no",
    }.get(
        refused.reason,
        f"{typed} is no host name (labels of letters, digits and hyphens, or an IP address "
        "written in full; a port, if any, from 1 to 65535)",
    )


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
            (
                str(t.id),
                t.name,
                _sites_shown(publishing.sites_of(t)),
                when(t.created_at),
                when(t.last_used_at),
                when(t.revoked_at),
            )
            for t in tokens
        ]

    header = ("number", "name", "sites", "created", "last used", "revoked")
    print_table(header, in_transaction(settings, work))


def _sites_shown(sites: tuple[str, ...] | None) -> str:
    """Name a token's sites in one cell; one issued before sites opens them all (ADR 0024)."""
    return "ALL (issued before sites: replace it)" if sites is None else " ".join(sites)


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
