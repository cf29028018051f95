"""A catalogue file applied with `varsel catalogue apply` says what becomes of the pushes that
wait for a page it stops polling or takes out of review (docs/publishing.md): a removed
source's are sent as they came, a removed review source's withdrawn (they would have waited on
the desk), and those of a source whose review mode ends go to the desk; the dry run lists each
the same way.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from services.mailer.adapters.tables import ChangeRecord
from services.watcher.adapters.held_pushes import encoded
from services.watcher.adapters.tables import WatchedSource
from services.watcher.command_api import Push
from services.watcher.domain.push import WatchedMatch, change_event
from shared.db import create_engine, session_factory
from shared.events import ContentChanged
from shared.outbox import OutboxRow
from shared.vocabulary import SourceKind
from tests.integration.admin.catalogue_support import FIRST, catalogue, cli, read_scalar, write

__all__ = ["cli"]  # the fixture, used by name

NOW = datetime(2026, 11, 17, 9, 30, tzinfo=UTC)
WITHDREW = (
    "1 pushed change that waited for its page to be read was withdrawn, as its source"
    " was removed and its changes wait for review: it will never be sent"
)


def test_a_file_that_removes_the_source_says_which_pushes_it_sends(
    cli: CliRunner, database_url: str, tmp_path: Path
) -> None:
    assert catalogue(cli, "apply", str(write(tmp_path, "first.toml", FIRST))).exit_code == 0
    held = _held_for_verden(database_url)
    moved = write(tmp_path, "moved.toml", FIRST.replace("example.org/verden", "example.org/ny"))
    pushed = f"  + change {held.event_id} of {VERDEN}: «Ny veileder» (pushed 2026-11-17 09:30 UTC)"

    dry = catalogue(cli, "apply", str(moved), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert (
        "1 pushed change waiting for its page to be read would be sent as it came, as"
        " its source is no longer polled" in dry.output.splitlines()
    )
    assert pushed in dry.output.splitlines() and "withdrawn" not in dry.output
    assert read_scalar(database_url, select(WatchedSource.held_pushes)) is not None

    applied = catalogue(cli, "apply", str(moved))
    assert (applied.exit_code, "withdrawn" in applied.output) == (0, False), applied.output
    sent = (
        "1 pushed change that waited for its page to be read was sent as it came, as"
        " its source is no longer polled"
    )
    assert {pushed, sent} <= set(applied.output.splitlines())
    assert read_scalar(database_url, select(ChangeRecord.status)) is None  # none withdrawn
    outbox = select(OutboxRow.payload).where(OutboxRow.event_type.like("content.changed%"))
    assert json.loads(read_scalar(database_url, outbox))["event_id"] == str(held.event_id)
    assert read_scalar(database_url, select(WatchedSource.held_pushes)) is None


def test_a_file_that_removes_a_review_source_says_which_pushes_it_withdraws(
    cli: CliRunner, database_url: str, tmp_path: Path
) -> None:
    reviewed, held = _reviewed_and_held(cli, database_url, tmp_path)
    moved = write(tmp_path, "moved.toml", reviewed.replace("example.org/verden", "example.org/ny"))
    pushed = _listed("!", held)

    said = (
        "1 pushed change waiting for its page to be read would be withdrawn, as its "
        "source is removed and its changes wait for review: it will never be sent"
    )
    assert pushed in _dry_run_says(cli, moved, said)
    assert read_scalar(database_url, select(WatchedSource.held_pushes)) is not None

    applied = catalogue(cli, "apply", str(moved))
    assert (applied.exit_code, "editor's desk" in applied.output) == (0, False), applied.output
    assert {pushed, WITHDREW} <= set(applied.output.splitlines())
    withdrawn = select(ChangeRecord.status).where(ChangeRecord.id == held.event_id)
    assert read_scalar(database_url, withdrawn) == "withdrawn"
    assert read_scalar(database_url, select(WatchedSource.held_pushes)) is None


def test_a_file_that_removes_a_paused_source_sends_what_an_earlier_release_left_on_it(
    cli: CliRunner, database_url: str, tmp_path: Path
) -> None:
    paused = FIRST.replace('interval = "15m"', 'interval = "15m"\npaused = true')
    assert catalogue(cli, "apply", str(write(tmp_path, "first.toml", paused))).exit_code == 0
    held = _held_for_verden(database_url, active=False)  # paused before pauses sent them
    moved = write(tmp_path, "moved.toml", paused.replace("example.org/verden", "example.org/ny"))
    pushed = f"  + change {held.event_id} of {VERDEN}: «Ny veileder» (pushed 2026-11-17 09:30 UTC)"

    dry = catalogue(cli, "apply", str(moved), "--dry-run")
    assert dry.exit_code == 0 and pushed in dry.output.splitlines(), dry.output

    applied = catalogue(cli, "apply", str(moved))
    assert applied.exit_code == 0 and pushed in applied.output.splitlines(), applied.output
    outbox = select(OutboxRow.payload).where(OutboxRow.event_type.like("content.changed%"))
    assert json.loads(read_scalar(database_url, outbox))["event_id"] == str(held.event_id)
    assert read_scalar(database_url, select(WatchedSource.held_pushes)) is None


@pytest.mark.parametrize("paused", [False, True])
def test_a_file_that_ends_review_says_which_pushes_go_to_the_desk(
    cli: CliRunner, database_url: str, tmp_path: Path, paused: bool
) -> None:
    reviewed, held = _reviewed_and_held(cli, database_url, tmp_path)
    ended = reviewed.replace('mode = "review"', 'mode = "automatic"' + "\npaused = true" * paused)
    automatic = write(tmp_path, "automatic.toml", ended)
    pushed = _listed(">", held)

    said = (
        "1 pushed change waiting for its page to be read would be put on the editors'"
        " desk, as it came while its source was in review mode: nobody is alerted until an"
        " editor approves it"
    )
    lines = _dry_run_says(cli, automatic, said)
    assert pushed in lines and not any("sent as they came" in line for line in lines)
    assert read_scalar(database_url, select(WatchedSource.held_pushes)) is not None

    applied = catalogue(cli, "apply", str(automatic))
    assert applied.exit_code == 0 and pushed in applied.output.splitlines(), applied.output
    waiting = select(ChangeRecord.status).where(ChangeRecord.id == held.event_id)
    assert read_scalar(database_url, waiting) == "waiting"
    outbox = select(OutboxRow.payload).where(OutboxRow.event_type.like("content.changed%"))
    assert read_scalar(database_url, outbox) is None  # sent to nobody
    assert read_scalar(database_url, select(WatchedSource.held_pushes)) is None


VERDEN = "https://example.org/verden"


def _reviewed_and_held(
    cli: CliRunner, database_url: str, tmp_path: Path
) -> tuple[str, ContentChanged]:
    """Apply the file with its first source in review mode, and hold a push for its page;
    return the file's text and the push."""
    reviewed = FIRST.replace('interval = "15m"', 'interval = "15m"\nmode = "review"')
    assert catalogue(cli, "apply", str(write(tmp_path, "first.toml", reviewed))).exit_code == 0
    return reviewed, _held_for_verden(database_url)


def _dry_run_says(cli: CliRunner, file: Path, said: str) -> list[str]:
    """Run a dry apply of ``file``, check that it says ``said``; return its lines."""
    dry = catalogue(cli, "apply", str(file), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert said in dry.output.splitlines(), dry.output
    return list(dry.output.splitlines())


def _listed(mark: str, held: ContentChanged) -> str:
    """Return the line an apply lists a held push on, marked as what it does with it."""
    pushed = "(pushed 2026-11-17 09:30 UTC)"
    return f"  {mark} change {held.event_id} of {VERDEN}: «Ny veileder» {pushed}"


def _held_for_verden(database_url: str, *, active: bool = True) -> ContentChanged:
    """Hold a push for the file's first source on its row, as the watcher keeps it."""
    push = Push(("norge-i-verden",), VERDEN, "Ny veileder", "Nytt kapittel.", minor=False)
    held = change_event(push, WatchedMatch(1, VERDEN, SourceKind.PAGE), uuid.uuid4(), NOW)
    asyncio.run(_watched_with(database_url, VERDEN, encoded([held]), active=active))
    return held


async def _watched_with(database_url: str, url: str, held: str | None, *, active: bool) -> None:
    """Store the source as the watcher keeps it, with pushes held for its page."""
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            session.add(
                WatchedSource(
                    url=url,
                    kind="page",
                    topics=["norge-i-verden"],
                    interval_seconds=900,
                    status="ok",
                    active=active,
                    held_pushes=held,
                )
            )
    finally:
        await engine.dispose()
