"""``varsel admin``: admin accounts and tokens, and the organisation ending a person's alerts or
erasing them (``organisation_cli``; the ledger's export is in ``ledger_cli``, its retention in
the subscriptions service; the composition root adds both to the group)."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from services.admin import handlers
from services.admin.entrypoints.command_io import (
    audit_command,
    is_row_number,
    print_table,
    read_password,
    run_or_explain,
    token_number,
    when,
)
from services.admin.entrypoints.organisation_cli import erase, unsubscribe
from shared.clock import SystemClock
from shared.commands import command_actor, command_settings, counted, in_transaction
from shared.logs import redact

# Named and described where `varsel` lists it (varsel/cli.py), before this module is imported.
admin_cli = typer.Typer()


Email = Annotated[
    str | None,
    typer.Option(help="the admin's own email address (bulletins' test sends, reminders)"),
]
PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="read the password from standard input")
]


@admin_cli.command("create-user")
def create_user(
    name: Annotated[str, typer.Argument(help="the admin's user name")],
    role: Annotated[str, typer.Option(help="auditor, dpo, editor or operator")] = "auditor",
    email: Email = None,
    password_stdin: PasswordStdin = False,
) -> None:
    """Create an admin account; the password is asked for, or read from stdin."""
    password = read_password(password_stdin)
    settings, clock = command_settings(), SystemClock()

    async def work(session: AsyncSession) -> None:
        await handlers.create_user(
            session, name, role, password, clock.now(), email, smtp_utf8=settings.smtp_utf8
        )
        # Whether it has an address, never the address: the audit log is kept for years.
        audit_command(
            session, "user_created", target=name, details={"role": role, "email": bool(email)}
        )

    run_or_explain(settings, work)
    typer.echo(f"varsel: created {role} {name!r}")


@admin_cli.command("set-role")
def set_role(
    name: Annotated[str, typer.Argument(help="the admin's user name")],
    role: Annotated[str, typer.Argument(help="auditor, dpo, editor or operator")],
) -> None:
    """Give an admin another role; it holds from their next page or API call, signed in or not."""
    settings = command_settings()

    async def work(session: AsyncSession) -> str | None:
        previous = await handlers.set_role(session, name, role)
        if previous is not None:
            audit_command(
                session, "role_changed", target=name, details={"from": previous, "to": role}
            )
        return previous

    previous = run_or_explain(settings, work)
    if previous is None:
        typer.echo(f"varsel: {name!r} is already {role}")
    else:
        typer.echo(f"varsel: {name!r} is now {role} (was {previous})")


@admin_cli.command("rename-user")
def rename_user(
    old: Annotated[str, typer.Argument(help="the admin's user name now")],
    new: Annotated[str, typer.Argument(help="the name it is to have")],
) -> None:
    """Give an admin another name (not an email address); it signs in with the new one."""
    settings, clock = command_settings(), SystemClock()

    async def work(session: AsyncSession) -> handlers.Renamed:
        renamed = await handlers.rename_user(
            session, old, new, actor=command_actor(), now=clock.now()
        )
        # The old name as it was, unless it was an address: renaming such an account is
        # what keeps the address out of the audit log's next years.
        audit_command(
            session,
            "user_renamed",
            target=new,
            details={"from": redact(old), "to": new, "user_id": renamed.user_id},
        )
        return renamed

    renamed = run_or_explain(settings, work)
    typer.echo(f"varsel: {old!r} is now {new!r}; it signs in with the new name")
    if renamed.topics:
        typer.echo(
            f"varsel: the topics {', '.join(renamed.topics)} name {new!r} as their editor now; "
            f"change {old!r} in the catalogue file too (VARSEL_CONFIG), or applying it "
            "brings the old name back"
        )


@admin_cli.command("set-password")
def set_password(
    name: Annotated[str, typer.Argument(help="the admin's user name")],
    password_stdin: PasswordStdin = False,
) -> None:
    """Reset an admin's password; its browser sessions end and its API tokens are revoked.

    The publisher tokens it issued keep working and are listed, each with the command that
    revokes it.
    """
    password = read_password(password_stdin)
    settings, clock = command_settings(), SystemClock()

    async def work(session: AsyncSession) -> handlers.Reset:
        reset = await handlers.reset_password(session, name, password, clock.now())
        audit_command(
            session,
            "password_changed",
            target=name,
            details={
                "sessions_ended": reset.sessions_ended,
                "tokens_revoked": reset.tokens_revoked,
                "publisher_tokens_live": [
                    {"number": number, "name": kept} for number, kept in reset.publisher_tokens
                ],
            },
        )
        return reset

    reset = run_or_explain(settings, work)
    tokens = ", ".join(map(str, reset.tokens_revoked))
    one_token = len(reset.tokens_revoked) == 1
    revoked = (
        f"API token{'' if one_token else 's'} {tokens} {'is' if one_token else 'are'} revoked"
        if tokens
        else "it had no API tokens"
    )
    sessions = counted(reset.sessions_ended, "browser session")
    typer.echo(
        f"varsel: new password for {name!r}; its {sessions} "
        f"{'has' if reset.sessions_ended == 1 else 'have'} ended and {revoked} "
        "(varsel admin create-token issues new ones)"
    )
    if reset.publisher_tokens:
        issued = counted(len(reset.publisher_tokens), "publisher token")
        work_on = "works" if len(reset.publisher_tokens) == 1 else "work"
        typer.echo(
            f"varsel: {issued} {name!r} issued still {work_on}; revoke any you did not ask for "
            "(its CMS can then no longer push):"
        )
        for number, kept in reset.publisher_tokens:
            typer.echo(f"  {number} {kept!r}: varsel admin publishers revoke {number}")


@admin_cli.command("set-email")
def set_email(
    name: Annotated[str, typer.Argument(help="the admin's user name")],
    address: Annotated[str, typer.Argument(help="the new address; an empty one removes it")],
) -> None:
    """Give an admin an email address for their own mail, or remove it with ''."""
    settings = command_settings()

    async def work(session: AsyncSession) -> bool:
        changed = await handlers.set_email(session, name, address, smtp_utf8=settings.smtp_utf8)
        if changed:
            audit_command(session, "user_email_set", target=name, details={"email": bool(address)})
        return changed

    changed = run_or_explain(settings, work)
    state = "has an address" if address.strip() else "has no address"
    typer.echo(f"varsel: {name!r} {'now' if changed else 'already'} {state}")


@admin_cli.command("create-token")
def create_token(name: Annotated[str, typer.Argument(help="the admin the token acts for")]) -> None:
    """Issue an API token; it is printed once and only its hash is kept."""
    settings, clock = command_settings(), SystemClock()

    async def work(session: AsyncSession) -> tuple[int, str]:
        token_id, token = await handlers.create_token(session, name, clock.now())
        audit_command(session, "token_created", target=name, details={"token_id": token_id})
        return token_id, token

    token_id, token = run_or_explain(settings, work)
    typer.echo(f"varsel: token {token_id} for {name!r} (shown only now):", err=True)
    typer.echo(token)


@admin_cli.command("revoke-token")
def revoke_token(
    typed: Annotated[str, typer.Argument(help="the token's number", metavar="TOKEN_ID")],
) -> None:
    """Revoke an API token by its number."""
    token_id = token_number(typed, "varsel admin create-token")
    settings, clock = command_settings(), SystemClock()

    async def work(session: AsyncSession) -> bool:
        revoked = await handlers.revoke_token(session, token_id, clock.now())
        if revoked:
            audit_command(session, "token_revoked", target=str(token_id))
        return revoked

    if not is_row_number(token_id) or not in_transaction(settings, work):
        typer.echo(f"varsel: no live token {token_id}", err=True)
        raise typer.Exit(1)
    typer.echo(f"varsel: revoked token {token_id}")


@admin_cli.command("list-users")
def list_users() -> None:
    """List the admin accounts: name, role, email, created, last login and whether disabled."""
    settings = command_settings()

    async def work(session: AsyncSession) -> list[tuple[str, ...]]:
        users = await handlers.list_users(session)
        audit_command(session, "users_listed")
        return [
            (
                u.name,
                u.role,
                u.email or "-",
                when(u.created_at),
                when(u.last_login_at),
                when(u.disabled_at),
            )
            for u in users
        ]

    header = ("name", "role", "email", "created", "last login", "disabled")
    print_table(header, in_transaction(settings, work))


def _set_disabled(name: str, disabled: bool) -> None:
    settings, clock = command_settings(), SystemClock()
    action = "user_disabled" if disabled else "user_enabled"

    async def work(session: AsyncSession) -> bool:
        changed = await handlers.set_disabled(session, name, disabled, clock.now())
        if changed:
            audit_command(session, action, target=name)
        return changed

    changed = run_or_explain(settings, work)
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


# Registered last, so they stay at the end of the group's help, after the accounts' commands.
admin_cli.command("erase")(erase)
admin_cli.command("unsubscribe")(unsubscribe)
