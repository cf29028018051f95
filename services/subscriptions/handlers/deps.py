"""What the subscription commands need besides their unit of work."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import timedelta

from services.subscriptions.domain.privacy import PrivacyNotices
from shared.clock import Clock
from shared.live_catalogue import CatalogueView
from shared.settings import Settings
from shared.tokens import TokenSigner, address_hash


@dataclass(frozen=True, slots=True)
class Deps:
    """What the subscription commands need besides their unit of work."""

    settings: Settings
    catalogue: CatalogueView
    signer: TokenSigner
    clock: Clock
    # The organisation's privacy notice in every language, read at start-up.
    notices: PrivacyNotices

    def subject_hash(self, address: str) -> str:
        """Return the consent ledger's keyed hash of a normalised address."""
        return address_hash(self.settings.secret_key, address)

    def confirmation_token_id(self, request_id: uuid.UUID) -> str:
        """Return the consent ledger's ``token_id`` of a confirmed sign-up request: a keyed hash.

        The request's own id travels elsewhere (its event, the confirmation mail's delivery);
        kept as it is here, it would tie those to the person's keyed hash after erasure.
        """
        key = self.settings.secret_key.encode()
        digest = hmac.new(key, f"confirmation:{request_id}".encode(), hashlib.sha256)
        return digest.hexdigest()[:32]  # 128 bits; the column holds 36 characters

    def limit_key(self, kind: str, value: str) -> str:
        """Return a keyed hash for a rate-limit counter (no address or IP is stored)."""
        key = self.settings.secret_key.encode()
        return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()

    @property
    def confirm_ttl(self) -> timedelta:
        """Return how long a confirmation link works."""
        return timedelta(days=self.settings.confirm_ttl_days)
