"""The envelope sender that tells which delivery a late bounce or complaint is about (VERP).

Each mail leaves with ``MAIL FROM:<bounces+TOKEN@domain>``; a relay that accepts the mail and
refuses it later sends its delivery status notification to that address, so the token names the
delivery without the report having to be trusted to name the person. The token is the delivery
id and an HMAC of it under the server key: only varsel can make one, and it carries no address.
Hand-written on the standard library for the same reason as ``shared.tokens``: the signing
libraries do not bind a purpose into the MAC, and this is a dozen lines.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass, field
from typing import Final

# 80 bits: a forger gets one guess per report, and the listener logs every wrong one.
_MAC_BYTES: Final = 10
# Base32 in lower case survives relays that fold the local part's case.
_TOKEN: Final = re.compile(r"^(?P<id>[1-9][0-9]{0,17})-(?P<mac>[a-z2-7]{16})$")


def _mac(key: bytes, delivery_id: int) -> str:
    digest = hmac.digest(key, b"bounce\x00" + str(delivery_id).encode(), "sha256")
    return base64.b32encode(digest[:_MAC_BYTES]).decode("ascii").lower()


@dataclass(frozen=True, slots=True)
class BounceAddress:
    """``local+TOKEN@domain`` addresses for one configured bounce mailbox ``local@domain``."""

    local: str
    domain: str
    _key: bytes = field(repr=False)

    @classmethod
    def of(cls, address: str, secret_key: str) -> BounceAddress:
        """Return the bounce addresses of a mailbox such as ``bounces@example.no``."""
        local, _, domain = address.strip().rpartition("@")
        if not local or not domain or "+" in local:
            raise ValueError(f"not a plain mailbox such as bounces@example.no: {address!r}")
        key = hashlib.sha256(b"varsel-bounce-address\x00" + secret_key.encode()).digest()
        return cls(local.lower(), domain.lower(), key)

    def for_delivery(self, delivery_id: int) -> str:
        """Return the envelope sender of one delivery."""
        return f"{self.local}+{delivery_id}-{_mac(self._key, delivery_id)}@{self.domain}"

    def _local_of(self, address: str) -> str | None:
        """Return an address's local part if it is at this mailbox's domain."""
        local, _, domain = address.strip().strip("<>").rpartition("@")
        return local.lower() if domain.lower() == self.domain else None

    def is_ours(self, address: str) -> bool:
        """Tell whether an address is the mailbox or one of its token addresses (by shape)."""
        local = self._local_of(address)
        return local is not None and (local == self.local or local.startswith(self.local + "+"))

    def carries_token(self, address: str) -> bool:
        """Tell whether an address is one of the mailbox's token addresses (by shape)."""
        local = self._local_of(address)
        return local is not None and local.startswith(self.local + "+")

    def delivery_of(self, address: str) -> int | None:
        """Return the delivery a genuine token address names; None for any other address."""
        local = self._local_of(address)
        if local is None or not local.startswith(self.local + "+"):
            return None
        found = _TOKEN.match(local[len(self.local) + 1 :])
        if found is None:
            return None
        delivery_id = int(found["id"])
        if not hmac.compare_digest(found["mac"], _mac(self._key, delivery_id)):
            return None
        return delivery_id
