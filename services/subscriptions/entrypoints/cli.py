"""``varsel admin purge-consent``: the consent ledger's retention, run by hand.

The ledger is this service's, so the command lives here; the composition root offers it among
the staff commands, where operators have always found it.
"""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from services.subscriptions.retention import purge_consent as purge_ended_consent
from shared.clock import SystemClock
from shared.commands import Quiet, command_actor, command_settings, counted, in_transaction
from shared.housekeeping import record_run
from shared.progress import progress
from shared.settings import MAX_DAYS, MIN_CONSENT_RETENTION_DAYS


def purge_consent(
    days: Annotated[
        int | None,
        typer.Option(
            help=f"keep ended subjects this many days, from {MIN_CONSENT_RETENTION_DAYS} to "
            f"{MAX_DAYS} (VARSEL_CONSENT_RETENTION_DAYS)"
        ),
    ] = None,
    quiet: Quiet = False,
) -> None:
    """Delete consent history of people whose alerts ended more than the retention period ago."""
    settings, clock = command_settings(), SystemClock()
    keep = days if days is not None else settings.consent_retention_days
    if keep is None:
        typer.echo("varsel: give --days or set VARSEL_CONSENT_RETENTION_DAYS", err=True)
        raise typer.Exit(2)
    if not MIN_CONSENT_RETENTION_DAYS <= keep <= MAX_DAYS:
        # A slip (--days 3 for 30) would delete, for good, the proof of consent the setting
        # keeps for at least this long; past a hundred years the date is not one to reckon.
        typer.echo(
            f"varsel: --days must be from {MIN_CONSENT_RETENTION_DAYS} to {MAX_DAYS}, as "
            "VARSEL_CONSENT_RETENTION_DAYS must; nothing was deleted",
            err=True,
        )
        raise typer.Exit(2)

    async def work(session: AsyncSession) -> int:
        with progress("Purging consent history", quiet=quiet) as tracker:
            deleted = await purge_ended_consent(
                session, days=keep, now=clock.now(), tracker=tracker
            )
        # The admin writes it to its audit log when the event reaches it.
        await record_run(
            session,
            "subscriptions",
            {"consent_records": deleted},
            trigger="command",
            actor=command_actor(),
            now=clock.now(),
        )
        return deleted

    deleted = counted(in_transaction(settings, work), "consent ledger row")
    typer.echo(f"varsel: deleted {deleted}")
