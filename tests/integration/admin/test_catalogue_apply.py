"""``varsel catalogue apply`` and ``export``: the plan, one transaction, refusals, the record."""

from __future__ import annotations

import asyncio
import getpass
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from services.admin import catalogue as commands
from services.admin.adapters.tables import AdminAuditEntry, CatalogueState
from shared.catalogue_file import parse_catalogue_text
from shared.clock import SystemClock
from shared.db import create_engine, session_factory
from shared.events import CatalogueChanged
from shared.outbox import OutboxRow
from tests.integration.admin.catalogue_support import (
    FIRST,
    catalogue,
    cli,
    read_scalar,
    write,
)
from varsel.cli import app as varsel_cli

__all__ = ["cli"]  # the fixture, used by name


# Changes a title, a source's interval and selector; adds a topic and a source; retires a
# topic and drops its source; pauses nothing.
SECOND = """
[[topics]]
slug = "norge-i-verden"
title = { nb = "Norge i verden", nn = "Noreg i verda", en = "Norway in the world" }
related = ["helsenyheter"]

[[topics]]
slug = "helsenyheter"
title = { nb = "Helsenyheter" }

[[topics]]
slug = "nytt-tema"
title = { nb = "Nytt tema" }

[[sources]]
url = "https://example.org/verden"
kind = "page"
topics = ["norge-i-verden"]
interval = "1h"
selector = "main"

[[sources]]
url = "https://example.org/ny"
kind = "feed"
topics = ["nytt-tema", "helsenyheter"]
paused = true
"""

WRONG = """
[[topics]]
slug = "norge-i-verden"
title = { nb = "Norge i verden" }

[[sources]]
url = "https://example.org/verden"
kind = "page"
topics = ["norge-i-verden"]

[[sources]]
url = "https://example.org/feil"
kind = "page"
topics = ["norge-i-verdne"]
"""


def _version(database_url: str) -> int | None:
    return read_scalar(database_url, select(CatalogueState.version))  # type: ignore[no-any-return]


def test_plan_shows_every_kind_of_change_and_dry_run_changes_nothing(
    cli: CliRunner, database_url: str, tmp_path: Path
) -> None:
    first = catalogue(cli, "apply", str(write(tmp_path, "first.toml", FIRST)))
    assert first.exit_code == 0, first.output
    assert "5 to add, 0 to change, 0 to retire" in first.output
    assert "+ topic gammelt-tema: added" in first.output
    exported_first = catalogue(cli, "export").stdout

    second = write(tmp_path, "second.toml", SECOND)
    dry = catalogue(cli, "apply", str(second), "--dry-run")
    assert dry.exit_code == 0, dry.output
    lines = dry.output.splitlines()
    assert "2 to add, 2 to change, 2 to retire" in lines
    assert "  ~ topic norge-i-verden: changed (title)" in lines
    assert "  + topic nytt-tema: added" in lines
    assert "  - topic gammelt-tema: retired" in lines
    assert "  ~ source https://example.org/verden: changed (interval, selector)" in lines
    assert "  + source https://example.org/ny: added" in lines
    assert "  - source https://example.org/gammel: retired" in lines
    assert "nothing was changed" in dry.output
    assert catalogue(cli, "export").stdout == exported_first
    assert _version(database_url) == 1

    applied = catalogue(cli, "apply", str(second))
    assert applied.exit_code == 0, applied.output
    assert "2 to add, 2 to change, 2 to retire" in applied.output
    assert "version 2" in applied.output
    exported = catalogue(cli, "export", "--out", str(tmp_path / "export.toml"))
    assert exported.exit_code == 0, exported.output
    # Round trip: what export writes, apply takes back as it is.
    again = catalogue(cli, "apply", str(tmp_path / "export.toml"))
    assert again.exit_code == 0 and "no changes" in again.output, again.output
    assert _version(database_url) == 2
    text = (tmp_path / "export.toml").read_text(encoding="utf-8")
    assert 'interval = "1h"' in text and "paused = true" in text
    # An ended topic is written back as ended, so applying the export leaves it so.
    assert 'slug = "gammelt-tema"\nretired = true' in text


def test_every_change_is_audited_and_announced(
    cli: CliRunner, database_url: str, tmp_path: Path
) -> None:
    assert catalogue(cli, "apply", str(write(tmp_path, "first.toml", FIRST))).exit_code == 0
    assert catalogue(cli, "apply", str(write(tmp_path, "second.toml", SECOND))).exit_code == 0
    assert catalogue(cli, "apply", str(tmp_path / "second.toml")).exit_code == 0  # no change

    async def entries() -> list[AdminAuditEntry]:
        engine = create_engine(database_url)
        try:
            async with session_factory(engine)() as session:
                query = select(AdminAuditEntry).where(AdminAuditEntry.action == "catalogue_applied")
                return list((await session.scalars(query.order_by(AdminAuditEntry.id))).all())
        finally:
            await engine.dispose()

    audited = asyncio.run(entries())
    assert [e.actor for e in audited] == [f"cli:{getpass.getuser()}"] * 2
    assert audited[1].target == str(tmp_path / "second.toml")
    assert audited[1].details is not None
    assert audited[1].details["retired"] == [
        "topics:gammelt-tema",
        "sources:https://example.org/gammel",
    ]
    assert audited[1].details["changed"][0] == "topics:norge-i-verden (title)"
    assert audited[1].details["version"] == 2
    events = OutboxRow.event_type == CatalogueChanged.type_name()
    assert read_scalar(database_url, select(func.count()).select_from(OutboxRow).where(events)) == 2


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            WRONG,
            "[[sources]] entry 2 (https://example.org/feil): unknown topic(s) ['norge-i-verdne']",
        ),
        (FIRST.replace('kind = "page"', 'kind = "video"', 1), "[[sources]] entry 1"),
        (FIRST.replace('interval = "15m"', 'interval = "soon"'), "is not an interval"),
        (
            FIRST.replace('interval = "15m"', 'interval = "15m"\npaused = "ja"'),
            "paused",
        ),
        ("[[topics]\nslug =", "not valid TOML"),
        (
            FIRST.replace("https://example.org/verden", "https://kari:hemmelig@example.org/verden"),
            "[[sources]] entry 1 (https://example.org/verden): url: Value error, holds a user "
            "name or password (user:password@): leave them out",
        ),
        (
            FIRST.replace(
                'slug = "helsenyheter"', 'slug = "helsenyheter"\npage = "https://kari@x.no/"'
            ),
            "[[topics]] entry 2 (helsenyheter): page: Value error, holds a user name or password",
        ),
        (
            FIRST.replace("https://example.org/verden", "https://example.org/ver\u200bden"),
            "[[sources]] entry 1 (https://example.org/ver\u200bden): url: Value error, holds an "
            "invisible format character",
        ),
        (
            FIRST.replace(
                'slug = "helsenyheter"', 'slug = "helsenyheter"\npage = "https://x.no/\u202efdp"'
            ),
            "[[topics]] entry 2 (helsenyheter): page: Value error, holds an invisible format",
        ),
        (
            FIRST.replace("https://example.org/verden", "https://example.org:99999/verden"),
            "[[sources]] entry 1 (https://example.org:99999/verden): url: Value error, has a "
            "port no connection can use",
        ),
        (
            FIRST.replace("https://example.org/verden", "https://example..org/verden"),
            "[[sources]] entry 1 (https://example..org/verden): url: Value error, names no "
            "host a request can reach",
        ),
        (
            FIRST.replace("https://example.org/gammel", "https://EXAMPLE.org/verden/#nytt"),
            "[[sources]] url 'https://EXAMPLE.org/verden/#nytt' is the page "
            "'https://example.org/verden' watches, under another spelling: it would be polled "
            "twice and each of its changes mailed twice",
        ),
    ],
)
def test_a_wrong_file_is_refused_whole_and_changes_nothing(
    cli: CliRunner, database_url: str, tmp_path: Path, text: str, problem: str
) -> None:
    assert catalogue(cli, "apply", str(write(tmp_path, "first.toml", FIRST))).exit_code == 0
    before = catalogue(cli, "export").stdout
    wrong = write(tmp_path, "wrong.toml", text)
    refused = catalogue(cli, "apply", str(wrong))
    assert refused.exit_code == 2
    assert str(wrong) in refused.output and problem in refused.output, refused.output
    assert "hemmelig" not in refused.output
    assert "nothing was changed" in refused.output
    assert catalogue(cli, "export").stdout == before
    assert _version(database_url) == 1
    missing = catalogue(cli, "apply", str(tmp_path / "absent.toml"))
    assert missing.exit_code == 2 and "not found" in missing.output
    # The file was named on the command line: no setting to point at.
    assert str(tmp_path / "absent.toml") in missing.output
    assert "VARSEL_CONFIG" not in missing.output


def test_direction_overrides_in_a_topic_s_texts_are_left_out(
    cli: CliRunner, tmp_path: Path
) -> None:
    pasted = FIRST.replace(
        'title = { nb = "Helsenyheter" }',
        'title = { nb = "Helse\u202enyheter\u202c" }\nsection = { nb = "\u2066FHI\u2069" }\n'
        'description = { nb = "Om \u202ehelse." }',
    )
    applied = catalogue(cli, "apply", str(write(tmp_path, "pasted.toml", pasted)))
    assert applied.exit_code == 0, applied.output
    text = catalogue(cli, "export").stdout
    # Left out of what is stored, not merely of what is read back.
    assert not {"\u202e", "\u202c", "\u2066", "\u2069"} & set(text) and "\\u" not in text
    exported = parse_catalogue_text(text, "export")
    topic = exported.topic("helsenyheter")
    assert topic is not None
    assert (topic.title, topic.section, topic.description) == (
        {"nb": "Helsenyheter"},
        {"nb": "FHI"},
        {"nb": "Om helse."},
    )


def test_export_keeps_an_existing_file_unless_forced(cli: CliRunner, tmp_path: Path) -> None:
    # The operator's own file, with the comments that say why each source is there.
    own = write(tmp_path, "catalogue.toml", "# why we watch these pages\n" + FIRST)
    assert catalogue(cli, "apply", str(own)).exit_code == 0
    kept = catalogue(cli, "export", "--out", str(own))
    assert kept.exit_code == 1
    assert kept.stderr == f"varsel: {own} exists; give --force to replace it, or another --out\n"
    assert own.read_text(encoding="utf-8").startswith("# why we watch these pages\n")

    forced = catalogue(cli, "export", "--out", str(own), "--force")
    assert forced.exit_code == 0, forced.output
    assert forced.stderr == f"varsel: wrote {own} (version 1)\n"
    assert own.read_text(encoding="utf-8") == catalogue(cli, "export").stdout
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_export_before_any_catalogue_says_so(cli: CliRunner) -> None:
    empty = catalogue(cli, "export")
    assert empty.exit_code == 1 and "holds no catalogue yet" in empty.output


def test_an_unmigrated_database_and_an_unwritable_export_are_said_plainly(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = write(tmp_path, "first.toml", FIRST)
    assert catalogue(cli, "apply", str(first)).exit_code == 0
    unwritable = catalogue(cli, "export", "--out", str(tmp_path / "no-such-folder" / "x.toml"))
    assert unwritable.exit_code == 1 and "cannot write" in unwritable.output
    folder = catalogue(cli, "export", "--out", str(tmp_path))
    assert folder.exit_code == 1
    assert folder.stderr == f"varsel: cannot write {tmp_path}: it is a folder\n"

    monkeypatch.setenv("VARSEL_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    for args in (("apply", str(first)), ("apply", str(first), "--dry-run"), ("export",)):
        refused = catalogue(cli, *args)
        assert refused.exit_code == 1, refused.output
        assert "varsel migrate" in refused.output and "Traceback" not in refused.output


class _Counted:
    """A progress tracker that remembers what it was told."""

    def __init__(self) -> None:
        self.told_total: list[int] = []
        self.done = 0

    def total(self, count: int) -> None:
        self.told_total.append(count)

    def advance(self, count: int = 1) -> None:
        self.done += count


async def test_an_apply_reports_its_progress_entry_by_entry(database_url: str) -> None:
    tracker = _Counted()
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            await commands.apply(
                session,
                parse_catalogue_text(FIRST, "first.toml"),
                actor="cli:test",
                client="cli",
                origin="first.toml",
                now=SystemClock().now(),
                tracker=tracker,
            )
    finally:
        await engine.dispose()
    assert tracker.told_total == [5] and tracker.done == 5


def test_a_source_every_poll_of_which_would_be_refused_is_refused_as_check_config_refuses_it(
    cli: CliRunner, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Applied before, and then every poll of each was refused by the watcher's address guard,
    # while `varsel check-config` refused the same file.
    assert catalogue(cli, "apply", str(write(tmp_path, "first.toml", FIRST))).exit_code == 0
    before = catalogue(cli, "export").stdout
    private = ("http://127.0.0.1/", "http://[::1%25eth0]/", "http://localhost:8080/")
    text = FIRST + "".join(
        f'[[sources]]\nurl = "{url}"\nkind = "page"\ntopics = ["helsenyheter"]\n'
        for url in (*private, "https://www.fhi.no/")
    )
    wanted = write(tmp_path, "private.toml", text)
    advice = "(set VARSEL_ALLOW_PRIVATE_ADDRESSES=true to allow)"
    said = [
        f"varsel: source {url} would fail at every poll: refused {host}: it resolves to a "
        f"private, loopback or link-local address {advice}"
        for url, host in zip(private, ("127.0.0.1", "::1%25eth0", "localhost"), strict=True)
    ]
    for dry_run in (["--dry-run"], []):
        refused = catalogue(cli, "apply", str(wanted), *dry_run)
        assert refused.exit_code == 2, refused.output
        assert refused.output.splitlines() == [*said, "varsel: nothing was changed"]
    assert catalogue(cli, "export").stdout == before
    assert _version(database_url) == 1
    # check-config says the same of the file.
    monkeypatch.setenv("VARSEL_CONFIG", str(wanted))
    monkeypatch.setenv("VARSEL_VAR_DIR", str(tmp_path / "var"))
    checked = cli.invoke(varsel_cli, ["check-config"])
    assert checked.exit_code == 2 and checked.output.splitlines() == said
    # Where the watcher may fetch them, both take them.
    monkeypatch.setenv("VARSEL_ALLOW_PRIVATE_ADDRESSES", "true")
    assert cli.invoke(varsel_cli, ["check-config"]).exit_code == 0
    applied = catalogue(cli, "apply", str(wanted))
    assert applied.exit_code == 0, applied.output
    assert all(url in catalogue(cli, "export").stdout for url in private)
