"""Whether an error says the database cannot be reached just now, rather than a fault to fix.

Pages answer the one with 503 and Retry-After, background passes log it in one line; a fault
keeps its 500 and its traceback.
"""

from __future__ import annotations

import sqlite3
from typing import Final

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

# SQLite's (extended) result codes that say the file cannot be used now, not that the
# statement or the schema is wrong: its OperationalError carries both kinds ("no such table"
# is SQLITE_ERROR), and a missing table is a fault to fix, not a minute to wait.
_SQLITE_UNAVAILABLE: Final = (
    "SQLITE_BUSY",
    "SQLITE_LOCKED",
    "SQLITE_CANTOPEN",
    "SQLITE_IOERR",
    "SQLITE_FULL",
    "SQLITE_READONLY",
    "SQLITE_PROTOCOL",
)


def is_database_unreachable(exc: Exception) -> bool:
    """Tell whether an error says the database cannot be reached, rather than a fault."""
    # A refused or dropped connection comes from the driver unwrapped; a connection that died
    # mid-statement, or a server starting up or shutting down, as one of SQLAlchemy's.
    if isinstance(exc, ConnectionError):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated or isinstance(exc, InterfaceError):
        return True
    if isinstance(exc.orig, sqlite3.Error):
        return str(getattr(exc.orig, "sqlite_errorname", "")).startswith(_SQLITE_UNAVAILABLE)
    return isinstance(exc, OperationalError)
