"""DKIM signatures (RFC 6376) on outgoing mail with dkimpy, when a key is configured."""

from __future__ import annotations

from typing import Final

import dkim

from shared.settings import Settings

# What a receiver must be able to trust: who sent it, to whom, what, when, which list, and the
# unsubscribe headers (RFC 8058 requires them signed). Absent ones are signed as absent.
SIGNED_HEADERS: Final = (
    b"from",
    b"to",
    b"subject",
    b"date",
    b"message-id",
    b"list-id",
    b"list-unsubscribe",
    b"list-unsubscribe-post",
)


class DkimSigner:
    """Adds a DKIM-Signature header for one selector and domain."""

    def __init__(self, *, selector: str, domain: str, private_key: bytes) -> None:
        self._selector = selector.encode("ascii")
        self._domain = domain.encode("idna")
        self._key = private_key

    def sign(self, message: bytes) -> bytes:
        """Return the message with its signature header in front."""
        header: bytes = dkim.sign(
            message,
            self._selector,
            self._domain,
            self._key,
            canonicalize=(b"relaxed", b"relaxed"),
            include_headers=list(SIGNED_HEADERS),
        )
        return header + message


def build_dkim_signer(settings: Settings) -> DkimSigner | None:
    """Return a signer when DKIM is configured. The settings checked at start-up that the key
    is RSA of at least 1024 bits and that the domain aligns with the From address's."""
    if settings.dkim_private_key_path is None:
        return None
    return DkimSigner(
        selector=settings.dkim_selector,
        domain=settings.dkim_domain,
        private_key=settings.dkim_private_key_path.read_bytes(),
    )
