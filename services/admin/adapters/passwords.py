"""Password hashes with argon2, kept off the event loop."""

from __future__ import annotations

import asyncio
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Return the hash an unknown name is checked against, made once, at the first sign-in.

    Verifying against it keeps unknown names as slow as known ones (no account enumeration).
    Made at import, it cost every process that imports the admin (the mailer's and the
    watcher's too, and each command) argon2's 64 MiB of memory and a third of a second at
    start, for a hash only a sign-in uses.
    """
    return _hasher.hash("varsel-no-such-admin-account")


def _verify(stored: str | None, password: str) -> None:
    # The first sign-in makes the dummy hash whether its name is known or not, so that one
    # is no slower for an unknown name either.
    dummy = _dummy_hash()
    _hasher.verify(stored or dummy, password)


async def hash_password(password: str) -> str:
    """Return the argon2 hash of a password."""
    return await asyncio.to_thread(_hasher.hash, password)


async def matches(stored: str | None, password: str) -> bool:
    """Tell whether a password matches a stored hash; as slow when there is no hash at all."""
    try:
        # Argon2 is slow on purpose (a third of a second); keep it off the event loop.
        await asyncio.to_thread(_verify, stored, password)
    except (VerificationError, InvalidHashError):
        return False
    return stored is not None
