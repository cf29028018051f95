"""What the subscription commands need besides their unit of work."""

from __future__ import annotations

import hashlib
import hmac
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

    def limit_key(self, kind: str, value: str) -> str:
        """Return a keyed hash for a rate-limit counter (no address or IP is stored)."""
        key = self.settings.secret_key.encode()
        return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()

    @property
    def confirm_ttl(self) -> timedelta:
        """Return how long a confirmation link works."""
        return timedelta(days=self.settings.confirm_ttl_days)
