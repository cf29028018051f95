"""What becomes of a mail that did not go: held while the relay is away, tried again, failed."""

from __future__ import annotations

from datetime import datetime

from services.mailer.adapters.senders import (
    HandOverRefused,
    PermanentFailure,
    RelayFull,
    SendFailure,
    ServerUnavailable,
)
from services.mailer.domain.ledger import Claimed
from services.mailer.domain.outcomes import Outcome, OutcomeKind
from services.mailer.relay_state import RelayState


def unsent_outcome(
    item: Claimed, exc: HandOverRefused | SendFailure, relay: RelayState, now: datetime
) -> Outcome:
    """Return the outcome of a mail the sender did not hand over, and note what it tells of the
    relay: unreachable (sending stops, said once), or answering, if only to defer or refuse."""
    if isinstance(exc, HandOverRefused):
        kind = OutcomeKind.LOST if exc.lease_lost else OutcomeKind.HELD
        return Outcome.of(item, kind, str(exc))
    if isinstance(exc, RelayFull):
        # The relay serves this process's other connections: this lane ends, the batch's other
        # mails go on those and its own two with the next batch (delivery.py); the relay is
        # not unreachable.
        return Outcome.of(item, OutcomeKind.TURNED_AWAY, str(exc))
    if isinstance(exc, ServerUnavailable):
        relay.unreachable(str(exc), now)
        return Outcome.of(item, OutcomeKind.HELD, str(exc))
    if exc.code is not None and relay.reason is not None:
        relay.reachable(now)
    if isinstance(exc, PermanentFailure):
        kind = OutcomeKind.BOUNCED if exc.address_refused else OutcomeKind.REFUSED
        return Outcome.of(item, kind, str(exc), exc.code)
    return Outcome.of(item, OutcomeKind.RETRY, str(exc), exc.code)  # 4xx, a dropped connection
