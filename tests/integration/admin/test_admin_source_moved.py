"""A source saved under another address is another source: the one it was is removed, and its
changes waiting on the desk are withdrawn. The sources page asks before that, as Remove does,
and ``varsel catalogue apply --dry-run`` lists the changes a file would withdraw."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from services.admin.adapters import catalogue_rows
from services.mailer.adapters import changes
from services.mailer.adapters.tables import ChangeRecord
from services.mailer.domain.review import ChangeStatus
from shared.db import create_engine, session_factory
from shared.events import ContentChanged
from shared.vocabulary import SourceKind
from tests.integration.admin.catalogue_support import (
    FIRST,
    catalogue,
    cli,
    read_scalar,
    write,
)
from tests.integration.admin.desk_support import (
    SOURCE,
    audit,
    detected,
    editor_at_desk,
    source_edit_form,
)
from tests.integration.admin.harness import Harness

__all__ = ["cli"]  # the fixture, used by name

MOVED = "https://example.org/ny-side"


async def _stored_urls(h: Harness) -> list[str]:
    async with h.runtime.sessions() as session:
        return [s.url for s in (await catalogue_rows.load(session)).catalogue.sources]


def _store_waiting(database_url: str, event: ContentChanged) -> None:
    """Store a change on the desk as the mailer does when a review source's poll finds one."""

    async def store() -> None:
        engine = create_engine(database_url)
        try:
            async with session_factory(engine)() as session, session.begin():
                await changes.store(session, event, ChangeStatus.WAITING)
        finally:
            await engine.dispose()

    asyncio.run(store())


async def test_saving_a_source_under_another_address_asks_first_when_changes_wait(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with editor_at_desk(sqlite_url, tmp_path, follower="immediate") as (h, client):
        change_id = await detected(h)

        # An edit that keeps the address keeps the source and its changes: nothing to ask.
        kept = await client.post(
            "/admin/sources?lang=en",
            data={**await source_edit_form(client, SOURCE), "interval": "1h"},
        )
        assert kept.status_code == 303, kept.text

        moved = {**await source_edit_form(client, SOURCE), "url": MOVED}
        asked = await client.post("/admin/sources?lang=en", data=moved)
        assert asked.status_code == 200
        assert "Save the source under another address?" in asked.text
        assert "has changes waiting on the editor's desk (1)" in asked.text
        assert 'form="source-form" name="withdraw" value="yes"' in asked.text
        assert f'value="{MOVED}"' in asked.text, "the form keeps what the editor wrote"
        assert await _stored_urls(h) == [SOURCE], "asking saves nothing"
        async with h.runtime.sessions() as session:
            waiting = await session.get(ChangeRecord, change_id)
            assert waiting is not None and waiting.status == "waiting"

        saved = await client.post("/admin/sources?lang=en", data={**moved, "withdraw": "yes"})
        assert saved.status_code == 303, saved.text
        assert await _stored_urls(h) == [MOVED]
        async with h.runtime.sessions() as session:
            withdrawn = await session.get(ChangeRecord, change_id)
            assert withdrawn is not None and withdrawn.status == "withdrawn"
        (entry,) = await audit(h, "change_withdrawn")
        assert (entry.actor, entry.target) == ("ed", str(change_id))


def _a_change_waiting_and_a_file_moving_its_source(
    cli: CliRunner, database_url: str, tmp_path: Path
) -> tuple[ContentChanged, str, Path]:
    """Apply a catalogue with a review source, store a change of it waiting on the desk, and
    write a file naming the source by another address (so applying it removes the source).
    Return the change, the catalogue's text, and the file."""
    reviewed = FIRST.replace('interval = "15m"', 'interval = "15m"\nmode = "review"')
    assert catalogue(cli, "apply", str(write(tmp_path, "first.toml", reviewed))).exit_code == 0
    event = ContentChanged(
        source_id=1,
        source_url="https://example.org/verden",
        kind=SourceKind.PAGE,
        topics=("norge-i-verden",),
        title="Ny veileder",
        url="https://example.org/verden",
        summary="Et nytt avsnitt.",
    )
    _store_waiting(database_url, event)
    moved = write(tmp_path, "moved.toml", reviewed.replace("example.org/verden", "example.org/ny"))
    return event, reviewed, moved


def test_a_dry_run_lists_the_changes_on_the_desk_a_file_would_withdraw(
    cli: CliRunner, database_url: str, tmp_path: Path
) -> None:
    event, reviewed, moved = _a_change_waiting_and_a_file_moving_its_source(
        cli, database_url, tmp_path
    )
    # The file names the source by another address: it would be removed, its change withdrawn.
    dry = catalogue(cli, "apply", str(moved), "--dry-run")
    assert dry.exit_code == 0, dry.output
    lines = dry.output.splitlines()
    assert "  - source https://example.org/verden: retired" in lines
    assert (
        "1 change waiting on the editor's desk would be withdrawn, as its source is "
        "removed: nobody will be alerted about it, and no editor can approve it" in lines
    )
    found = event.occurred_at.strftime("%Y-%m-%d %H:%M UTC")
    assert (
        f"  ! change {event.event_id} of https://example.org/verden: «Ny veileder» "
        f"(waiting, found {found})" in lines
    )
    assert "nothing was changed" in dry.output
    status = select(ChangeRecord.status).where(ChangeRecord.id == event.event_id)
    assert read_scalar(database_url, status) == "waiting"

    # A file that keeps the source withdraws nothing, and says nothing of the desk.
    kept = catalogue(cli, "apply", str(write(tmp_path, "kept.toml", reviewed)), "--dry-run")
    assert "would be withdrawn" not in kept.output


def test_a_real_apply_says_which_changes_on_the_desk_it_withdrew(
    cli: CliRunner, database_url: str, tmp_path: Path
) -> None:
    event, _, moved = _a_change_waiting_and_a_file_moving_its_source(cli, database_url, tmp_path)
    applied = catalogue(cli, "apply", str(moved))
    assert applied.exit_code == 0, applied.output
    lines = applied.output.splitlines()
    assert (
        "1 change that waited on the editor's desk was withdrawn, as its source was "
        "removed: nobody will be alerted about it, and no editor can approve it" in lines
    )
    found = event.occurred_at.strftime("%Y-%m-%d %H:%M UTC")
    assert (
        f"  ! change {event.event_id} of https://example.org/verden: «Ny veileder» "
        f"(waiting, found {found})" in lines
    )
    status = select(ChangeRecord.status).where(ChangeRecord.id == event.event_id)
    assert read_scalar(database_url, status) == "withdrawn"

    # Applied again, nothing more is withdrawn, and nothing is said of the desk.
    again = catalogue(cli, "apply", str(moved))
    assert again.exit_code == 0 and "withdrawn" not in again.output
