"""``varsel catalogue``: apply a catalogue file to the database, or export the one in force."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from services.admin import catalogue as commands
from services.admin.adapters import catalogue_rows
from services.admin.domain.catalogue_plan import Plan, describe
from services.admin.entrypoints.output_files import CannotWrite, Exists, NewFile
from services.mailer.read_api import ChangeOnDesk
from shared.catalogue_checks import CatalogueError
from shared.catalogue_file import dump_catalogue, load_catalogue
from shared.clock import SystemClock
from shared.commands import (
    Quiet,
    command_actor,
    command_settings,
    counted,
    database_problem,
    in_transaction,
)
from shared.events import ContentChanged
from shared.private_addresses import refused_sources
from shared.progress import progress
from shared.settings import Settings

T = TypeVar("T")

# Named and described where `varsel` lists it (varsel/cli.py), before this module is imported.
catalogue_cli = typer.Typer()


def _in_database(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run one transaction; a database that cannot be used ends the command with the reason."""
    try:
        return in_transaction(settings, work)
    except DBAPIError as exc:
        typer.echo(
            f"varsel: cannot use the database ({database_problem(exc)}); "
            "is it migrated (`varsel migrate`)?\n"
            "varsel: nothing was changed",
            err=True,
        )
        raise typer.Exit(1) from exc


@catalogue_cli.command("apply")
def apply(
    file: Annotated[Path, typer.Argument(help="the catalogue TOML file")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="print the plan and change nothing")
    ] = False,
    quiet: Quiet = False,
) -> None:
    """Make the catalogue match a file: print the plan (added, changed, retired), then apply it.

    A wrong file is refused whole and nothing changes. Every replica sees the change within
    seconds, without a restart.
    """
    settings = command_settings()
    try:
        wanted = load_catalogue(file, setting=None)  # named on the command line
    except CatalogueError as exc:
        typer.echo(f"varsel: {exc}\nvarsel: nothing was changed", err=True)
        raise typer.Exit(2) from exc
    # The watcher would refuse every poll of these, as `varsel check-config` says of them.
    urls = (source.url for source in wanted.sources)
    if refused := refused_sources(urls, allow_private=settings.allow_private_addresses):
        typer.echo("\n".join([*refused, "varsel: nothing was changed"]), err=True)
        raise typer.Exit(2)

    def show(plan: Plan) -> None:
        for line in describe(plan):
            typer.echo(line)

    if dry_run:

        async def look(
            session: AsyncSession,
        ) -> tuple[Plan, list[ChangeOnDesk], commands.HeldPushes]:
            result = await commands.preview(session, wanted)
            desk = await commands.withdrawals(session, result)
            return result, desk, await commands.held_pushes(session, result, wanted)

        result, withdrawn, held = _in_database(settings, look)
        show(result)
        lines = withdrawal_lines(withdrawn) + pushed_lines(held.withdrawn)
        for line in lines + sent_lines(held.sent) + desk_lines(held.to_desk):
            typer.echo(line)
        typer.echo("varsel: dry run; nothing was changed")
        return

    async def work(
        session: AsyncSession,
    ) -> tuple[Plan, list[ChangeOnDesk], commands.HeldPushes, int]:
        # The plan is made in the transaction that applies it, under its lock: what is
        # printed is exactly what was written, even if someone else applied meanwhile.
        with progress(f"Applying {file.name}", quiet=quiet) as tracker:
            withdrawn: list[ChangeOnDesk] = []
            held = commands.HeldPushes(sent=[], withdrawn=[])
            plan = await commands.apply(
                session,
                wanted,
                actor=command_actor(),
                client="cli",
                origin=str(file),
                now=SystemClock().now(),
                tracker=tracker,
                told=withdrawn,
                told_pushed=held.withdrawn,
                sent_pushed=held.sent,
                desk_pushed=held.to_desk,
            )
        return plan, withdrawn, held, await catalogue_rows.version(session)

    plan, withdrawn, held, version = _in_database(settings, work)
    show(plan)
    lines = withdrawal_lines(withdrawn, done=True) + pushed_lines(held.withdrawn, done=True)
    for line in lines + sent_lines(held.sent, done=True) + desk_lines(held.to_desk, done=True):
        typer.echo(line)
    if plan.empty:
        typer.echo("varsel: nothing to apply")
    else:
        typer.echo(f"varsel: applied {file}; the catalogue is at version {version}")


def withdrawal_lines(withdrawn: list[ChangeOnDesk], *, done: bool = False) -> list[str]:
    """Return the changes on the desk an apply would withdraw (or, ``done``, withdrew), as
    lines a person reads first.

    A source left out of the file, or named by another address, is removed: its changes still
    waiting for review are withdrawn for good, as /admin/sources warns before it does that.
    """
    if not withdrawn:
        return []
    one = len(withdrawn) == 1
    their, them = ("its", "it") if one else ("their", "them")
    if done:
        said = f"that waited on the editor's desk {_was(one)} withdrawn, as"
        said += f" {their} source was removed"
    else:
        said = f"waiting on the editor's desk would be withdrawn, as {their} source is removed"
    lines = [
        f"{counted(len(withdrawn), 'change')} {said}: nobody will be alerted about {them}, "
        f"and no editor can approve {them}"
    ]
    for change in withdrawn:
        # The title was cleaned of control characters when the change was stored.
        found = change.occurred_at.strftime("%Y-%m-%d %H:%M UTC")
        lines.append(
            f"  ! change {change.id} of {change.source_url}: «{change.title}» "
            f"({change.status.value}, found {found})"
        )
    return lines


def pushed_lines(pushed: list[ContentChanged], *, done: bool = False) -> list[str]:
    """Return the publishers' pushes an apply would withdraw (or, ``done``, withdrew): they wait
    for a poll of a review source it removes (docs/publishing.md), and are never sent."""
    if not pushed:
        return []
    waited = "that waited" if done else "waiting"
    one = len(pushed) == 1
    were, was = (_was(one), "was") if done else ("would be", "is")
    their, they = ("its", "it") if one else ("their", "they")
    return [
        f"{_pushed(pushed)} {waited} for {their} page to be read {were} withdrawn,"
        f" as {their} source {was} removed and its changes wait for review: {they} will never"
        " be sent",
        *_push_lines("!", pushed),
    ]


def sent_lines(sent: list[ContentChanged], *, done: bool = False) -> list[str]:
    """Return the publishers' pushes an apply would send (or, ``done``, sent) as they came: they
    wait for a poll of a source it pauses or removes, which will not come."""
    if not sent:
        return []
    one = len(sent) == 1
    waited, were = ("that waited", _was(one)) if done else ("waiting", "would be")
    their, they = ("its", "it") if one else ("their", "they")
    return [
        f"{_pushed(sent)} {waited} for {their} page to be read {were} sent as {they}"
        f" came, as {their} source is no longer polled",
        *_push_lines("+", sent),
    ]


def desk_lines(to_desk: list[ContentChanged], *, done: bool = False) -> list[str]:
    """Return the publishers' pushes an apply would put (or, ``done``, put) on the editors' desk:
    they wait for a poll of a source it takes out of review mode, and came in under review."""
    if not to_desk:
        return []
    one = len(to_desk) == 1
    waited, were = ("that waited", _was(one)) if done else ("waiting", "would be")
    their, they, them = ("its", "it", "it") if one else ("their", "they", "them")
    return [
        f"{_pushed(to_desk)} {waited} for {their} page to be read {were} put on the"
        f" editors' desk, as {they} came while {their} source was in review mode: nobody is"
        f" alerted until an editor approves {them}",
        *_push_lines(">", to_desk),
    ]


def _pushed(changes: list[ContentChanged]) -> str:
    return counted(len(changes), "pushed change")


def _was(one: bool) -> str:
    return "was" if one else "were"


def _push_lines(mark: str, pushes: list[ContentChanged]) -> list[str]:
    return [
        f"  {mark} change {change.event_id} of {change.source_url}: «{change.title}» (pushed "
        + change.occurred_at.strftime("%Y-%m-%d %H:%M UTC)")
        for change in pushes
    ]


@catalogue_cli.command("export")
def export(
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="write the TOML to this file (default: stdout); a device, pipe or link is refused",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="replace the --out file if it exists")
    ] = False,
) -> None:
    """Write the catalogue in force as a TOML file that `varsel catalogue apply` takes back."""
    settings = command_settings()

    async def read(session: AsyncSession) -> catalogue_rows.Stored:
        return await catalogue_rows.load(session)

    stored = _in_database(settings, read)
    if stored.version == 0:
        typer.echo(
            "varsel: the database holds no catalogue yet; start varsel or apply a file", err=True
        )
        raise typer.Exit(1)
    text = dump_catalogue(stored.catalogue)
    if out is None:
        typer.echo(text, nl=False)
        return
    # An operator's own catalogue file holds comments an export does not bring back.
    try:
        with NewFile(out, force=force) as target:
            target.write(text)
    except (Exists, CannotWrite) as exc:
        typer.echo(f"varsel: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"varsel: wrote {out} (version {stored.version})", err=True)
