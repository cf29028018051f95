"""The read interface the subscriptions service publishes for the mailer and the admin.

The mailer never queries subscription tables itself: it asks for recipients, streamed in batches
(memory stays flat at a million subscribers), and for an address only at the moment a mail is
built. The admin reads the consent ledger (a person's steps, filtered pages, counts), the
privacy texts the ledger refers to, what is held about a person now (a subject access request)
and per-topic numbers. The reads live in ``adapters`` (``mail_reads``, ``ledger_reads``,
``subject_access``, ``topic_statistics``) and are published here, and only here.
"""

from __future__ import annotations

from services.subscriptions.adapters.ledger_reads import (
    LEDGER_ACTIONS,
    LEDGER_CHANNELS,
    ConsentStep,
    LedgerFilter,
    LedgerRecord,
    NoticeShown,
    PrivacyText,
    count_ledger,
    ledger_page,
    privacy_text,
    timeline,
)
from services.subscriptions.adapters.mail_reads import (
    Addressee,
    ConfirmationContext,
    Recipient,
    active_ids_with_frequency,
    addressees,
    confirmation_context,
    followed_since,
    frequency_since,
    reach_by_frequency,
    stream_recipients,
)
from services.subscriptions.adapters.subject_access import (
    HeldSignupRequest,
    HeldSubscriber,
    HeldSubscription,
    held_about,
)
from services.subscriptions.adapters.topic_statistics import (
    DAILY_SERIES,
    TopicStatistics,
    topic_statistics,
)
from services.subscriptions.domain.addresses import InvalidAddress, normalise_address
from services.subscriptions.domain.consent import NOTICE_SHOWN
from services.subscriptions.domain.vocabulary import ConsentAction
from shared.tokens import address_hash

__all__ = [
    "DAILY_SERIES",
    "LEDGER_ACTIONS",
    "LEDGER_CHANNELS",
    "NOTICE_SHOWN",
    "Addressee",
    "ConfirmationContext",
    "ConsentAction",
    "ConsentStep",
    "HeldSignupRequest",
    "HeldSubscriber",
    "HeldSubscription",
    "InvalidAddress",
    "LedgerFilter",
    "LedgerRecord",
    "NoticeShown",
    "PrivacyText",
    "Recipient",
    "TopicStatistics",
    "active_ids_with_frequency",
    "addressees",
    "confirmation_context",
    "count_ledger",
    "followed_since",
    "frequency_since",
    "held_about",
    "ledger_page",
    "privacy_text",
    "reach_by_frequency",
    "stream_recipients",
    "subject_of",
    "timeline",
    "topic_statistics",
]


def subject_of(secret_key: str, raw_address: str) -> tuple[str, str]:
    """Return an address as sign-up normalises it and its ledger hash (raises InvalidAddress)."""
    address = normalise_address(raw_address)
    return address, address_hash(secret_key, address)
