"""What became of a delivery a worker tried, and what the ledger records for it next."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from services.mailer.domain.ledger import Claimed, DeliveryKind, DeliveryStatus, Reference


class OutcomeKind(StrEnum):
    """What became of one try at a delivery."""

    SENT = "sent"
    HANDED = "handed"  # sent, and recorded so before the final dot
    LOST = "lost"  # another process holds the delivery now
    RETRY = "retry"  # 4xx or a dropped connection
    HELD = "held"  # not tried: server down, ledger unavailable or lease running out
    RELEASED = "released"  # not tried: the process is shutting down
    TURNED_AWAY = "turned_away"  # not tried: the relay takes no more connections from us
    BOUNCED = "bounced"  # 5xx refusing the address: counts toward ending the alerts
    REFUSED = "refused"  # 5xx refusing the mail (policy, content, size), not the address
    FAILED = "failed"  # cannot be built
    DROPPED = "dropped"  # no longer wanted
    RHYTHM = "rhythm"  # a mail of a rhythm the person no longer has (an alert, or a digest)


# Already in the ledger (handed: marked sent before the final dot) or no longer this
# process's to write (lost: another process took the delivery over).
UNWRITTEN: Final = frozenset({OutcomeKind.HANDED, OutcomeKind.LOST})
# Given up on for good: counted as failed.
_FAILURES: Final = frozenset(
    {OutcomeKind.RETRY, OutcomeKind.BOUNCED, OutcomeKind.REFUSED, OutcomeKind.FAILED}
)

MAX_ATTEMPTS: Final = 8
# Pauses between tries to record outcomes while the database is away: about 8 s in all, inside
# the default lease's 60 s margin, so no other process takes these mails meanwhile.
RECORD_RETRY_PAUSES: Final = (0.25, 0.5, 1.0, 2.0, 4.0)
# How long to wait before trying again when the SMTP server could not be reached at all.
SERVER_RETRY: Final = timedelta(seconds=30)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one delivery: ``kind``, with the server's reply when there was one."""

    id: int
    subscriber_id: uuid.UUID | None
    reference: Reference
    kind: OutcomeKind
    error: str | None = None
    code: int | None = None

    @classmethod
    def of(
        cls, item: Claimed, kind: OutcomeKind, error: str | None = None, code: int | None = None
    ) -> Outcome:
        """Return what became of a claimed delivery."""
        return cls(item.id, item.subscriber_id, item.reference, kind, error, code)

    @property
    def delivery_kind(self) -> DeliveryKind:
        """Return what the delivery is."""
        return self.reference.kind

    @property
    def is_hard_bounce(self) -> bool:
        """Tell whether the server refused the person's address for good (SMTP 5xx)."""
        return self.kind is OutcomeKind.BOUNCED and self.code is not None and self.code >= 500


@dataclass(frozen=True, slots=True)
class NextStep:
    """What the ledger records for a delivery that was not sent."""

    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    failed_for_good: bool = False
    deferred_by: timedelta | None = None


def retry_delay(attempts: int) -> timedelta:
    """Return the back-off before the next try after ``attempts`` failed ones."""
    return timedelta(seconds=min(3600, 30 * 2**attempts))


def next_step(outcome: OutcomeKind, attempts: int, now: datetime) -> NextStep:
    """Decide what becomes of a delivery that was tried ``attempts`` times before and not sent."""
    if outcome is OutcomeKind.HELD:
        # Not this mail's fault: keep its attempts, try again soon.
        return NextStep(DeliveryStatus.QUEUED, attempts, now + SERVER_RETRY)
    if outcome in (OutcomeKind.RELEASED, OutcomeKind.TURNED_AWAY):
        # Handed back unsent, at shutdown or by a lane the relay had no connection for: due at
        # once, for whichever connection or process takes it next.
        return NextStep(DeliveryStatus.QUEUED, attempts, now)
    if outcome is OutcomeKind.RETRY and attempts + 1 < MAX_ATTEMPTS:
        delay = retry_delay(attempts)
        return NextStep(DeliveryStatus.QUEUED, attempts + 1, now + delay, deferred_by=delay)
    if outcome in _FAILURES:
        return NextStep(DeliveryStatus.FAILED, attempts + 1, now, failed_for_good=True)
    return NextStep(DeliveryStatus.DROPPED, attempts + 1, now)
