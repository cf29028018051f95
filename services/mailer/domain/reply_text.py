"""An SMTP reply's words as the log and the delivery ledger keep them: one line, no address."""

from __future__ import annotations

import re
from typing import Final

from shared.logs import AT_SIGNS

# Any "@" NFKC folds to (＠, ﹫) too, as the log's scrubber finds them.
_ADDRESS: Final = re.compile(rf"<?[^\s<>{AT_SIGNS}]+[{AT_SIGNS}][^\s<>]+>?")
_CONTROLS: Final = re.compile(r"[\x00-\x1f\x7f]+")


def readable(text: str) -> str:
    """Return a reply's text as one line of proper Unicode, fit for the log and the ledger.

    Replies are decoded as UTF-8, any other byte kept as a lone surrogate, which no database
    takes: a relay answering in Latin-1 («Ukjent mottaker på») made the outcome unrecordable,
    so a refused mail was tried again at every lease, and one refused after its dot stayed
    recorded as sent. PostgreSQL takes no NUL either.
    """
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return " ".join(_CONTROLS.sub(" ", text).split())


def scrubbed(reply: str, recipient: str | None = None) -> str:
    """Replace any address in a reply, and the recipient's mailbox named alone, in any case."""
    reply = _ADDRESS.sub("<address>", reply)
    mailbox = recipient.rpartition("@")[0] if recipient else ""
    if not mailbox:
        return reply
    # A relay may name the mailbox without its domain (sendmail: «kari.nordmann... User
    # unknown»), which no address pattern finds; the ledger keeps the reply after erasure.
    alone = re.compile(rf"(?<!\w){re.escape(mailbox)}(?!\w)", re.IGNORECASE)
    return alone.sub("<address>", reply)
