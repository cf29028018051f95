"""Which part of a command an OSError without a file name came from, said in one line.

A refused or reset connection to the database server is an OSError that names no file, and so
are failures of many other things a command uses. The server is blamed only where the error
came up through the database's client (its frames are in the traceback); anything else is
named by where it arose, so an operator is not sent to check a server that is fine.
"""

from __future__ import annotations

from types import TracebackType
from typing import Final

# Module prefixes of the database's client: SQLAlchemy's engine and pool, and the drivers.
_DATABASE_CLIENT: Final = ("sqlalchemy.", "asyncpg.", "aiosqlite.", "psycopg.", "psycopg2.")
# asyncpg's words for a server that answers a request for TLS with «no».
_NO_TLS: Final = "rejected SSL upgrade"


def _frames(traceback: TracebackType | None) -> list[tuple[str, str, int]]:
    """Return the (module, function, line) of each frame, outermost first."""
    frames = []
    while traceback is not None:
        code = traceback.tb_frame.f_code
        module = str(traceback.tb_frame.f_globals.get("__name__", "?"))
        frames.append((module, code.co_name, traceback.tb_lineno))
        traceback = traceback.tb_next
    return frames


def os_error_without_a_file(exc: OSError, problem: str) -> str:
    """Say what failed, for an OSError that names no file: the database server, or where."""
    frames = _frames(exc.__traceback__)
    if any(module.startswith(_DATABASE_CLIENT) for module, _, _ in frames):
        if _NO_TLS in problem:
            # The server answered: asked for TLS (?ssl=require), it said it takes none.
            return (
                f"{problem}; the server takes no TLS connections: turn TLS on there, or "
                "leave ?ssl=require out of VARSEL_DATABASE_URL on a network you trust"
            )
        return f"{problem}; is the server VARSEL_DATABASE_URL names reachable?"
    # The innermost frame of varsel's own code says which step failed; a library's frame
    # below it would name only a library's helper.
    own = [frame for frame in frames if frame[0].startswith(("services.", "shared.", "varsel."))]
    module, function, line = (own or frames or [("?", "?", 0)])[-1]
    return (
        f"{problem} (a system error in {module}.{function}, line {line}; not the database's: "
        "run the command again, and report it with this line if it fails the same way)"
    )
