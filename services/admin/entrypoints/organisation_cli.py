"""``varsel admin erase`` and ``varsel admin unsubscribe``: the organisation ending a person's
alerts, or erasing them, when the person asked it rather than the service (the group in ``cli``
offers both)."""

from __future__ import annotations

import asyncio
import sys
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from services.admin.entrypoints.command_io import audit_command
from services.subscriptions import command_api as organisation
from shared.carried_text import bidi_control_in
from shared.commands import command_actor, command_settings
from shared.logs import redact
from shared.runtime import build_runtime


def _act_for_organisation(
    address: str, reason: str, action: organisation.OrganisationAction
) -> organisation.Done:
    """Run an organisation's command on a person and audit it; exit 1 with why if refused."""
    settings, actor = command_settings(), command_actor()
    if address == "-":
        # Read from standard input: an argument stays in the shell's history, in the process
        # list, and in the audit log of a `kubectl exec` or a job's definition.
        # Typed at a terminal, the address ends at Enter; piped, the whole input is read.
        typed = sys.stdin.readline() if sys.stdin.isatty() else sys.stdin.read()
        lines = [line.strip() for line in typed.splitlines() if line.strip()]
        if len(lines) > 1:
            # Only the first was acted on, with a success to show for the whole list.
            typer.echo(
                f"varsel: the standard input holds {len(lines)} lines; give one address a "
                "command (one run for each line of a list); nothing was changed",
                err=True,
            )
            raise typer.Exit(1)
        address = lines[0] if lines else ""
    reason = " ".join(reason.split())
    if len(reason) > organisation.MAX_REASON:
        # Kept whole in the ledger and the audit log alike, or not at all: never cut short.
        typer.echo(
            f"varsel: the reason is {len(reason)} characters, longer than the "
            f"{organisation.MAX_REASON} kept; shorten it; nothing was changed",
            err=True,
        )
        raise typer.Exit(1)
    if redact(reason) != reason:
        typer.echo("varsel: the reason must not contain an email address", err=True)
        raise typer.Exit(1)
    if (control := bidi_control_in(reason)) is not None:
        # Kept as typed in the ledger, its CSV and the audit log: refused, not cleaned unseen.
        typer.echo(f"varsel: the reason holds {control}, {BIDI_REFUSED}", err=True)
        raise typer.Exit(1)

    def audit(session: AsyncSession, done: organisation.Done) -> None:
        # In the step's own transaction: no erasure is kept without its audit entry.
        audit_command(
            session,
            f"organisation_{action.value}",
            target=done.subject,
            details={"reason": reason, "found": done.found, "ended": list(done.ended)},
        )

    async def run() -> organisation.Done:
        runtime = build_runtime(settings)
        try:
            return await organisation.act_for_organisation(
                runtime, address, action, reason=reason, actor=actor, audit=audit
            )
        finally:
            await runtime.engine.dispose()

    try:
        done = asyncio.run(run())
    except organisation.InvalidAddress as exc:
        typer.echo("varsel: this is not a valid email address", err=True)
        raise typer.Exit(1) from exc
    except ValueError as exc:
        typer.echo(f"varsel: {exc}", err=True)
        raise typer.Exit(1) from exc
    if not done.found:
        typer.echo("varsel: no one with this address is subscribed; nothing changed", err=True)
        raise typer.Exit(1)
    return done


BIDI_REFUSED = (
    "an invisible direction control (an override, embedding or isolate) that makes text show "
    "in another order than it is stored: type the reason without it; nothing was changed"
)
Reason = Annotated[str, typer.Option("--reason", help="why (kept in the ledger and audit log)")]
Address = Annotated[
    str,
    typer.Argument(
        help="the person's email address, or - to read it from standard input, which keeps "
        "it out of the shell's history and the process list"
    ),
]


def erase(address: Address, reason: Reason) -> None:
    """Erase a person who asked the organisation: end every alert and delete the address."""
    done = _act_for_organisation(address, reason, organisation.OrganisationAction.ERASE)
    typer.echo(f"varsel: erased; the ledger keeps the history under {done.subject}")


def unsubscribe(address: Address, reason: Reason) -> None:
    """End every alert of a person who asked the organisation (the address is kept)."""
    done = _act_for_organisation(address, reason, organisation.OrganisationAction.UNSUBSCRIBE)
    ended = ", ".join(done.ended) or "none were open"
    typer.echo(f"varsel: alerts ended ({ended}); ledger code {done.subject}")
