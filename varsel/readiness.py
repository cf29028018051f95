"""What ``/readyz`` answers: whether this process can do the work of the services it runs.

Readiness decides whether a load balancer sends a process requests (and whether a rolling
update goes on), so it fails only on what stops the process's own work. The database does:
every service keeps its state there. RabbitMQ stops little. A service writes its events to the
outbox in the transaction of its change, and the relay publishes them once the broker answers
(shared/outbox_relay.py); events for a service wait in its durable queue. So, service by service:

- subscriptions: sign-ups, confirmations, manage, unsubscribe and erasure are saved, their
  events wait in the outbox; returned-mail events wait in its queue. Ready.
- admin: the staff pages read the database and act through commands whose events wait in the
  outbox; only the dead-letter count is unknown meanwhile. Ready.
- watcher: it polls and stores changes, each with its ``content.changed`` in the outbox. Ready.
- bounces: returned mail and webhook reports are recorded with their events in the outbox; an
  unready webhook would turn a provider's reports away. Ready.
- mailer: every change it mails, and every erasure or unsubscribe it must act on, reaches it
  only through the broker: it sends what was queued, but learns of nothing new. Not ready.

A process running several services is ready while any of them can work: taking the sign-up
pages out of service because a mailer shares their process would help nobody. Ready without the
broker, the answer says ``"status": "degraded"`` and ``"broker": "unreachable"``; the log says
so once when it begins and once when it ends, and ``varsel_broker_reachable`` in /metrics is 0.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import Final

from shared.runtime import Runtime

log = logging.getLogger(__name__)

# The services that cannot do their work while the broker is away (see above).
NEED_THE_BROKER: Final = frozenset({"mailer"})

READY: Final = "ready"
DEGRADED: Final = "degraded"
NOT_READY: Final = "not ready"
BROKER_UP: Final = "ok"
BROKER_DOWN: Final = "unreachable"


class Readiness:
    """Answers readiness probes for one process, and logs when the broker's part changes."""

    def __init__(self, runtime: Runtime, services: Collection[str]) -> None:
        self._runtime = runtime
        self._services = tuple(services)
        self.needs_broker = bool(self._services) and set(self._services) <= NEED_THE_BROKER
        self._broker_was_down = False

    async def check(self) -> tuple[int, dict[str, str]]:
        """Return the HTTP status and body of a readiness probe."""
        ok, reason = await self._runtime.ready()
        if not ok:
            return 503, {"status": NOT_READY, "reason": reason}
        answers = await self._runtime.broker_answers()
        if answers is None:  # embedded: events are handed over in this process
            return 200, {"status": READY, "reason": reason}
        self._note(answers)
        if answers:
            return 200, {"status": READY, "reason": reason, "broker": BROKER_UP}
        if self.needs_broker:
            return 503, {
                "status": NOT_READY,
                "reason": "message broker unreachable: "
                f"{', '.join(self._services)} can learn of no change or erasure without it",
                "broker": BROKER_DOWN,
            }
        return 200, {
            "status": DEGRADED,
            "reason": f"{reason}; message broker unreachable: events wait in the outbox and "
            "are published once it answers",
            "broker": BROKER_DOWN,
        }

    def _note(self, answers: bool) -> None:
        """Log once when readiness first finds the broker away, and once when it is back."""
        if answers == (not self._broker_was_down):
            return
        self._broker_was_down = not answers
        if answers:
            log.info("readiness: RabbitMQ answers again; %s ready", ", ".join(self._services))
        elif self.needs_broker:
            log.error(
                "readiness: RabbitMQ unreachable; %s not ready until it answers",
                ", ".join(self._services),
            )
        else:
            log.warning(
                "readiness: RabbitMQ unreachable; %s still ready (degraded): events wait in the "
                "outbox until it answers",
                ", ".join(self._services) or "this process",
            )
