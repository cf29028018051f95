"""Whether a mail server's lasting refusal is about the person's address, or about something else.

Only a refusal of the address counts toward ending a person's alerts (``VARSEL_HARD_BOUNCE_LIMIT``).
A server also refuses for good what has nothing to do with the mailbox: a relay that will not
relay for varsel («554 5.7.1 Relay access denied»), a policy or spam filter (5.7.x), the content
(5.6.x), the protocol (5.5.x) or the size of the mail (5.2.3, 5.3.4, or 552 without a status).
Counted, one wrong relay setting would end everyone's alerts after three mails, and a digest
too large for someone's provider would end theirs. The RFC 3463 status says which it is; a
refusal without one counts as before, the address's (most servers that refuse one give one).
"""

from __future__ import annotations

import re
from typing import Final

# An RFC 3463 status at the start of a reply's text or of a DSN's Status field.
_STATUS: Final = re.compile(r"^\s*([245])\.(\d{1,3})\.(\d{1,3})(?!\d)")
# Subjects of a status that say the refusal is not about the address: protocol, content, and
# security or policy.
_NOT_THE_ADDRESS: Final = frozenset({5, 6, 7})
# Statuses that say the mail is too large: "message length exceeds administrative limit" and
# "message too big for system".
_TOO_LARGE: Final = frozenset({(2, 3), (3, 4)})
# RFC 5321 4.5.3.1.10: 552 is "exceeded storage allocation"; after DATA, the mail's size.
_SIZE_REPLY: Final = 552


def status_refuses_the_address(status: str) -> bool:
    """Tell whether an RFC 3463 status of a lasting failure ("5.1.1") blames the address."""
    found = _STATUS.match(status)
    if found is None or found.group(1) != "5":
        return False
    subject, detail = int(found.group(2)), int(found.group(3))
    return subject not in _NOT_THE_ADDRESS and (subject, detail) not in _TOO_LARGE


def reply_status(code: int, text: str) -> str | None:
    """Return the RFC 3463 status a reply gives, or None if it gives none that counts.

    ``text`` is the reply's lines joined by newlines. The status is read where the reply code
    is, on the last line: RFC 5321 4.2.1 wants every line's code the same and says nothing of
    the status, and a relay that sends «550-Mail from your network is refused by policy» and
    then «550 5.7.1 see https://…» says what it means on the last. Postfix's SMTP client
    (smtp_chat.c) does the same, and ignores a status whose class is not the reply code's
    («550 2.1.5 ok» is a refusal with no status of its own); so does this.
    """
    last = text.rpartition("\n")[2]
    found = _STATUS.match(last)
    if found is None or found.group(1) != str(code)[:1]:
        return None
    return last


def reply_refuses_the_address(code: int, text: str) -> bool:
    """Tell whether an SMTP reply (``code``, ``text``) refuses the recipient's address for good."""
    if not 500 <= code < 600:
        return False
    status = reply_status(code, text)
    if status is not None:
        return status_refuses_the_address(status)
    return code != _SIZE_REPLY
