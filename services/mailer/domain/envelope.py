"""Who a mail comes from on the wire, and the Message-IDs that make a resent mail recognisable."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from email.utils import parseaddr


@dataclass(frozen=True, slots=True)
class Envelope:
    """The envelope sender (MAIL FROM) and the domain of the Message-IDs."""

    sender: str
    domain: str

    @classmethod
    def of(cls, mail_from: str) -> Envelope:
        """Return the envelope of a From header such as ``Site <varsel@example.no>``."""
        sender = parseaddr(mail_from)[1] or "varsel@localhost"
        return cls(sender, sender.rpartition("@")[2] or "localhost")

    def delivery_message_id(self, delivery_id: int, batch_key: str) -> str:
        """Return a delivery's Message-ID: the same on every try, so a resend is recognisable."""
        digest = hashlib.blake2b(f"{delivery_id}|{batch_key}".encode(), digest_size=8).hexdigest()
        return f"<{delivery_id}.{digest}@{self.domain}>"

    def notice_message_id(self, event_id: uuid.UUID, index: int) -> str:
        """Return the Message-ID of the mail an event sends to its ``index``-th operator."""
        return f"<{event_id}.{index}@{self.domain}>"
