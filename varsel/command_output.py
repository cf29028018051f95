"""A command's standard output and input, whose failures are told apart from everything else's.

A full disk under ``> ledger.csv``, a quota or /dev/full fail a write with an OSError that
names no file, as a database server that refuses the connection does: the command would blame
the server for a disk. Standard output is written, while a command runs, through a file that
raises its own failures as ``OutputFailed``, so the message says which it was; standard input
(a password or an address given with ``--password-stdin`` or ``-``) is read through one that
raises ``InputFailed``, for a descriptor opened for writing only (``0>file``) or a terminal
that went away.
"""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer, WriteableBuffer


class OutputFailed(OSError):
    """Writing the command's standard output failed; errno and strerror are the system's."""


class InputFailed(OSError):
    """Reading the command's standard input failed; errno and strerror are the system's."""


def _descriptor(stream: object) -> int | None:
    """Return a standard stream's file descriptor, or None if it has none."""
    try:
        return int(stream.fileno())  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError):
        return None


class _MarkedFile(io.FileIO):
    """Standard output's file descriptor, raising its write failures as ``OutputFailed``."""

    def write(self, data: ReadableBuffer, /) -> int:
        try:
            return super().write(data)
        except (BrokenPipeError, InterruptedError):
            raise  # the reader went away: said in its own words; an interrupted write is retried
        except OSError as exc:
            raise OutputFailed(exc.errno, exc.strerror) from exc


@contextlib.contextmanager
def marked_stdout() -> Iterator[None]:
    """Write ``sys.stdout`` through a file that marks its failures, for the block."""
    original = sys.stdout
    descriptor = _descriptor(original)
    if descriptor is None:
        yield  # a test's captured output: no disk to fill
        return
    original.flush()  # what was written before goes first, and nothing is left behind
    sys.stdout = io.TextIOWrapper(
        io.BufferedWriter(_MarkedFile(descriptor, "w", closefd=False)),
        encoding=original.encoding,
        errors=original.errors,
        line_buffering=bool(original.line_buffering),
        write_through=getattr(original, "write_through", False),
    )
    try:
        yield
        sys.stdout.flush()  # what print() left in the buffer fails here, not unseen at exit
    finally:
        sys.stdout = original


class _MarkedInput(io.FileIO):
    """Standard input's file descriptor, raising its read failures as ``InputFailed``."""

    def readinto(self, buffer: WriteableBuffer, /) -> int | None:
        try:
            return super().readinto(buffer)
        except InterruptedError:
            raise  # retried by the buffered reader
        except OSError as exc:
            raise InputFailed(exc.errno, exc.strerror) from exc

    def readall(self) -> bytes:
        # What a buffered reader's read() to the end calls, past readinto.
        try:
            return super().readall()
        except OSError as exc:
            raise InputFailed(exc.errno, exc.strerror) from exc


@contextlib.contextmanager
def marked_stdin() -> Iterator[None]:
    """Read ``sys.stdin`` through a file that marks its failures, for the block."""
    original = sys.stdin
    descriptor = _descriptor(original)
    if descriptor is not None:  # else a test's given input, or none at all
        reader = io.BufferedReader(_MarkedInput(descriptor, "r", closefd=False))
        sys.stdin = io.TextIOWrapper(reader, encoding=original.encoding, errors=original.errors)
    try:
        yield
    finally:
        sys.stdin = original
