"""Taking in what comes back after a mail was accepted: late bounces and complaints.

The inbound SMTP listener and the providers' webhook both hand a raw report here. A report is
believed only as far as varsel's own signature goes: the delivery comes from the token in the
bounce address (``domain/bounce_address.py``), never from the address the report names, and a
report whose returned mail is another delivery's is ignored. What a report changes is written in
one transaction with its event, which the subscriptions service acts on:

- a hard bounce (5.x.x) marks the sent delivery failed and emits ``subscriber.bounce_reported``,
  counted exactly as a 5xx reply during sending (``record_bounce`` in subscriptions);
- a lasting failure that is not the address's (5.7.x policy, the size: ``domain/refusals.py``)
  marks it failed and counts nothing, as such a refusal during sending;
- a complaint (ARF) notes itself on the sent delivery and emits ``subscriber.complained``, which
  ends every alert; the same complaint reported again changes nothing;
- a soft bounce, a "not spam" report, and anything forged or unreadable change nothing and are
  logged, by delivery id at most, never with an address.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import cast

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.mailer.adapters import reported_deliveries
from services.mailer.adapters.reported_deliveries import ReportedDelivery
from services.mailer.domain.bounce_address import BounceAddress
from services.mailer.domain.envelope import Envelope
from services.mailer.domain.reports import Report, ReportKind, Unreadable, read_report
from shared.events import (
    Event,
    ReportChannel,
    SubscriberBounceReported,
    SubscriberComplained,
)
from shared.outbox import record

log = logging.getLogger(__name__)


class Verdict(StrEnum):
    """What a report did."""

    BOUNCE_COUNTED = "bounce_counted"
    COMPLAINT_RECORDED = "complaint_recorded"
    NOTHING_TO_DO = "nothing_to_do"  # genuine, but changes nothing (soft, not-spam, repeated)
    IGNORED = "ignored"  # unreadable, or not provably about one of varsel's deliveries


@dataclass(frozen=True, slots=True)
class Taken:
    """A report's verdict and the reason, for the log and the webhook's answer."""

    verdict: Verdict
    reason: str


class ReturnedMail:
    """Reads reports and records what they prove, for the listener and the webhook."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        envelope: Envelope,
        *,
        on_commit: Callable[[], None] | None = None,
    ) -> None:
        if envelope.bounces is None:
            raise ValueError("taking in reports needs a bounce address (VARSEL_BOUNCE_ADDRESS)")
        self._sessions = sessions
        self._envelope = envelope
        self._bounces: BounceAddress = envelope.bounces
        self._on_commit = on_commit

    def accepts(self, recipient: str) -> bool:
        """Tell whether the listener should take mail for this envelope recipient."""
        return self._bounces.is_ours(recipient)

    async def take(self, raw: bytes, *, channel: ReportChannel, recipient: str | None) -> Taken:
        """Read a report and record what it proves; log and ignore anything it does not prove."""
        try:
            report = read_report(raw)
        except Unreadable as exc:
            return self._ignored(channel, None, f"unreadable: {exc}")
        delivery_id, problem = self._delivery_named(report, recipient)
        if delivery_id is None:
            return self._ignored(channel, None, problem)
        async with self._sessions() as session, session.begin():
            delivery = await reported_deliveries.find(session, delivery_id)
            problem = self._mismatch(report, delivery)
            if problem or delivery is None:
                return self._ignored(channel, delivery_id, problem)
            taken = await self._record(session, report, delivery, channel)
        if taken.verdict is not Verdict.NOTHING_TO_DO and self._on_commit is not None:
            self._on_commit()  # the relay publishes the event now, not at its next poll
        log.info("bounces: %s report on delivery %d: %s", channel, delivery_id, taken.reason)
        return taken

    def _delivery_named(self, report: Report, recipient: str | None) -> tuple[int | None, str]:
        """Return the one delivery the report's bounce addresses name, or why there is none."""
        named = ([recipient] if recipient else []) + list(report.senders)
        ours = [address for address in named if self._bounces.carries_token(address)]
        if not ours:
            return None, "names no bounce address with a token"
        ids = {self._bounces.delivery_of(address) for address in ours}
        if None in ids:
            return None, "forged: a bounce address with a token varsel did not sign"
        if len(ids) > 1:
            return None, "forged: its bounce addresses name different deliveries"
        return cast(int, ids.pop()), ""

    def _mismatch(self, report: Report, delivery: ReportedDelivery | None) -> str:
        """Return why the report is not about this delivery; empty if nothing says so."""
        if delivery is None:
            return "the delivery is no longer in the ledger"
        if delivery.subscriber_id is None:
            return "the person was erased"
        expected = self._envelope.delivery_message_id(delivery.id, delivery.batch_key)
        if report.original_message_id is not None and report.original_message_id != expected:
            return "forged: the returned mail is not this delivery's"
        return ""

    async def _record(
        self,
        session: AsyncSession,
        report: Report,
        delivery: ReportedDelivery,
        channel: ReportChannel,
    ) -> Taken:
        assert delivery.subscriber_id is not None
        event: Event
        if report.kind is ReportKind.HARD_BOUNCE:
            error = f"bounced after it was accepted: status {report.detail}"
            if not await reported_deliveries.fail_after_acceptance(session, delivery.id, error):
                return Taken(Verdict.NOTHING_TO_DO, "already counted, or never sent")
            event = SubscriberBounceReported(
                subscriber_id=delivery.subscriber_id,
                delivery_id=delivery.id,
                kind=delivery.kind,
                status=report.detail,
                channel=channel,
            )
            await record(session, event)
            return Taken(Verdict.BOUNCE_COUNTED, f"hard bounce {report.detail} counted")
        if report.kind is ReportKind.REFUSED:
            # The mail was refused for good, for its content or a policy, not for the address:
            # the ledger says so, and nothing counts against the person (domain/refusals.py).
            error = f"refused after it was accepted: status {report.detail}"
            await reported_deliveries.fail_after_acceptance(session, delivery.id, error)
            return Taken(
                Verdict.NOTHING_TO_DO, f"refused {report.detail}, not for the address: not counted"
            )
        if report.kind is ReportKind.COMPLAINT:
            note = f"complaint reported: {report.detail}"
            if not await reported_deliveries.note_complaint(session, delivery.id, note):
                return Taken(Verdict.NOTHING_TO_DO, "complaint already recorded, or never sent")
            event = SubscriberComplained(
                subscriber_id=delivery.subscriber_id,
                delivery_id=delivery.id,
                kind=delivery.kind,
                feedback_type=report.detail,
                channel=channel,
            )
            await record(session, event)
            return Taken(Verdict.COMPLAINT_RECORDED, f"complaint ({report.detail}) recorded")
        return Taken(Verdict.NOTHING_TO_DO, f"{report.kind.value} {report.detail}: nothing to do")

    @staticmethod
    def _ignored(channel: ReportChannel, delivery_id: int | None, reason: str) -> Taken:
        on = f" on delivery {delivery_id}" if delivery_id is not None else ""
        log.warning("bounces: %s report%s ignored: %s", channel, on, reason)
        return Taken(Verdict.IGNORED, reason)
