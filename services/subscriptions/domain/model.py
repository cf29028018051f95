"""Pure rules and values of the subscriptions service."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from shared.vocabulary import Frequency, Language

# Signing up again within this many minutes while a request is pending sends no new mail.
RESEND_AFTER_MINUTES: Final = 15
# At most this many confirmation mails for one pending request, however often someone signs up.
MAX_CONFIRMATION_MAILS: Final = 3


@dataclass(frozen=True, slots=True)
class SignupForm:
    """A validated sign-up."""

    address: str
    topics: tuple[str, ...]
    frequency: Frequency
    language: Language
    page: str | None
    channel: str = "web"
