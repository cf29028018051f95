"""A background pass that fails again and again is logged when it starts and stops failing.

The outbox relay, the mailer, the watcher and the catalogue follower each try a pass every
second or so. With the database down (a restart, a failover, a wrong password after a rotation)
each pass failed with a traceback of a hundred lines: five a second from one process, which
buried the one thing an operator had to read. Now the first failure of a run is logged with
its traceback (in one line when the database cannot be reached: the traceback would only show
the driver waiting), repeats only at the 4th, 8th, 16th... failure in a row or once an hour, as
one line, and the first pass that works again says so, as the watcher does for a failing source.
"""

from __future__ import annotations

import logging
import time

from shared.unreachable import is_database_unreachable

REPEAT_SECONDS = 3600.0


def _reason(exc: BaseException) -> str:
    """Name an error in one line: its type and its message's first line."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0][:200]}" if lines else type(exc).__name__


class PassFailures:
    """Count one background job's failed passes in a row, and log them sparingly."""

    __slots__ = ("_in_a_row", "_log", "_logged_at", "_what")

    def __init__(self, log: logging.Logger, what: str) -> None:
        self._log = log
        self._what = what  # "outbox: relay pass", "mailer: delivery pass"
        self._in_a_row = 0
        self._logged_at = 0.0

    def failed(self, exc: BaseException) -> None:
        """Note a failed pass; log the first of a run in full and later ones now and then."""
        self._in_a_row += 1
        count = self._in_a_row
        now = time.monotonic()
        if count == 1 and isinstance(exc, Exception) and is_database_unreachable(exc):
            # Its traceback says nothing the reason does not: the place to look is the database.
            self._log.error(
                "%s failed: the database cannot be reached (%s); will try again",
                self._what,
                _reason(exc),
            )
        elif count == 1:
            self._log.error("%s failed; will try again", self._what, exc_info=exc)
        elif (count >= 4 and count & (count - 1) == 0) or now - self._logged_at >= REPEAT_SECONDS:
            self._log.error(
                "%s failed %d times in a row; will try again: %s",
                self._what,
                count,
                _reason(exc),
            )
        else:
            return
        self._logged_at = now

    def succeeded(self) -> None:
        """Note a pass that worked; log it when it ends a run of failures."""
        if self._in_a_row:
            self._log.warning(
                "%s works again after %d failed passes in a row", self._what, self._in_a_row
            )
        self._in_a_row = 0
