"""What every service's command-line commands need: settings, who runs them, one transaction."""

from __future__ import annotations

import asyncio
import difflib
import getpass
import os
from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Final, TypeVar

import typer
from annotated_types import Ge, Gt, Le, Lt
from pydantic import ValidationError
from pydantic_core import ErrorDetails
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import create_engine, session_factory
from shared.intervals import format_interval
from shared.settings import Settings

T = TypeVar("T")
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar")]


# The errors of a number outside a setting's bounds, which are said as the whole range.
_OUT_OF_RANGE: Final = frozenset(
    {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}
)
_UNITS: Final = frozenset({"days", "minutes", "seconds", "bytes"})
# Settings in seconds that also take an interval as the catalogue writes one ("4h"): their
# bounds are said that way, with both ways to write them.
_INTERVALS: Final = frozenset({"review_reminder_after"})


def _number(value: object) -> str:
    """Write a bound as an operator types it: 36500, 0.01, never 36500.0."""
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _allowed_range(field: str) -> str | None:
    """Say a numeric setting's bounds whole ("must be from 1 to 36500 days"), or None."""
    info = Settings.model_fields.get(field)
    ends: dict[str, str] = {}
    for bound in info.metadata if info else ():
        if isinstance(bound, Ge):
            ends["at least"] = _number(bound.ge)
        elif isinstance(bound, Gt):
            ends["more than"] = _number(bound.gt)
        elif isinstance(bound, Le):
            ends["at most"] = _number(bound.le)
        elif isinstance(bound, Lt):
            ends["less than"] = _number(bound.lt)
    if not ends:
        return None
    if field in _INTERVALS:
        # "from 60 to 2592000" named no unit; these are seconds, or written as intervals.
        ends = {end: format_interval(int(value)) for end, value in ends.items()}
        said = " and ".join(f"{end} {value}" for end, value in ends.items())
        if ends.keys() == {"at least", "at most"}:
            said = f"from {ends['at least']} to {ends['at most']}"
        return f"must be {said} (seconds, or written as 30m, 4h, 2d)"
    unit = field.rpartition("_")[2]
    unit = f" {unit}" if unit in _UNITS else ""
    if ends.keys() == {"at least", "at most"}:
        return f"must be from {ends['at least']} to {ends['at most']}{unit}"
    return f"must be {' and '.join(f'{end} {value}' for end, value in ends.items())}{unit}"


# Pydantic's errors of a value it could not read as the setting's type, and that type as said.
_UNREADABLE: Final = {
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "int_type": "a whole number",
    "float_parsing": "a number",
    "float_type": "a number",
    "bool_parsing": "true or false",
    "bool_type": "true or false",
}


def _unreadable(field: str, kind: str) -> str:
    """Say what a number or a switch must be: its kind, its range and its default."""
    # Pydantic said «Input should be a valid integer, unable to parse string as an integer»,
    # naming neither the range nor that an empty variable keeps the default.
    info = Settings.model_fields.get(field)
    default = info.default if info else None
    shown = str(default).lower() if isinstance(default, bool) else _number(default)
    bounds = (_allowed_range(field) or "must be").removeprefix("must be")
    return (
        f"must be {kind}{bounds}, or empty for the default ({'none' if default is None else shown})"
    )


def _problem(error: ErrorDetails) -> str:
    """Say one wrong setting by its variable, never its value (a URL may hold a password)."""
    field = "_".join(str(part) for part in error["loc"])
    said = error["msg"]
    if error["type"] in _OUT_OF_RANGE:
        # Pydantic names one end ("less than or equal to 36500"); the operator needs both.
        said = _allowed_range(field) or said
    elif error["type"] in _UNREADABLE:
        said = _unreadable(field, _UNREADABLE[error["type"]])
    elif error["type"] == "value_error":
        # Our own checks' words, without pydantic's "Value error, " before them.
        said = str(error.get("ctx", {}).get("error", said))
    if not field:
        # A check of several settings together (DKIM, bounces, production) names them itself.
        return said
    return f"VARSEL_{field.upper()}: {said}"


def misspelt_settings(environ: Mapping[str, str]) -> list[str]:
    """Say each ``VARSEL_`` variable that is no setting but close to one, and the one meant.

    Only a near miss is named: other tools may share the prefix (a test suite's own
    variables), and a setting a later release added is no typo either; none stops start-up.
    """
    known = [name.upper() for name in Settings.model_fields]
    said = []
    for variable in sorted(environ):
        name = variable.removeprefix("VARSEL_")
        if name == variable or name in known:
            continue
        meant = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
        if meant:
            said.append(
                f"{variable} is no setting of varsel and is ignored; "
                f"did you mean VARSEL_{meant[0]}?"
            )
    return said


def command_settings() -> Settings:
    """Read the settings, or end the command with status 2 naming each wrong variable.

    A variable that looks like a misspelt setting is named first, with the setting it is like:
    ignored, it would leave that setting at its default without a word (mail written to files
    instead of sent, a SQLite file instead of PostgreSQL).
    """
    for line in misspelt_settings(os.environ):
        typer.echo(f"varsel: {line}", err=True)
    try:
        return Settings()
    except ValidationError as exc:
        errors = exc.errors()
        problems = [_problem(error) for error in errors]
        if len(problems) == 1:
            # One line, so a log that keeps each line apart keeps the setting with its reason.
            # A check of several settings together names them in its own words.
            said = "invalid setting" if errors[0]["loc"] else "invalid settings:"
            typer.echo(f"varsel: {said} {problems[0]}", err=True)
        else:
            listed = "\n".join(f"  {problem}" for problem in problems)
            typer.echo(f"varsel: invalid settings:\n{listed}", err=True)
        raise typer.Exit(2) from exc


def counted(number: int, noun: str, plural: str = "") -> str:
    """Write a count as a command says it: «1 row», «0 rows», «2 rows» (English only)."""
    return f"{number} {noun if number == 1 else plural or f'{noun}s'}"


def command_actor() -> str:
    """Name who runs a command on the server, as the audit log records it."""
    try:
        return f"cli:{getpass.getuser()}"[:100]
    except OSError:
        return "cli"


def database_problem(exc: DBAPIError) -> str:
    """Return the driver's first line of a database error, without the statement."""
    return str(exc.orig).splitlines()[0][:200] if exc.orig else type(exc).__name__


def in_transaction(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` in one transaction on its own engine, from synchronous command code."""

    async def run() -> T:
        engine = create_engine(
            settings.resolved_database_url,
            connect_timeout=settings.database_connect_timeout_seconds,
        )
        try:
            async with session_factory(engine)() as session, session.begin():
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(run())
