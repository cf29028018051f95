"""Email address validation and normalisation: a subscriber's and a staff account's alike."""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email

MAX_LENGTH = 254
MAX_LOCAL_LENGTH = 64  # RFC 5321, 4.5.3.1.1
# An RFC 2047 encoded word (=?charset?q?...?=) where a mailbox name belongs: a receiving parser
# may decode it into a recipient with CR/LF or a second address, and no real mailbox is spelt so.
_ENCODED_WORD = re.compile(r"=\?.*\?=")


class InvalidAddress(ValueError):
    """The address cannot receive alerts; ``reason`` is a text key for the form."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def normalise_address(raw: str, *, non_ascii_local: bool = True) -> str:
    """Validate an address and return its normal form (lower case, IDNA domain).

    ``non_ascii_local`` False refuses a part before the @ that is not ASCII: only a relay that
    speaks SMTPUTF8 takes it, so an address mail is to be sent to is checked so. One looked up
    (the ledger, erasure) is not: it may have been taken in when the relay spoke it.
    """
    candidate = raw.strip()
    if not candidate:
        raise InvalidAddress("error_email_missing")
    if len(candidate) > MAX_LENGTH or any(c in candidate for c in "\r\n\x00,;<>\"'"):
        raise InvalidAddress("error_email_invalid")
    local = candidate.rpartition("@")[0]
    if _ENCODED_WORD.search(local):
        raise InvalidAddress("error_email_encoded")
    if len(local) > MAX_LOCAL_LENGTH:
        raise InvalidAddress("error_email_local_too_long")
    try:
        # strict: email-validator checks the local part's length only in strict mode.
        result = validate_email(candidate, check_deliverability=False, strict=True)
    except EmailNotValidError as exc:
        raise InvalidAddress("error_email_invalid") from exc
    if not non_ascii_local and not result.local_part.isascii():
        raise InvalidAddress("error_email_local_not_ascii")
    return result.normalized.lower()
