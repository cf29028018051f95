"""``varsel admin export-ledger``: the consent ledger, or a slice of it, as CSV.

A data-protection officer keeps these files as evidence: the command writes them as
``output_files`` says, and refuses a filter that could only find nothing because it names no
topic there is.
"""

from __future__ import annotations

import asyncio
import difflib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from services.admin.adapters import catalogue_rows
from services.admin.entrypoints import ledger_views
from services.admin.entrypoints.command_io import audit_command
from services.admin.entrypoints.output_files import CannotWrite, Exists, NewFile
from services.subscriptions import read_api as subscriptions
from services.subscriptions.read_api import LedgerFilter
from shared.commands import Quiet, command_settings, counted, in_transaction
from shared.db import create_engine, session_factory
from shared.progress import progress
from shared.settings import Settings


class UnknownTopic(Exception):
    """The filter's topic is in neither the catalogue (ended topics too) nor the ledger."""

    def __init__(self, topic: str, known: list[str]) -> None:
        close = difflib.get_close_matches(topic, known, n=1)
        guess = f" (did you mean {close[0]!r}?)" if close else ""
        super().__init__(
            f"no topic {topic!r} in the catalogue or the consent ledger{guess}; "
            "`varsel catalogue export` lists the topics"
        )


async def _check_topic(session: AsyncSession, where: LedgerFilter) -> None:
    """Refuse a topic nobody ever followed and the catalogue never held.

    A topic of the catalogue nobody followed, or one removed from it whose rows the ledger
    keeps, is a real answer of no rows; a typing slip would be the same answer, wrongly.
    """
    if where.topic is None or await subscriptions.count_ledger(
        session, LedgerFilter(topic=where.topic)
    ):
        return
    known = await catalogue_rows.topic_slugs(session)
    if where.topic not in known:
        raise UnknownTopic(where.topic, known)


class Tally:
    """How many of the export's rows have been handed to the output so far, and whether
    writing them failed."""

    def __init__(self) -> None:
        self.rows = 0
        self.output_failed = False


async def _export(
    settings: Settings,
    write: Callable[[str], object],
    where: LedgerFilter,
    tally: Tally,
    *,
    quiet: bool,
) -> None:
    """Write the CSV with ``write``, counting its rows in ``tally``.

    The audit entry is not made here: the rows are out only once the output is complete (the
    file renamed into place, standard output flushed), which the caller sees.
    """
    engine = create_engine(settings.resolved_database_url)
    sessions = session_factory(engine)
    try:
        async with sessions() as session, session.begin():
            total = await subscriptions.count_ledger(session, where)
            if not total:
                await _check_topic(session, where)
        with progress("Exporting the consent ledger", quiet=quiet) as tracker:
            tracker.total(total)
            header = True
            async for line in ledger_views.ledger_csv(sessions, where):
                write(line)
                if not header:
                    tally.rows += 1
                    tracker.advance()
                header = False
    finally:
        await engine.dispose()


def _audit(settings: Settings, action: str, where: LedgerFilter, rows: int) -> None:
    """Record the export, or its failure, with the filter and the rows handed out."""
    details = {**ledger_views.filter_details(where), "rows": rows}

    async def work(session: AsyncSession) -> None:
        audit_command(session, action, details=details)

    in_transaction(settings, work)


def export_ledger(
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="write the CSV to this file (default: stdout); a device, pipe or link is refused",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="replace the --out file if it exists")
    ] = False,
    topic: Annotated[str | None, typer.Option(help="only rows naming this topic")] = None,
    action: Annotated[str | None, typer.Option(help="only this event type")] = None,
    since: Annotated[str | None, typer.Option("--from", help="first UTC day, YYYY-MM-DD")] = None,
    until: Annotated[str | None, typer.Option("--to", help="last UTC day, YYYY-MM-DD")] = None,
    quiet: Quiet = False,
) -> None:
    """Export the consent ledger (keyed hashes only) as CSV, oldest first."""
    params = {"topic": topic or "", "action": action or "", "from": since or "", "to": until or ""}
    try:
        where = ledger_views.parse_filter(params)
    except ValueError as exc:
        typer.echo(f"varsel: {exc}", err=True)
        raise typer.Exit(2) from exc
    settings, tally = command_settings(), Tally()
    try:
        if out is None:
            _to_standard_output(settings, where, tally, quiet=quiet)
        else:
            with NewFile(out, force=force) as target:
                asyncio.run(_export(settings, target.write, where, tally, quiet=quiet))
    except UnknownTopic as exc:
        typer.echo(f"varsel: {exc}; nothing was exported", err=True)
        raise typer.Exit(2) from exc
    except (Exists, CannotWrite) as exc:
        typer.echo(f"varsel: {exc}; nothing was exported", err=True)
        raise typer.Exit(1) from exc
    # Recorded once the rows are out: an export whose file could not be written left nothing
    # (NewFile removes its half file) and is not recorded as made.
    _audit(settings, "ledger_export", where, tally.rows)
    where_to = f" to {out}" if out is not None else ""
    rows = counted(tally.rows, "consent ledger row")
    typer.echo(f"varsel: exported {rows}{where_to}", err=True)


def _to_standard_output(
    settings: Settings, where: LedgerFilter, tally: Tally, *, quiet: bool
) -> None:
    """Export to standard output; if writing it fails, record how many rows went out first."""
    # Taken now: the progress bar stands in for sys.stdout while it is drawn.
    stdout = sys.stdout

    def write(text: str) -> None:
        try:
            stdout.write(text)
        except OSError:
            tally.output_failed = True
            raise

    # A full disk under `> file`, a reader that closed (`| head` shows the first rows): what
    # was written before went out, so the audit log says how many rows were handed to the
    # output, as a failed export. A database's connection error (an OSError too) is not the
    # output's, and nothing is recorded for it.
    try:
        asyncio.run(_export(settings, write, where, tally, quiet=quiet))
    except OSError:
        if tally.output_failed:
            _audit(settings, "ledger_export_failed", where, tally.rows)
        raise
    try:
        stdout.flush()  # the last rows fail here, if anywhere
    except OSError:
        _audit(settings, "ledger_export_failed", where, tally.rows)
        raise
