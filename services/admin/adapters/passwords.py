"""Password hashes with argon2, kept off the event loop."""

from __future__ import annotations

import asyncio
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Verifying against this keeps unknown names as slow as known ones (no account enumeration).
_DUMMY_HASH: Final = _hasher.hash("varsel-no-such-admin-account")


async def hash_password(password: str) -> str:
    """Return the argon2 hash of a password."""
    return await asyncio.to_thread(_hasher.hash, password)


async def matches(stored: str | None, password: str) -> bool:
    """Tell whether a password matches a stored hash; as slow when there is no hash at all."""
    try:
        # Argon2 is slow on purpose (a third of a second); keep it off the event loop.
        await asyncio.to_thread(_hasher.verify, stored or _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return False
    return stored is not None
