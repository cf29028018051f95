"""Purpose-scoped, unguessable link tokens.

A token is the subject id and the day it was issued, authenticated with HMAC-SHA256 under the
server key and the token's purpose. Nothing secret is stored in the database, a confirm token
cannot be used to unsubscribe, and deleting the subject (erasure) revokes every token for it.
Hand-written because it is twenty lines on the standard library, and the signed-cookie libraries
do not bind a purpose into the MAC.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, get_args
from uuid import UUID

Purpose = Literal["confirm", "manage", "unsubscribe"]
_MAC_BYTES = 20  # 160 bits of authentication on top of a random 122-bit id
_EPOCH_DAY = 86400
# How far another replica's clock may run ahead of this one's. A token dated later than that
# was not issued by a healthy server, so it is refused rather than honoured for longer.
CLOCK_SKEW = timedelta(minutes=5)


_URLSAFE = bytes.maketrans(b"+/", b"-_")


def _b64(data: bytes) -> str:
    # base64.urlsafe_b64encode, without its Python-level wrapping: two tokens for every mail.
    return binascii.b2a_base64(data, newline=False).translate(_URLSAFE).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    # The decoder ignores a last character's unused bits, skips stray characters and takes
    # "+/" for "-_": only the spelling the signer writes names a token, so a link has one form.
    if _b64(data) != text:
        raise ValueError("not a token's own spelling")
    return data


@dataclass(frozen=True, slots=True)
class TokenClaims:
    """What a verified token says."""

    subject: UUID
    issued: datetime


class TokenSigner:
    """Makes and checks link tokens with one server key."""

    def __init__(self, secret_key: str) -> None:
        key = hashlib.sha256(b"varsel-link-tokens\x00" + secret_key.encode()).digest()
        # Keyed once per purpose, and copied for each token: the mailer signs two links for
        # every mail, and a one-shot hmac.digest looks the hash up and keys it every time.
        self._keyed = {
            purpose: hmac.new(key, purpose.encode() + b"\x00", hashlib.sha256)
            for purpose in get_args(Purpose)
        }

    def _mac(self, purpose: Purpose, payload: bytes) -> bytes:
        mac = self._keyed[purpose].copy()
        mac.update(payload)
        return mac.digest()[:_MAC_BYTES]

    def sign(self, purpose: Purpose, subject: UUID, issued: datetime) -> str:
        """Return a token for ``subject`` valid for ``purpose``."""
        (token,) = self.sign_each((purpose,), subject, issued)
        return token

    def sign_each(
        self, purposes: tuple[Purpose, ...], subject: UUID, issued: datetime
    ) -> tuple[str, ...]:
        """Return a token for ``subject`` for each purpose, in order (one payload for all)."""
        payload = subject.bytes + struct.pack(">I", int(issued.timestamp()) // _EPOCH_DAY)
        body = _b64(payload) + "."
        return tuple(body + _b64(self._mac(purpose, payload)) for purpose in purposes)

    def verify(
        self, purpose: Purpose, token: str, *, now: datetime, max_age_days: int | None
    ) -> TokenClaims | None:
        """Return the claims if the token is genuine, for this purpose and current; else None.

        Current means issued at most ``max_age_days`` ago (None: however long ago) and not later
        than now (give or take ``CLOCK_SKEW``).
        """
        if len(token) > 100 or token.count(".") != 1:
            return None
        body, mac = token.split(".")
        try:
            payload, given = _unb64(body), _unb64(mac)
        except (ValueError, TypeError):
            return None
        if len(payload) != 20 or not hmac.compare_digest(given, self._mac(purpose, payload)):
            return None
        (day,) = struct.unpack(">I", payload[16:])
        issued = datetime.fromtimestamp(day * _EPOCH_DAY, UTC)
        too_old = max_age_days is not None and (now - issued).days > max_age_days
        if issued > now + CLOCK_SKEW or too_old:
            return None
        return TokenClaims(subject=UUID(bytes=payload[:16]), issued=issued)


def address_hash(secret_key: str, normalised_address: str) -> str:
    """Return the keyed hash that stands for an address in the consent ledger."""
    key = hashlib.sha256(b"varsel-address-hash\x00" + secret_key.encode()).digest()
    return hmac.new(key, normalised_address.encode("utf-8"), hashlib.sha256).hexdigest()
