"""Files a command writes with ``--out``: whole or not at all, and never over one by surprise.

A data-protection officer keeps ledger exports as evidence, and an operator's catalogue file may
hold comments no export brings back: an existing file is replaced only with ``--force``. The
text goes to a new file beside the target, renamed to it once written and on disk, so a full
disk, a quota or Ctrl-C midway leaves the earlier file as it was and no half file.

That rename would put a file in the place of whatever had the name: a device, a named pipe a
reader waits on, a symbolic link such as /dev/stdout. ``--out`` writes regular files
only, with or without ``--force``; a device or a pipe is written to through standard output,
and a link is refused rather than followed, so what replaces what is never in doubt.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path
from types import TracebackType


class CannotWrite(Exception):
    """The file could not be written; the message names it, says why, and that an earlier
    file of the name is as it was."""

    def __init__(self, out: Path, problem: OSError | str) -> None:
        reason = problem if isinstance(problem, str) else problem.strerror or str(problem)
        kept = f"; {out} is as it was" if _kind(out) == "file" else ""
        super().__init__(f"cannot write {out}: {reason}{kept}")


class Exists(Exception):
    """The file exists and ``--force`` was not given."""

    def __init__(self, out: Path) -> None:
        super().__init__(f"{out} exists; give --force to replace it, or another --out")


def _kind(out: Path) -> str | None:
    """Say what has the name ``out`` itself (a link is not followed), or None if nothing."""
    try:
        mode = os.lstat(out).st_mode
    except FileNotFoundError:
        return None
    except OSError:
        return None  # a folder on the way that cannot be read: mkstemp says why
    kinds = (
        (stat.S_ISREG, "file"),
        (stat.S_ISDIR, "folder"),
        (stat.S_ISLNK, "symbolic link"),
        (stat.S_ISCHR, "device"),
        (stat.S_ISBLK, "device"),
        (stat.S_ISFIFO, "named pipe"),
        (stat.S_ISSOCK, "socket"),
    )
    return next((kind for test, kind in kinds if test(mode)), "special file")


def _refuse_all_but_a_file(out: Path) -> None:
    """Raise ``CannotWrite`` if ``out`` names anything but a regular file or nothing."""
    kind = _kind(out)
    if kind in (None, "file"):
        return
    if kind == "folder":
        raise CannotWrite(out, "it is a folder")
    if kind == "symbolic link":
        raise CannotWrite(
            out,
            f"it is a symbolic link (to {os.readlink(out)}), which --out neither follows nor "
            "replaces; give the file's own path, or leave out --out to write to standard output",
        )
    raise CannotWrite(
        out,
        f"it is a {kind}, not a regular file, and --out (with or without --force) writes only "
        "regular files; leave out --out to write to standard output, and send that where "
        "it should go",
    )


class NewFile:
    """Text for ``out``, written beside it and renamed to it when the block ends without error.

    Created 0600, as ``mkstemp`` makes files: what commands export holds pseudonymous personal
    data or names staff accounts. Write errors are raised as ``CannotWrite``, told apart from
    whatever else the block does (a database's connection errors are OSErrors too).
    """

    def __init__(self, out: Path, *, force: bool) -> None:
        _refuse_all_but_a_file(out)
        if out.exists() and not force:
            raise Exists(out)
        self.out = out
        try:
            descriptor, name = tempfile.mkstemp(
                prefix=f".{out.name}.", suffix=".tmp", dir=out.parent
            )
        except OSError as exc:
            raise CannotWrite(out, exc) from exc
        self._temporary = Path(name)
        # newline="": what is written carries its own line endings (CSV's are CRLF).
        self._file = os.fdopen(descriptor, "w", encoding="utf-8", newline="")

    def write(self, text: str) -> None:
        """Write text to the new file."""
        try:
            self._file.write(text)
        except OSError as exc:
            raise CannotWrite(self.out, exc) from exc

    def __enter__(self) -> NewFile:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            if exc is None:
                self._publish()
        finally:
            with contextlib.suppress(OSError):
                self._file.close()  # flushed already, or failing: what it holds is dropped
            with contextlib.suppress(FileNotFoundError):
                self._temporary.unlink()  # gone after the rename; after a failure, half a file

    def _publish(self) -> None:
        try:
            self._file.flush()
            os.fsync(self._file.fileno())  # on disk before it takes the name
            self._file.close()
            # Checked again: a long export gives time for something else to take the name.
            _refuse_all_but_a_file(self.out)
            os.replace(self._temporary, self.out)
        except OSError as exc:
            raise CannotWrite(self.out, exc) from exc
