"""Admin accounts, passwords (argon2), browser sessions, API tokens and login rate limits."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.subscriptions.admin.tables import AdminSession, AdminToken, AdminUser
from shared.web import rate_limit

Role = Literal["auditor", "operator"]
ROLES: Final[tuple[Role, ...]] = ("auditor", "operator")
# An operator may do everything an auditor may, and also see operations.
_RANK: Final = {"auditor": 1, "operator": 2}

SESSION_TTL: Final = timedelta(hours=8)
MIN_PASSWORD: Final = 12
# Failed logins allowed per hour, per account name and per client address.
LOGIN_LIMIT_PER_NAME: Final = 5
LOGIN_LIMIT_PER_CLIENT: Final = 20

_hasher = PasswordHasher()
# Verifying against this keeps unknown names as slow as known ones (no account enumeration).
_DUMMY_HASH: Final = _hasher.hash("varsel-no-such-admin-account")


class AdminError(ValueError):
    """An admin account command cannot be done; the message says why."""


@dataclass(frozen=True, slots=True)
class Principal:
    """The signed-in admin a request acts for."""

    user_id: int
    name: str
    role: Role

    def may(self, role: Role) -> bool:
        """Tell whether this admin holds ``role`` or a higher one."""
        return _RANK[self.role] >= _RANK[role]


def _digest(secret: str) -> str:
    # Session ids and tokens carry 256 random bits, so a fast hash is enough to store them.
    return hashlib.sha256(secret.encode()).hexdigest()


def _principal(user: AdminUser) -> Principal:
    role: Role = "operator" if user.role == "operator" else "auditor"
    return Principal(user.id, user.name, role)


async def create_user(
    session: AsyncSession, name: str, role: str, password: str, now: datetime
) -> AdminUser:
    """Create an admin account with an argon2 password hash."""
    if role not in ROLES:
        raise AdminError(f"role must be one of {', '.join(ROLES)}")
    if not name or len(name) > 100 or not name.isprintable() or name.strip() != name:
        raise AdminError("name must be 1-100 printable characters without surrounding spaces")
    if len(password) < MIN_PASSWORD:
        raise AdminError(f"password must be at least {MIN_PASSWORD} characters")
    if await session.scalar(select(AdminUser.id).where(AdminUser.name == name)) is not None:
        raise AdminError(f"an admin called {name!r} exists already")
    hashed = await asyncio.to_thread(_hasher.hash, password)
    user = AdminUser(name=name, role=role, password_hash=hashed, created_at=now)
    session.add(user)
    await session.flush()
    return user


async def check_password(session: AsyncSession, name: str, password: str) -> Principal | None:
    """Return the admin if the name and password match; None otherwise."""
    user = await session.scalar(select(AdminUser).where(AdminUser.name == name))
    stored = user.password_hash if user else _DUMMY_HASH
    try:
        # Argon2 is slow on purpose (a third of a second); keep it off the event loop.
        await asyncio.to_thread(_hasher.verify, stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or user.disabled_at is not None:
        return None
    return _principal(user)


async def note_login(session: AsyncSession, user: Principal, now: datetime) -> None:
    """Remember when an admin last signed in."""
    await session.execute(
        update(AdminUser).where(AdminUser.id == user.user_id).values(last_login_at=now)
    )


def limit_key(secret_key: str, kind: str, value: str) -> str:
    """Return the keyed hash a login counter is stored under (no name or IP in the table)."""
    message = f"admin-login-{kind}:{value}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()


async def login_blocked(
    session: AsyncSession, secret_key: str, name: str, client: str, now: datetime
) -> bool:
    """Tell whether this name or client has used up its failed logins for the hour."""
    limits = {
        limit_key(secret_key, "name", name.lower()): LOGIN_LIMIT_PER_NAME,
        limit_key(secret_key, "client", client): LOGIN_LIMIT_PER_CLIENT,
    }
    counted = await rate_limit.counts(session, limits, now)
    return any(count >= limits[key] for key, count in counted.items())


async def count_failed_login(
    session: AsyncSession, secret_key: str, name: str, client: str, now: datetime
) -> None:
    """Count one failed login against the name and the client."""
    # Only failures count, so an admin who signs in often is never locked out by success.
    await rate_limit.allow(
        session, limit_key(secret_key, "name", name.lower()), LOGIN_LIMIT_PER_NAME, now
    )
    await rate_limit.allow(
        session, limit_key(secret_key, "client", client), LOGIN_LIMIT_PER_CLIENT, now
    )


async def start_session(session: AsyncSession, user: Principal, now: datetime) -> str:
    """Open a browser session; return its random id (only its hash is stored)."""
    session_id = secrets.token_urlsafe(32)
    session.add(
        AdminSession(
            id_hash=_digest(session_id),
            user_id=user.user_id,
            created_at=now,
            expires_at=now + SESSION_TTL,
        )
    )
    await session.execute(delete(AdminSession).where(AdminSession.expires_at <= now))
    return session_id


async def session_principal(
    session: AsyncSession, session_id: str, now: datetime
) -> Principal | None:
    """Return the admin of a current browser session."""
    if not session_id or len(session_id) > 100:
        return None
    user = await session.scalar(
        select(AdminUser)
        .join(AdminSession, AdminSession.user_id == AdminUser.id)
        .where(
            AdminSession.id_hash == _digest(session_id),
            AdminSession.expires_at > now,
            AdminUser.disabled_at.is_(None),
        )
    )
    return _principal(user) if user else None


async def end_session(session: AsyncSession, session_id: str) -> None:
    """Sign a browser session out."""
    await session.execute(delete(AdminSession).where(AdminSession.id_hash == _digest(session_id)))


async def create_token(session: AsyncSession, name: str, now: datetime) -> tuple[int, str]:
    """Issue an API token for an admin; return its id and the token, shown only this once."""
    user = await session.scalar(select(AdminUser).where(AdminUser.name == name))
    if user is None:
        raise AdminError(f"no admin called {name!r}")
    if user.disabled_at is not None:
        raise AdminError(f"the admin {name!r} is disabled")
    token = "varsel_" + secrets.token_urlsafe(32)
    row = AdminToken(user_id=user.id, token_hash=_digest(token), created_at=now)
    session.add(row)
    await session.flush()
    return row.id, token


async def revoke_token(session: AsyncSession, token_id: int, now: datetime) -> bool:
    """Revoke an API token by id; tell whether it was live."""
    row = await session.get(AdminToken, token_id)
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = now
    return True


async def token_principal(session: AsyncSession, token: str) -> Principal | None:
    """Return the admin a live API token belongs to."""
    if not token or len(token) > 200:
        return None
    user = await session.scalar(
        select(AdminUser)
        .join(AdminToken, AdminToken.user_id == AdminUser.id)
        .where(
            AdminToken.token_hash == _digest(token),
            AdminToken.revoked_at.is_(None),
            AdminUser.disabled_at.is_(None),
        )
    )
    return _principal(user) if user else None


async def list_users(session: AsyncSession) -> list[AdminUser]:
    """Return every admin account, by name."""
    return list((await session.scalars(select(AdminUser).order_by(AdminUser.name))).all())


async def set_disabled(session: AsyncSession, name: str, disabled: bool, now: datetime) -> bool:
    """Disable or enable an account; tell whether anything changed.

    Disabling also ends the account's browser sessions and revokes its API tokens, so enabling
    it again needs a fresh sign-in and new tokens.
    """
    user = await session.scalar(select(AdminUser).where(AdminUser.name == name))
    if user is None:
        raise AdminError(f"no admin called {name!r}")
    if (user.disabled_at is not None) == disabled:
        return False
    user.disabled_at = now if disabled else None
    if disabled:
        await session.execute(delete(AdminSession).where(AdminSession.user_id == user.id))
        await session.execute(
            update(AdminToken)
            .where(AdminToken.user_id == user.id, AdminToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )
    return True
