"""Files and folders that hold people's data, readable and writable by varsel's own user only.

The SQLite database holds every subscriber's address and the outbox folder every mail sent in
embedded mode. Created under the usual umask (022) they would be readable by every account on
the machine, so they are created 0700 (folders) and 0600 (files), and the ones an older version
left open are closed when varsel starts.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

FOLDER_MODE = 0o700
FILE_MODE = 0o600


def _tighten(path: Path, mode: int) -> None:
    """Take away every permission beyond ``mode`` from an existing path."""
    current = stat.S_IMODE(path.stat().st_mode)
    if current & ~mode == 0:
        return
    try:
        path.chmod(current & mode)
    except PermissionError:
        log.warning(
            "%s is readable by other users (mode %o) and varsel may not change that: "
            "run chmod %o on it",
            path,
            current,
            mode,
        )


def _create_folders(path: Path) -> None:
    """Create ``path`` and its missing parents as private folders; leave existing ones alone."""
    missing: list[Path] = []
    while not path.exists():
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=FOLDER_MODE)
        except FileExistsError:
            continue  # another process made it meanwhile
        folder.chmod(FOLDER_MODE)  # whatever the umask took away or let through


def private_folder(path: Path) -> None:
    """Create a folder of varsel's own (and its missing parents) 0700, or close an existing one."""
    _create_folders(path)
    _tighten(path, FOLDER_MODE)


def write_private_file(path: Path, data: bytes) -> None:
    """Write a new file that only varsel's user can read (it must not exist yet)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(descriptor, "wb") as target:
        target.write(data)


def private_sqlite_file(url: str) -> None:
    """Create a SQLite URL's database file 0600 before SQLite does it 0644 (no-op otherwise).

    SQLite gives its WAL and shared-memory files the database file's mode, so those follow.
    """
    parsed = make_url(url)
    name = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or name in ("", ":memory:"):
        return
    if name.startswith("file:"):
        return  # a URI filename; whoever writes one sets its options
    path = Path(name)
    _create_folders(path.parent)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        for existing in (path, Path(f"{name}-wal"), Path(f"{name}-shm")):
            if existing.exists():
                _tighten(existing, FILE_MODE)
