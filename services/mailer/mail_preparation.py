"""Making a claimed delivery ready to send, or saying why it is not sent: the part of sending
that needs no connection, so a lane can prepare the next mail before it sends the current one
(delivery.py: its envelope then leaves with the current mail's final dot)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import jinja2

from services.mailer.adapters.dkim import DkimSigner
from services.mailer.batch_context import BatchContext
from services.mailer.domain.envelope import Envelope
from services.mailer.domain.ledger import STAFF_KINDS, AlertReference, Claimed, DigestReference
from services.mailer.domain.outcomes import Outcome, OutcomeKind
from services.mailer.domain.wire_address import UnsendableAddress
from services.mailer.mail_builder import MailBuilder
from shared.clock import Clock
from shared.vocabulary import Frequency

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Ready:
    """A subscriber's mail, built and addressed: what the sender needs, and nothing more."""

    item: Claimed
    sender: str
    recipient: str
    payload: bytes
    transparent: bytes | None  # the payload in DATA's transparent form, when made here

    @property
    def envelope(self) -> tuple[str, str]:
        """Return the mail's envelope sender and recipient."""
        return self.sender, self.recipient


@dataclass(frozen=True, slots=True)
class Staff:
    """A staff notice: built and sent on its own (delivery.py), from the plain sender."""

    item: Claimed


class MailPreparer:
    """Builds each claimed delivery's mail as its person should get it now."""

    def __init__(
        self, builder: MailBuilder, clock: Clock, envelope: Envelope, dkim: DkimSigner | None
    ) -> None:
        self._builder = builder
        self._clock = clock
        self._envelope = envelope
        self._dkim = dkim

    def prepare(self, item: Claimed, context: BatchContext) -> Ready | Staff | Outcome:
        """Return the mail ready to send, a staff notice, or the outcome of a mail not sent."""

        def outcome(
            kind: OutcomeKind, error: str | None = None, code: int | None = None
        ) -> Outcome:
            return Outcome.of(item, kind, error, code)

        person = context.people.get(item.subscriber_id) if item.subscriber_id else None
        if person is None:
            if item.subscriber_id is None and item.kind in STAFF_KINDS:
                return Staff(item)
            return outcome(OutcomeKind.DROPPED, "the subscriber no longer exists")
        if isinstance(item.reference, AlertReference) and person.frequency != Frequency.IMMEDIATE:
            return outcome(OutcomeKind.RHYTHM)
        if (
            isinstance(item.reference, DigestReference)
            and person.frequency != item.reference.frequency
        ):
            # Switched while the digest was claimed, or put off: it hands its changes on.
            return outcome(OutcomeKind.RHYTHM)
        try:
            built = self._builder.build(item, person, context, self._clock.now())
        except LookupError as exc:
            return outcome(OutcomeKind.DROPPED, str(exc))
        except (ValueError, jinja2.TemplateError) as exc:
            log.error("mailer: cannot build %s delivery %d: %s", item.kind, item.id, exc)
            return outcome(OutcomeKind.FAILED, f"cannot build the mail: {exc}")
        if built is None:
            return outcome(
                OutcomeKind.DROPPED, "no longer wanted (unsubscribed, rhythm changed or erased)"
            )
        message_id = self._envelope.delivery_message_id(item.id, item.batch_key)
        now = self._clock.now()
        transparent = None
        try:
            if self._dkim is None:
                payload, transparent = built.personalise_for_smtp(
                    to=person.email, message_id=message_id, now=now
                )
            else:  # the signature goes in front: the sender makes the transparent form
                payload = self._dkim.sign(
                    built.personalise(to=person.email, message_id=message_id, now=now)
                )
        except UnsendableAddress as exc:  # no mail can go to it (wire_address.py); never named
            return outcome(OutcomeKind.FAILED, f"cannot build the mail: {exc}")
        return Ready(item, self._envelope.sender_of(item.id), person.email, payload, transparent)
