"""What the admin does with its accounts: create, sign in and out, issue tokens, disable.

Each function works inside the caller's transaction; routes and commands open it and write
their own audit entry beside it, so an action and its record commit together.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.admin.adapters import accounts, audit_log, passwords
from services.admin.adapters.tables import AdminUser
from services.admin.domain.accounts import (
    LOGIN_LIMIT_PER_CLIENT,
    LOGIN_LIMIT_PER_NAME,
    SESSION_TTL,
    AdminError,
    Principal,
    check_new_account,
    digest,
    limit_key,
    role_of,
)
from shared.web import rate_limit


def _principal(user: AdminUser) -> Principal:
    return Principal(user.id, user.name, role_of(user.role))


async def create_user(
    session: AsyncSession, name: str, role: str, password: str, now: datetime
) -> AdminUser:
    """Create an admin account with an argon2 password hash."""
    check_new_account(name, role, password)
    if await accounts.user_named(session, name) is not None:
        raise AdminError(f"an admin called {name!r} exists already")
    return await accounts.add_user(
        session, name, role, await passwords.hash_password(password), now
    )


async def check_password(session: AsyncSession, name: str, password: str) -> Principal | None:
    """Return the admin if the name and password match; None otherwise."""
    user = await accounts.user_named(session, name)
    if not await passwords.matches(user.password_hash if user else None, password):
        return None
    if user is None or user.disabled_at is not None:
        return None
    return _principal(user)


@dataclass(frozen=True, slots=True)
class SignIn:
    """The outcome of a sign-in: the new session's id, or why there is none."""

    session_id: str | None
    refused: str | None  # "login_failed" or "login_limited"


async def sign_in(
    session: AsyncSession, secret_key: str, name: str, password: str, client: str, now: datetime
) -> SignIn:
    """Check a name and password within the login limits; open a session if they match."""
    if await login_blocked(session, secret_key, name, client, now):
        audit_log.record(session, actor=name, action="login_limited", client=client, now=now)
        return SignIn(None, "login_limited")
    principal = await check_password(session, name, password)
    if principal is None:
        await count_failed_login(session, secret_key, name, client, now)
        audit_log.record(session, actor=name, action="login_failed", client=client, now=now)
        return SignIn(None, "login_failed")
    session_id = await start_session(session, principal, now)
    await accounts.note_login(session, principal.user_id, now)
    audit_log.record(session, actor=name, action="login", client=client, now=now)
    return SignIn(session_id, None)


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
    await accounts.add_session(session, digest(session_id), user.user_id, now, now + SESSION_TTL)
    await accounts.purge_expired_sessions(session, now)
    return session_id


async def session_principal(
    session: AsyncSession, session_id: str, now: datetime
) -> Principal | None:
    """Return the admin of a current browser session."""
    if not session_id or len(session_id) > 100:
        return None
    user = await accounts.session_user(session, digest(session_id), now)
    return _principal(user) if user else None


async def end_session(session: AsyncSession, session_id: str) -> None:
    """Sign a browser session out."""
    await accounts.delete_session(session, digest(session_id))


async def create_token(session: AsyncSession, name: str, now: datetime) -> tuple[int, str]:
    """Issue an API token for an admin; return its id and the token, shown only this once."""
    user = await accounts.user_named(session, name)
    if user is None:
        raise AdminError(f"no admin called {name!r}")
    if user.disabled_at is not None:
        raise AdminError(f"the admin {name!r} is disabled")
    token = "varsel_" + secrets.token_urlsafe(32)
    return await accounts.add_token(session, user.id, digest(token), now), token


async def revoke_token(session: AsyncSession, token_id: int, now: datetime) -> bool:
    """Revoke an API token by id; tell whether it was live."""
    return await accounts.revoke_token(session, token_id, now)


async def token_principal(session: AsyncSession, token: str) -> Principal | None:
    """Return the admin a live API token belongs to."""
    if not token or len(token) > 200:
        return None
    user = await accounts.token_user(session, digest(token))
    return _principal(user) if user else None


async def list_users(session: AsyncSession) -> list[AdminUser]:
    """Return every admin account, by name."""
    return await accounts.all_users(session)


async def set_disabled(session: AsyncSession, name: str, disabled: bool, now: datetime) -> bool:
    """Disable or enable an account; tell whether anything changed.

    Disabling also ends the account's browser sessions and revokes its API tokens, so enabling
    it again needs a fresh sign-in and new tokens.
    """
    user = await accounts.user_named(session, name)
    if user is None:
        raise AdminError(f"no admin called {name!r}")
    if (user.disabled_at is not None) == disabled:
        return False
    await accounts.set_disabled(session, user, now if disabled else None)
    return True
