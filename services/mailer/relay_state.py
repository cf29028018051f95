"""Whether the SMTP server could be reached: said once in the log when sending stops, once when
it resumes, never per mail or per pass (an outage of an hour is hundreds of passes)."""

from __future__ import annotations

import logging
from datetime import datetime

log = logging.getLogger(__name__)


class RelayState:
    """What this process saw of the SMTP server at its latest try."""

    __slots__ = ("reason", "since")

    def __init__(self) -> None:
        self.reason: str | None = None  # why it cannot be reached; None while it can
        self.since: datetime | None = None

    def unreachable(self, reason: str, now: datetime) -> None:
        """Note a try that reached no server; log the first of an outage."""
        if self.reason is None:
            # The reason names the error's type, never an address (senders.py).
            log.error(
                "mailer: sending stopped: %s; mails wait and go once it answers again", reason
            )
            self.since = now
        self.reason = reason

    def reachable(self, now: datetime) -> None:
        """Note a try that the server answered; log the end of an outage."""
        if self.reason is not None:
            waited = now - self.since if self.since is not None else None
            log.info(
                "mailer: the SMTP server answers again; sending resumed (stopped for %s)", waited
            )
            self.reason = self.since = None

    def unreachable_for(self, now: datetime) -> float:
        """Return the seconds since sending stopped for want of a server; 0 while it answers."""
        return 0.0 if self.since is None else max(0.0, (now - self.since).total_seconds())
