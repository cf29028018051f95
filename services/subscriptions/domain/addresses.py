"""Email address validation and normalisation."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

MAX_LENGTH = 254


class InvalidAddress(ValueError):
    """The address cannot receive alerts; ``reason`` is a text key for the form."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def normalise_address(raw: str) -> str:
    """Validate an address and return its normal form (lower case, IDNA domain)."""
    candidate = raw.strip()
    if not candidate:
        raise InvalidAddress("error_email_missing")
    if len(candidate) > MAX_LENGTH or any(c in candidate for c in "\r\n\x00,;<>\"'"):
        raise InvalidAddress("error_email_invalid")
    try:
        result = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidAddress("error_email_invalid") from exc
    return result.normalized.lower()
