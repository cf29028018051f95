"""Staff commands say their counts in English as it is written: one row, two rows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Any, cast

import pytest
from typer.testing import CliRunner

from services.admin.entrypoints.catalogue_cli import (
    desk_lines,
    pushed_lines,
    sent_lines,
    withdrawal_lines,
)
from shared.commands import counted
from varsel.cli import app


class _Status(Enum):
    WAITING = "waiting"


@dataclass(frozen=True)
class _Change:
    """What the lines read of a change on the desk or a held push."""

    id: uuid.UUID
    event_id: uuid.UUID
    source_url: str = "https://example.org/verden"
    title: str = "Ny veileder"
    occurred_at: datetime = datetime(2026, 11, 17, 9, 30, tzinfo=UTC)
    status: _Status = _Status.WAITING


def _changes(number: int) -> Any:
    return cast(Any, [_Change(id=uuid.uuid4(), event_id=uuid.uuid4()) for _ in range(number)])


@pytest.mark.parametrize(
    ("number", "said"), [(0, "0 consent ledger rows"), (1, "1 consent ledger row"),
                         (2, "2 consent ledger rows")],
)  # fmt: skip
def test_a_count_is_singular_for_one_alone(number: int, said: str) -> None:
    # Before, `varsel admin export-ledger` said «exported 1 consent ledger rows».
    assert counted(number, "consent ledger row") == said
    assert counted(number, "entry", "entries").endswith("entry" if number == 1 else "entries")


@pytest.mark.parametrize("done", [False, True])
def test_the_lines_of_an_apply_agree_with_their_count(done: bool) -> None:
    # Before: «1 change(s) … were withdrawn, as their source was removed …» for one change.
    for lines in (withdrawal_lines, pushed_lines, sent_lines, desk_lines):
        one, two = lines(_changes(1), done=done)[0], lines(_changes(2), done=done)[0]
        assert "(s)" not in one + two
        assert one.startswith("1 ") and " its " in one and " their " not in one
        assert " were " not in one and " them" not in one and " they " not in one
        assert two.startswith("2 ") and " their " in two and " was withdrawn" not in two


ONE_OF_EACH = (
    'topics = [{ slug = "verden", title = { nb = "Verden" } }]\n'
    'sources = [{ url = "https://www.fhi.no/", kind = "page", topics = ["verden"] }]\n'
)


def test_check_config_says_one_topic_and_one_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before: «varsel: 1 topics and 1 sources are valid».
    (tmp_path / "one.toml").write_text(ONE_OF_EACH)
    monkeypatch.setenv("VARSEL_CONFIG", str(tmp_path / "one.toml"))
    monkeypatch.setenv("VARSEL_VAR_DIR", str(tmp_path / "var"))
    said = CliRunner().invoke(app, ["check-config"]).output.splitlines()
    assert said[0] == "varsel: 1 topic and 1 source are valid", said
