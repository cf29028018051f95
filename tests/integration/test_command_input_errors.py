"""A command whose standard input or other system call fails says what failed, not the database."""

from __future__ import annotations

import errno
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.databases import migrated_sqlite
from varsel.os_errors import os_error_without_a_file


@pytest.mark.parametrize(
    "argv",
    [
        ["admin", "create-user", "kari", "--role", "operator", "--password-stdin"],
        ["admin", "erase", "-", "--reason", "asked by letter"],
    ],
    ids=["create-user --password-stdin", "erase -"],
)
def test_standard_input_that_cannot_be_read_is_not_blamed_on_the_database(
    argv: list[str], tmp_path: Path
) -> None:
    # Standard input opened for writing only (`0>file` instead of `0<file`): every read fails
    # with EBADF, an OSError naming no file, as a refused database connection is.
    url = migrated_sqlite(tmp_path / "varsel.db")
    env = {**os.environ, "VARSEL_DATABASE_URL": url, "VARSEL_VAR_DIR": str(tmp_path / "var")}
    with open(tmp_path / "written", "wb") as write_only:
        done = subprocess.run(
            [sys.executable, "-m", "varsel", *argv],
            stdin=write_only,
            capture_output=True,
            env=env,
            timeout=60,
            check=False,
        )
    assert done.returncode == 1, done.stderr
    # Before: «Bad file descriptor; is the server VARSEL_DATABASE_URL names reachable?»
    assert done.stderr.decode() == "varsel: cannot read the standard input: Bad file descriptor\n"


def _fail_in_a_step() -> None:
    raise OSError(errno.EIO, os.strerror(errno.EIO))


def test_a_system_error_outside_the_database_client_names_where_it_arose() -> None:
    try:
        _fail_in_a_step()
    except OSError as exc:
        said = os_error_without_a_file(exc, exc.strerror or "")
    assert "VARSEL_DATABASE_URL" not in said
    assert said.startswith("Input/output error (a system error in ")
    assert "_fail_in_a_step" in said


def test_an_address_typed_at_a_terminal_ends_at_enter(tmp_path: Path) -> None:
    # Typed rather than piped, to keep it out of the shell's history: reading to the end of
    # the input waited for Ctrl-D after the Enter that ends the address.
    url = migrated_sqlite(tmp_path / "varsel.db")
    env = {**os.environ, "VARSEL_DATABASE_URL": url, "VARSEL_VAR_DIR": str(tmp_path / "var")}
    typing, terminal = pty.openpty()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "varsel", "admin", "erase", "-", "--reason", "asked by letter"],
            stdin=terminal,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
        )
        os.write(typing, b"kari@example.no\n")
        output, _ = process.communicate(timeout=60)
    finally:
        os.close(typing)
        os.close(terminal)
    # Nobody has that address here: the command looked and said so, it did not wait on.
    assert process.returncode == 1, output
    assert b"nothing changed" in output, output
