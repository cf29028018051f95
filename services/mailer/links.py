"""The signed links a mail carries: a person's own manage and unsubscribe links, a confirm link."""

from __future__ import annotations

import uuid
from datetime import datetime

from services.mailer.domain.mime import RecipientLinks
from shared.tokens import TokenSigner


class SignedLinks:
    """Builds links whose tokens only this installation can sign."""

    def __init__(self, base_url: str, signer: TokenSigner) -> None:
        self._base = base_url
        self._signer = signer

    def for_subscriber(self, subscriber_id: uuid.UUID, now: datetime) -> RecipientLinks:
        """Return a person's manage, unsubscribe and one-click links."""
        manage, unsubscribe = self._signer.sign_each(("manage", "unsubscribe"), subscriber_id, now)
        return RecipientLinks(
            manage_url=f"{self._base}/manage/{manage}",
            unsubscribe_url=f"{self._base}/unsubscribe/{unsubscribe}",
            one_click_url=f"{self._base}/one-click/{unsubscribe}",
        )

    def confirm_url(self, request_id: uuid.UUID, now: datetime) -> str:
        """Return the link that confirms one sign-up request."""
        return f"{self._base}/confirm/{self._signer.sign('confirm', request_id, now)}"
