"""The ``varsel`` command."""

from __future__ import annotations

import functools
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Annotated, Any, Final, cast

import typer
from typer.core import TyperGroup

from varsel.command_output import InputFailed, OutputFailed, marked_stdin, marked_stdout
from varsel.os_errors import os_error_without_a_file

if TYPE_CHECKING:
    from sqlalchemy.exc import DBAPIError

    from shared.settings import Settings

# Each command imports what it needs when it runs: all of varsel's services together are more
# than a second of CPU (bench/startup.py), which `varsel --help`, `varsel migrate` and a
# service run alone would otherwise pay before doing anything.

# PostgreSQL's SQLSTATE for a connection to a database the server does not have.
_NO_SUCH_DATABASE: Final = "3D000"


def _raised_by(exc: Exception, module: str, name: str) -> bool:
    """Tell whether ``exc`` is the library's error ``module.name``, without importing it.

    A command that never imported the library cannot have raised its error.
    """
    loaded = sys.modules.get(module)
    return loaded is not None and isinstance(exc, getattr(loaded, name))


def _explain(exc: Exception) -> str | None:
    """Say in one line why a command could not use the database, the data folder or its output."""
    if isinstance(exc, OutputFailed):
        # A full disk under `> file`, a quota, /dev/full: no server is to blame.
        return f"cannot write the output: {exc.strerror or exc}"
    if _raised_by(exc, "sqlalchemy.exc", "DBAPIError"):
        return _database_unusable(cast("DBAPIError", exc))
    if _raised_by(exc, "alembic.util.exc", "CommandError"):
        said = str(exc).splitlines()[0]
        if said.startswith("admin accounts whose names"):
            return f"cannot migrate the database: {said[:400]}"  # what to do is said in it
        return (
            f"cannot migrate the database: {said[:200]} "
            "(a database a newer release migrated is not taken back by an older one)"
        )
    if isinstance(exc, InputFailed):
        # `--password-stdin 0>file`, a terminal that went away: no server is to blame either.
        return f"cannot read the standard input: {exc.strerror or exc}"
    if isinstance(exc, OSError):
        # A data folder that is a file or cannot be written, a database server that refuses
        # the connection: the system's words and the path say it.
        problem = exc.strerror or str(exc) or _wordless(exc)
        if exc.filename:
            return f"cannot use {exc.filename}: {problem}"
        return os_error_without_a_file(exc, problem)
    return None


def _database_unusable(exc: DBAPIError) -> str:
    """Say why a command could not use the database, from the driver's first line."""
    from shared.commands import database_problem

    # The driver's first line says what is wrong (no such table, unknown role); the statement
    # and its traceback help nobody at the terminal.
    if getattr(exc.orig, "sqlstate", None) == _NO_SUCH_DATABASE:
        # `varsel migrate` makes tables, not the database: it failed the same way.
        return (
            f"cannot use the database ({database_problem(exc)}); check the name in "
            "VARSEL_DATABASE_URL, or make the database on the server (CREATE DATABASE, "
            "or createdb), then run `varsel migrate`"
        )
    return (
        f"cannot use the database ({database_problem(exc)}); check VARSEL_DATABASE_URL, "
        "and run `varsel migrate` if the database is new"
    )


def _wordless(exc: OSError) -> str:
    """Say what an error without words is: asyncpg's timeouts are a bare TimeoutError."""
    # Said as it was, the line read «varsel: ; is the server VARSEL_DATABASE_URL names reachable?»
    return "timed out" if isinstance(exc, TimeoutError) else type(exc).__name__


@functools.cache
def _admin_commands() -> typer.Typer:
    """Return the staff commands (``varsel admin``), with the subscriptions' consent retention."""
    from services.admin.entrypoints.cli import admin_cli
    from services.admin.entrypoints.ledger_cli import export_ledger
    from services.admin.entrypoints.publisher_cli import publisher_cli
    from services.subscriptions.entrypoints.cli import purge_consent

    # The consent ledger's retention belongs to the subscriptions service; operators find it
    # among the staff commands, as they always have.
    admin_cli.command("purge-consent")(purge_consent)
    admin_cli.command("export-ledger")(export_ledger)
    admin_cli.add_typer(publisher_cli, name="publishers")
    return admin_cli


def _catalogue_commands() -> typer.Typer:
    """Return the catalogue's commands (``varsel catalogue``)."""
    from services.admin.entrypoints.catalogue_cli import catalogue_cli

    return catalogue_cli


class _Unloaded(TyperGroup):
    """A group of commands named and described in the list, and imported only when it runs.

    The staff commands import the admin service and, through it, most of the others: more
    than a second of CPU that `varsel --help` and `varsel run mailer` need not pay.
    """

    def __init__(self, name: str, said: str, load: Callable[[], typer.Typer]) -> None:
        super().__init__(name=name, help=said)
        self._load = load

    def loaded(self) -> TyperGroup:
        """Return the real group, under this one's name and help."""
        group = typer.main.get_group(self._load())
        group.name, group.help = self.name, self.help
        return group


_GROUPS: Final = (
    _Unloaded(
        "admin",
        "Admin accounts, API tokens, ledger exports and consent retention.",
        _admin_commands,
    ),
    _Unloaded(
        "catalogue",
        "The catalogue of topics and sources: apply a TOML file, or export the one in force.",
        _catalogue_commands,
    ),
)


class _Commands(TyperGroup):
    """Every command: a database that cannot be used ends it in one line an operator acts on."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for group in _GROUPS:
            self.add_command(group)

    # Any: Typer's group takes its own vendored click's Context, which it does not export.
    def resolve_command(self, ctx: Any, args: list[str]) -> tuple[str | None, Any, list[str]]:
        """Find the command that runs, loading its group if it was listed unloaded."""
        name, command, rest = super().resolve_command(ctx, args)
        if isinstance(command, _Unloaded):
            command = command.loaded()
        return name, command, rest

    # Any: Typer's group takes its own vendored click's Context, which it does not export.
    def invoke(self, ctx: Any) -> Any:
        try:
            with marked_stdin(), marked_stdout():
                return super().invoke(ctx)
        except BrokenPipeError as exc:
            # Piped into `head` or a pager that was closed: the reader went away. Python would
            # try to flush what is left at exit and complain a second time; let it flush nowhere.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            typer.echo(
                "varsel: stopped: what read its output (head, a pager) closed it before the end",
                err=True,
            )
            raise typer.Exit(1) from exc
        except Exception as exc:
            said = _explain(exc)
            if said is None:
                raise
            typer.echo(f"varsel: {said}", err=True)
            raise typer.Exit(1) from exc


app = typer.Typer(
    cls=_Commands,
    help="varsel: email alerts when public pages, feeds and reports change.",
    no_args_is_help=True,
)
log = logging.getLogger("varsel")


def _settings() -> Settings:
    from shared.commands import command_settings
    from shared.logs import configure_logging

    settings = command_settings()
    configure_logging(settings.log_level, settings.log_format)
    return settings


def _migrate(settings: Settings) -> bool:
    """Apply the migrations; False, saying so, when a later release's schema is left as it is."""
    from alembic.util import CommandError

    from shared.private_files import private_folder
    from shared.schema import head_revision, is_newer_than_head, migrated_revision, upgrade

    if not settings.database_url:
        private_folder(settings.var_dir)
    timeout = settings.database_connect_timeout_seconds
    current = migrated_revision(settings.resolved_database_url, connect_timeout=timeout)
    if not is_newer_than_head(current):
        try:
            upgrade(settings.resolved_database_url, connect_timeout=timeout)
            return True
        except CommandError:
            # A later release's run held the migration lock meanwhile (ADR 0031) and left a
            # revision this release does not know: read it again, and say so as below.
            current = migrated_revision(settings.resolved_database_url, connect_timeout=timeout)
            if not is_newer_than_head(current):
                raise
    # A later release migrated it, and this one runs on that schema (expand, then contract):
    # after a rollback, compose's `migrate` on every `up`, a Job of the older release and the
    # embedded `varsel run --migrate` must let the services start.
    typer.echo(
        f"varsel: the database is at revision {current!r}, which a later release made; "
        f"this release (newest {head_revision()!r}) runs on it, so there is nothing to do"
    )
    return False


def _schema_behind(settings: Settings) -> str | None:
    """Say why the database's schema is older than this release's, or None if it is not."""
    from shared.schema import head_revision, is_newer_than_head, migrated_revision

    current = migrated_revision(
        settings.resolved_database_url, connect_timeout=settings.database_connect_timeout_seconds
    )
    if current is None:
        return "the database is not migrated"
    head = head_revision()
    if current == head or is_newer_than_head(current):
        return None  # a later release's schema is one this release runs on (see _migrate)
    return f"the database is at revision {current!r}, older than this release's {head!r}"


@app.command()
def migrate() -> None:
    """Apply the database migrations."""
    if _migrate(_settings()):
        typer.echo("varsel: database is up to date")


@app.command()
def check_config() -> None:
    """Validate the catalogue file and settings without starting anything."""
    from services.subscriptions import bootstrap as subscriptions
    from shared.catalogue_checks import CatalogueError
    from shared.catalogue_file import load_catalogue
    from shared.commands import counted
    from shared.private_addresses import refused_sources
    from shared.web.documents import DocumentError

    settings = _settings()
    try:
        catalogue = load_catalogue(settings.catalogue_path)
        notices = subscriptions.check_documents(settings)
    except (CatalogueError, DocumentError) as exc:
        typer.echo(f"varsel: {exc}", err=True)
        raise typer.Exit(2) from exc
    urls = (source.url for source in catalogue.sources)
    refused = refused_sources(urls, allow_private=settings.allow_private_addresses)
    if refused:
        typer.echo("\n".join(refused), err=True)
        raise typer.Exit(2)
    topics, sources = (
        counted(len(catalogue.topics), "topic"),
        counted(len(catalogue.sources), "source"),
    )
    typer.echo(f"varsel: {topics} and {sources} are valid")
    typer.echo(f"varsel: the privacy notice is valid: {notices}")


def _listening_socket(
    host: str, port: int, *, what: str = "serve HTTP", advice: str = ""
) -> socket.socket:
    """Bind the HTTP address, or end the command in one line saying why it cannot be used."""
    # Bound before anything starts: uvicorn would start every service first, then find the
    # port taken and stop them again, with tracebacks of the jobs it cut short.
    listening = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listening.bind((host, port))
    except OSError as exc:
        listening.close()
        said = f"varsel: cannot {what} on {host}:{port}: {exc.strerror or exc}"
        typer.echo(f"{said}; {advice}" if advice else said, err=True)
        raise typer.Exit(1) from exc
    return listening


def _check_bounce_listener(settings: Settings, services: tuple[str, ...]) -> None:
    """End the command in one line if the bounce listener's address cannot be had."""
    # Its server starts inside the application's start-up, where a taken port failed it in a
    # traceback after every other service had started; the HTTP port is checked the same way.
    host, port = settings.bounce_smtp_host, settings.bounce_smtp_port
    if "bounces" not in services or port is None or not settings.bounce_address:
        return
    advice = "check VARSEL_BOUNCE_SMTP_HOST and VARSEL_BOUNCE_SMTP_PORT"
    _listening_socket(host, port, what="take bounce reports", advice=advice).close()


@app.command()
def run(
    service: Annotated[
        str | None,
        typer.Argument(
            help="subscriptions, watcher, mailer, admin or bounces; all of them if left out"
        ),
    ] = None,
    host: Annotated[str, typer.Option(help="address to serve HTTP on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to serve HTTP on", min=1, max=65535)] = 8000,
    migrate_first: Annotated[
        bool, typer.Option("--migrate/--no-migrate", help="apply migrations first")
    ] = False,
) -> None:
    """Run all services in one process (embedded mode), or one of them."""
    from shared import event_loop
    from shared.broker_reach import broker_problem
    from shared.catalogue_checks import CatalogueError
    from shared.heap import freeze_startup_objects
    from shared.runtime import build_runtime
    from varsel.app import SERVICES, Server, bounce_intake_missing, create_app, server_config

    settings = _settings()
    services = SERVICES if service is None else (service,)
    if service is not None and service not in SERVICES:
        typer.echo(
            f"varsel: unknown service {service!r}; choose from {', '.join(SERVICES)}", err=True
        )
        raise typer.Exit(2)
    if (missing := bounce_intake_missing(settings, services)) is not None:
        # Said before anything is migrated, waited for or bound, and before the line that
        # says the service starts.
        typer.echo(f"varsel: {missing}", err=True)
        raise typer.Exit(2)
    if migrate_first:
        _migrate(settings)
    elif (problem := _schema_behind(settings)) is not None:
        # Started on a database never migrated, or migrated by an older release, every
        # service would fail its first query on a table or column it lacks, in a traceback.
        typer.echo(
            f"varsel: {problem}: run `varsel migrate` first (or `varsel run --migrate`)", err=True
        )
        raise typer.Exit(1)
    if settings.broker_url and (
        problem := broker_problem(settings.broker_url, wait=settings.broker_wait_seconds)
    ):
        # Nothing can be published or consumed: stop here rather than start half a process.
        typer.echo(f"varsel: {problem}", err=True)
        raise typer.Exit(1)
    _check_bounce_listener(settings, services)
    listening = _listening_socket(host, port, advice="check --host and --port")
    try:
        runtime = build_runtime(settings)
    except CatalogueError as exc:
        typer.echo(f"varsel: {exc}", err=True)
        raise typer.Exit(2) from exc
    try:
        built = create_app(runtime, services)
    except ValueError as exc:
        typer.echo(f"varsel: {exc}", err=True)
        raise typer.Exit(2) from exc
    log.info("%s", starting_line(settings, services, host, port))
    database = runtime.engine.url.render_as_string(hide_password=True)
    server = Server(server_config(built, host=host, port=port), database=database)
    # uvicorn shuts down gracefully on SIGTERM, then raises the signal again, which would end the
    # process with status 143. A finished graceful shutdown is a success: exit 0 instead.
    signal.signal(signal.SIGTERM, lambda *_: setattr(server, "should_exit", True))
    freeze_startup_objects()  # everything is imported and built: see shared.heap
    event_loop.run(server.serve(sockets=[listening]))


def starting_line(settings: Settings, services: Sequence[str], host: str, port: int) -> str:
    """Return the line `varsel run` logs as it starts: what runs, where, and where mail goes.

    A watcher turned off (VARSEL_WATCHER_ENABLED=false) polls nothing, so it is not named as
    starting; the line says it is off.
    """
    where = "SMTP" if settings.smtp_url else f"{settings.outbox_dir}/*.eml"
    running = [s for s in services if s != "watcher" or settings.watcher_enabled]
    off = "" if len(running) == len(services) else "; the watcher is off (VARSEL_WATCHER_ENABLED)"
    named = ", ".join(running) or "no service"
    return f"varsel: starting {named} on http://{host}:{port}; mail goes to {where}{off}"


@app.command()
def demo(
    port: Annotated[int, typer.Option(help="port of the varsel pages", min=1, max=65535)] = 8000,
    sample_port: Annotated[
        int, typer.Option(help="port of the local sample site", min=1, max=65535)
    ] = 8001,
    # At least a second: at 0 the sample page was rewritten without pause, each a change.
    change_every: Annotated[
        int, typer.Option(help="seconds between page changes", min=1, max=86_400)
    ] = 60,
) -> None:
    """Serve sample pages locally, watch them, and change one every minute.

    The demo keeps everything in VARSEL_VAR_DIR/demo (var/demo): its own database, outbox and
    sample site, so the installation `varsel run` serves is left as it is.
    """
    from varsel.demo import SampleSiteError, run_demo

    settings = _settings()
    if port == sample_port:
        typer.echo("varsel: --port and --sample-port must differ", err=True)
        raise typer.Exit(2)
    with _listening_socket("127.0.0.1", port, advice="choose another --port") as listening:
        try:
            run_demo(
                settings, listening, port=port, sample_port=sample_port, change_every=change_every
            )
        except SampleSiteError as exc:
            typer.echo(f"varsel: {exc}", err=True)
            raise typer.Exit(1) from exc
