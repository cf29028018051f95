"""``varsel admin create-user`` and ``set-password`` ask for the password only on a terminal.

Each runs as its own process in a session of its own, so it has no controlling terminal
whatever the test runner has; a pseudo-terminal is given where one is meant.
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.databases import migrated_sqlite

PASSWORD = "Fjelltur-i-tåke-med-17-geiter"


def _environment(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "VARSEL_DATABASE_URL": migrated_sqlite(tmp_path / "varsel.db")}


@pytest.mark.parametrize(
    "argv", [["create-user", "kari"], ["set-password", "kari"]], ids=lambda argv: argv[0]
)
def test_without_a_terminal_the_command_says_to_use_password_stdin(
    argv: list[str], tmp_path: Path
) -> None:
    # Before: Python's GetPassWarning and its traceback line, "Warning: Password input may be
    # echoed.", the password read from stdin, then "Aborted." when the repeat found none.
    done = subprocess.run(
        [sys.executable, "-m", "varsel", "admin", *argv],
        cwd=tmp_path,
        env=_environment(tmp_path),
        input=f"{PASSWORD}\n".encode(),
        capture_output=True,
        start_new_session=True,  # no controlling terminal, as under cron or `exec` without -t
        timeout=60,
    )
    assert done.returncode == 2, done
    assert done.stdout == b""
    assert done.stderr.decode() == (
        "varsel: no terminal to ask for the password on: give it on standard input with "
        "--password-stdin\n"
    )


def _read_until(terminal: int, text: str, seen: bytearray) -> str:
    deadline = time.monotonic() + 30
    while text.encode() not in seen:
        assert time.monotonic() < deadline, seen.decode(errors="replace")
        if select.select([terminal], [], [], 0.5)[0]:
            try:
                seen += os.read(terminal, 1024)
            except OSError:  # the other end closed: the command has ended
                break
    return seen.decode(errors="replace")


def test_on_a_terminal_the_password_is_still_asked_for_twice(tmp_path: Path) -> None:
    terminal, its_end = pty.openpty()
    command = subprocess.Popen(
        [sys.executable, "-m", "varsel", "admin", "create-user", "kari", "--role", "operator"],
        cwd=tmp_path,
        env=_environment(tmp_path),
        stdin=its_end,
        stdout=its_end,
        stderr=its_end,
        start_new_session=True,
    )
    os.close(its_end)
    seen = bytearray()
    try:
        # The space is getpass's own prompt, written once echo is off and typed-ahead input
        # flushed: a password sent before it would be lost.
        _read_until(terminal, "Password: ", seen)
        os.write(terminal, f"{PASSWORD}\n".encode())
        _read_until(terminal, "Repeat for confirmation: ", seen)
        os.write(terminal, f"{PASSWORD}\n".encode())
        said = _read_until(terminal, "varsel: created operator 'kari'", seen)
        assert command.wait(timeout=30) == 0, said
    finally:
        command.kill()
        command.wait()
        os.close(terminal)
    assert PASSWORD not in said  # not echoed
    assert "Warning" not in said and "no terminal" not in said
