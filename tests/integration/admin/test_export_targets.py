"""``--out`` of ``varsel admin export-ledger`` and ``varsel catalogue export`` writes regular files
only: a device, a named pipe or a symbolic link keeps its place, ``--force`` or not."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from tests.integration.admin.catalogue_support import FIRST, catalogue, cli, write
from varsel.cli import app as varsel_cli

__all__ = ["cli"]  # the fixture, used by name

NOT_A_FILE = (
    "not a regular file, and --out (with or without --force) writes only regular files; "
    "leave out --out to write to standard output, and send that where it should go"
)
LINK = (
    "which --out neither follows nor replaces; give the file's own path, "
    "or leave out --out to write to standard output"
)
FORCED = ([], ["--force"])


def export_ledger(cli: CliRunner, out: Path, *args: str) -> Result:
    return cli.invoke(varsel_cli, ["admin", "export-ledger", "--quiet", "--out", str(out), *args])


def export_catalogue(cli: CliRunner, out: Path, *args: str) -> Result:
    return catalogue(cli, "export", "--out", str(out), *args)


COMMANDS: list[tuple[Callable[..., Result], str]] = [
    (export_ledger, "; nothing was exported"),
    (export_catalogue, ""),
]


@pytest.fixture
def applied(cli: CliRunner, tmp_path: Path) -> CliRunner:
    """The command line, on a database that holds a catalogue to export."""
    assert catalogue(cli, "apply", str(write(tmp_path, "first.toml", FIRST))).exit_code == 0
    return cli


@pytest.mark.parametrize(("command", "ending"), COMMANDS)
def test_a_named_pipe_is_left_for_its_reader(
    applied: CliRunner, tmp_path: Path, command: Callable[..., Result], ending: str
) -> None:
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    for forced in FORCED:
        refused = command(applied, pipe, *forced)
        assert refused.exit_code == 1, refused.output
        # Before: status 0, and a file in the pipe's place.
        assert refused.stderr == (
            f"varsel: cannot write {pipe}: it is a named pipe, {NOT_A_FILE}{ending}\n"
        )
        assert stat.S_ISFIFO(os.lstat(pipe).st_mode)
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.parametrize(("command", "ending"), COMMANDS)
def test_a_symbolic_link_and_what_it_names_are_left_as_they_are(
    applied: CliRunner, tmp_path: Path, command: Callable[..., Result], ending: str
) -> None:
    kept = write(tmp_path, "kept.csv", "keep me\n")
    link = tmp_path / "link.csv"
    link.symlink_to("kept.csv")
    dangling = tmp_path / "dangling.csv"
    dangling.symlink_to("nothing-here.csv")
    for path, target in ((link, "kept.csv"), (dangling, "nothing-here.csv")):
        for forced in FORCED:
            refused = command(applied, path, *forced)
            assert refused.exit_code == 1, refused.output
            assert refused.stderr == (
                f"varsel: cannot write {path}: it is a symbolic link (to {target}), "
                f"{LINK}{ending}\n"
            )
            assert os.readlink(path) == target
    assert kept.read_text(encoding="utf-8") == "keep me\n"
    assert not (tmp_path / "nothing-here.csv").exists()


@pytest.mark.parametrize(("command", "ending"), COMMANDS)
def test_a_device_keeps_its_place(
    applied: CliRunner, tmp_path: Path, command: Callable[..., Result], ending: str
) -> None:
    if os.geteuid() != 0:
        # Not a gap under CI: the named pipe above takes the same way through the command.
        pytest.skip("only root makes a device node; the named pipe test covers the same refusal")
    full = tmp_path / "full"  # a second /dev/full, made here, never /dev's own
    os.mknod(full, 0o666 | stat.S_IFCHR, os.makedev(1, 7))
    refused = command(applied, full, "--force")
    assert refused.exit_code == 1, refused.output
    assert refused.stderr == f"varsel: cannot write {full}: it is a device, {NOT_A_FILE}{ending}\n"
    assert stat.S_ISCHR(os.lstat(full).st_mode)
