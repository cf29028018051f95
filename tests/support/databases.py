"""Migrated databases for tests: each a copy of one migrated template, not a new migration.

Applying every migration takes about half a second on SQLite and a second on PostgreSQL, and
hundreds of tests each want a migrated database of their own. A test run migrates one template
of each kind, the first time one is asked for, and gives each test a copy: a file copy on
SQLite, ``CREATE DATABASE ... TEMPLATE`` on PostgreSQL (made while the test before runs). The
copy is the migrated schema exactly (its ``alembic_version`` included); the template itself is
never connected to again, as PostgreSQL requires of a template. ``close()`` (called when the
test run ends) removes both, and a copy made ahead that no test took.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from shared.schema import upgrade
from tests.support.services import (
    create_postgres_database,
    drop_postgres_database,
    fresh_postgres_database,
)

_lock = threading.Lock()
_sqlite_template: Path | None = None
_postgres_template: str | None = None


def _migrate(url: str) -> None:
    # On a thread of its own: the migrations run an event loop, and the first test to ask for
    # a template may be running one already.
    with ThreadPoolExecutor(1) as thread:
        thread.submit(upgrade, url).result()


def sqlite_url(path: Path) -> str:
    """Return the SQLAlchemy URL of a SQLite file."""
    return f"sqlite+aiosqlite:///{path}"


def migrated_sqlite(path: Path) -> str:
    """Put a migrated SQLite database at ``path`` (a copy of the template); return its URL."""
    global _sqlite_template
    with _lock:
        if _sqlite_template is None:
            template = Path(tempfile.mkdtemp(prefix="varsel-template-")) / "varsel.db"
            _migrate(sqlite_url(template))
            _sqlite_template = template
    shutil.copyfile(_sqlite_template, path)
    return sqlite_url(path)


@contextmanager
def migrated_postgres_database() -> Iterator[str]:
    """Create a migrated PostgreSQL database for one test (a copy of the template); drop it
    afterwards. Skips, or fails under CI, without PostgreSQL."""
    global _postgres_template
    with _lock:
        if _postgres_template is None:
            url = create_postgres_database()
            name = url.rsplit("/", 1)[1]
            try:
                _migrate(url)
            except BaseException:
                drop_postgres_database(name)
                raise
            _postgres_template = name
    url = _next_copy(_postgres_template)
    try:
        yield url
    finally:
        drop_postgres_database(url.rsplit("/", 1)[1])


# A copy costs PostgreSQL a fifth of a second of its own CPU in a busy test run (CREATE DATABASE
# writes the whole template, system catalogues and all, to its log), which each test waited
# for. One thread makes the next copy while a test runs, so the test after it takes a ready one.
_copier = ThreadPoolExecutor(1, thread_name_prefix="database-copy")
_next: Future[str] | None = None


def _next_copy(template: str) -> str:
    """Return a copy of the template made ahead (or now, the first time), and start the next."""
    global _next
    with _lock:
        ready = _next if _next is not None else _copier.submit(create_postgres_database, template)
        _next = _copier.submit(create_postgres_database, template)
    return ready.result()


@contextmanager
def migrated_database(kind: str, directory: Path) -> Iterator[str]:
    """A migrated database of one kind ("sqlite", in ``directory``, or "postgresql") for one
    test; a fixture parametrized over both kinds hands its parameter here."""
    if kind == "sqlite":
        yield migrated_sqlite(directory / "varsel.db")
        return
    with migrated_postgres_database() as url:
        yield url


@contextmanager
def empty_database(kind: str, directory: Path) -> Iterator[str]:
    """An empty, unmigrated database of one kind ("sqlite", a file in ``directory``, or
    "postgresql") for one test, as ``migrated_database`` gives a migrated one."""
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{directory / 'varsel.db'}"
        return
    with fresh_postgres_database() as url:
        yield url


def close() -> None:
    """Remove the templates and the copy made ahead (at the end of the test run)."""
    global _sqlite_template, _postgres_template, _next
    with _lock:
        if _next is not None:
            with suppress(Exception, pytest.skip.Exception, pytest.fail.Exception):
                drop_postgres_database(_next.result().rsplit("/", 1)[1])
            _next = None
        if _sqlite_template is not None:
            shutil.rmtree(_sqlite_template.parent, ignore_errors=True)
            _sqlite_template = None
        if _postgres_template is not None:
            drop_postgres_database(_postgres_template)
            _postgres_template = None
