"""Who a mail comes from on the wire, and the Message-IDs that make a resent mail recognisable."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from email.utils import parseaddr

from services.mailer.domain.bounce_address import BounceAddress


@dataclass(frozen=True, slots=True)
class Envelope:
    """The envelope sender (MAIL FROM) and the domain of the Message-IDs.

    With a bounce mailbox each delivery leaves with its own sender (``bounces+TOKEN@domain``),
    so a report that comes back after the mail was accepted names the delivery.
    """

    sender: str
    domain: str
    bounces: BounceAddress | None = None

    @classmethod
    def of(cls, mail_from: str, bounces: BounceAddress | None = None) -> Envelope:
        """Return the envelope of a From header such as ``Site <varsel@example.no>``."""
        sender = parseaddr(mail_from)[1] or "varsel@localhost"
        return cls(sender, sender.rpartition("@")[2] or "localhost", bounces)

    def sender_of(self, delivery_id: int) -> str:
        """Return the envelope sender (MAIL FROM) of one delivery."""
        if self.bounces is None:
            return self.sender
        return self.bounces.for_delivery(delivery_id)

    def delivery_message_id(self, delivery_id: int, batch_key: str) -> str:
        """Return a delivery's Message-ID: the same on every try, so a resend is recognisable."""
        digest = hashlib.blake2b(f"{delivery_id}|{batch_key}".encode(), digest_size=8).hexdigest()
        return f"<{delivery_id}.{digest}@{self.domain}>"

    def notice_message_id(self, event_id: uuid.UUID, index: int) -> str:
        """Return the Message-ID of the mail an event sends to its ``index``-th operator."""
        return f"<{event_id}.{index}@{self.domain}>"
