"""Who is asking: an admin's sign-in (admitted, rate limited and checked), the browser session
it opens, and the account behind a session or an API token; one's own password change, checked
like a sign-in.

Each function works inside the caller's transaction, as the account handlers do.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from services.admin import handlers
from services.admin.adapters import accounts, audit_log, login_failures, passwords
from services.admin.adapters.tables import AdminSession, AdminUser
from services.admin.domain.accounts import (
    ENDED_SESSION_KEPT,
    LOGIN_FAILURES_KEPT,
    LOGIN_LIMIT_PER_CLIENT,
    LOGIN_LONGEST_DELAY,
    Principal,
    WeakPassword,
    digest,
    end_moves,
    limit_key,
    login_waits,
    role_of,
    session_end,
    session_ending,
)
from shared.carried_text import carried_line
from shared.sign_in_names import tried_name
from shared.web import rate_limit

# The actor of the hour's entry for sign-ins with names that are no account's: the names
# themselves are what a stranger chooses (the first is kept in the entry's details).
UNKNOWN_ACCOUNT: Final = "(no such account)"


def _principal(user: AdminUser) -> Principal:
    return Principal(user.id, user.name, role_of(user.role))


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
    refused: str | None  # "login_failed", "login_limited", or why a new password is refused
    # For a limited attempt: when this client may try this name again.
    retry_at: datetime | None = None


def _as_tried(name: str) -> str:
    # A failed or refused sign-in names what was typed, which may be no account at all: a
    # person's address typed into the name field must not be kept for the audit log's years.
    return tried_name(name)


def _pair_key(secret_key: str, name: str, client: str) -> str:
    return limit_key(
        secret_key, "name-client", f"{name.lower()}\n{rate_limit.counted_client(client)}"
    )


def _client_key(secret_key: str, client: str) -> str:
    # An IPv6 client by its /64 (rate_limit.counted_client); the audit log keeps the address.
    return limit_key(secret_key, "client", rate_limit.counted_client(client))


async def admit_sign_in(
    session: AsyncSession, secret_key: str, name: str, client: str, now: datetime
) -> SignIn | None:
    """Let an attempt go ahead (None), or refuse it while this client waits (the refusal).

    Run in a short transaction of its own before ``sign_in``: the attempt is counted as a
    failure from here on, so parallel attempts cannot all be checked before any is counted,
    and the argon2 check that follows holds no write lock.
    """
    per_client = _client_key(secret_key, client)
    counted = await rate_limit.counts(session, [per_client], now)
    retry_at: datetime | None
    if counted.get(per_client, 0) >= LOGIN_LIMIT_PER_CLIENT:
        retry_at = rate_limit.window_end(now)
    else:
        retry_at = await login_failures.claim_attempt(
            session,
            _pair_key(secret_key, name, client),
            now,
            login_waits(now),
            now + LOGIN_LONGEST_DELAY,
            now - LOGIN_FAILURES_KEPT,
        )
    if retry_at is None:
        return None
    await _record_refusal(session, "login_limited", name, client, now)
    return SignIn(None, "login_limited", retry_at)


async def _record_refusal(
    session: AsyncSession, action: str, name: str, client: str, now: datetime
) -> None:
    """Audit a refused sign-in: a wrong password for an account each time; anything a
    stranger can repeat at will once a client and hour, counting the rest into it.

    A wrong password for an account is limited by the doubling waits per name and client,
    and each one is evidence about that account, so each is kept. A name that is no account,
    and an attempt refused while its client waits, cost the client nothing: each kept, anyone
    on the network could grow the audit log without bound (ADR 0028).
    """
    account = await accounts.user_named(session, name)
    if action == "login_failed" and account is not None:
        audit_log.record(session, actor=_as_tried(name), action=action, client=client, now=now)
        return
    # Kept as one plain line, as the actor is (audit_log.record).
    tried = {"first_name_tried": carried_line(_as_tried(name), 100)}
    details = {} if account is not None else tried
    await audit_log.record_repeated(
        session,
        actor=account.name if account is not None else UNKNOWN_ACCOUNT,
        action=action,
        # The network a limit counts (an IPv6 client's /64), so rotating addresses within it
        # make no new entries; the first address is kept beside it.
        client=rate_limit.counted_client(client),
        now=now,
        since=now.replace(minute=0, second=0, microsecond=0),
        details={**details, "first_client": client},
    )


async def _verify(
    session: AsyncSession, secret_key: str, name: str, password: str, client: str, now: datetime
) -> Principal | None:
    """Check an admitted attempt's password: a failure counts against the client, a match
    forgets the client's failures for the name."""
    principal = await check_password(session, name, password)
    if principal is None:
        # Only failures count against the client, so signing in often never locks anyone out.
        await rate_limit.allow(
            session, _client_key(secret_key, client), LOGIN_LIMIT_PER_CLIENT, now
        )
        await _record_refusal(session, "login_failed", name, client, now)
        return None
    await login_failures.forget(session, _pair_key(secret_key, name, client))
    return principal


async def sign_in(
    session: AsyncSession,
    secret_key: str,
    name: str,
    password: str,
    client: str,
    now: datetime,
    idle: timedelta,
) -> SignIn:
    """Check the name and password of an admitted attempt; open a session if they match (it
    ends after ``idle`` without use)."""
    principal = await _verify(session, secret_key, name, password, client, now)
    if principal is None:
        return SignIn(None, "login_failed")
    session_id = await start_session(session, principal, now, idle)
    await accounts.note_login(session, principal.user_id, now)
    audit_log.record(session, actor=name, action="login", client=client, now=now)
    return SignIn(session_id, None)


async def change_own_password(
    session: AsyncSession,
    secret_key: str,
    signed_in: Principal,
    current: str,
    new: str,
    client: str,
    now: datetime,
    idle: timedelta,
) -> SignIn:
    """Replace a signed-in admin's password, admitted and checked like a sign-in.

    Every session of the account ends; the answer carries a fresh one for this browser, or
    why there is none ("login_failed", "password_short", "password_weak").
    """
    principal = await _verify(session, secret_key, signed_in.name, current, client, now)
    if principal is None or principal.user_id != signed_in.user_id:
        return SignIn(None, "login_failed")
    try:
        await handlers.set_password(session, signed_in.name, new, now)
    except WeakPassword as weak:
        return SignIn(None, weak.reason)
    audit_log.record(
        session, actor=signed_in.name, action="password_changed", client=client, now=now
    )
    return SignIn(await start_session(session, principal, now, idle), None)


async def start_session(
    session: AsyncSession, user: Principal, now: datetime, idle: timedelta
) -> str:
    """Open a browser session that ends after ``idle`` without use; return its random id (only
    its hash is stored)."""
    session_id = secrets.token_urlsafe(32)
    end = session_end(now, now, idle)
    await accounts.add_session(session, digest(session_id), user.user_id, now, end)
    await accounts.purge_expired_sessions(session, now - ENDED_SESSION_KEPT)
    return session_id


@dataclass(frozen=True, slots=True)
class SessionCheck:
    """The admin of a browser's session, or none; for a session that has ended, why."""

    principal: Principal | None
    ended: Literal["idle", "expired"] | None = None


async def _current_session(
    session: AsyncSession, session_id: str, now: datetime
) -> tuple[SessionCheck, AdminSession | None]:
    """Return the admin of a browser session and its row while it has not ended; for one that
    has, why, and no row."""
    if not session_id or len(session_id) > 100:
        return SessionCheck(None), None
    found = await accounts.session_of(session, digest(session_id))
    if found is None:
        return SessionCheck(None), None
    row, user = found
    if row.expires_at <= now:
        return SessionCheck(None, session_ending(row.created_at, row.expires_at)), None
    return SessionCheck(_principal(user)), row


async def session_principal(
    session: AsyncSession, session_id: str, now: datetime, idle: timedelta
) -> SessionCheck:
    """Return the admin of a current browser session, and let its end follow this use.

    The end moves only when it moves by SESSION_SLIDE_STEP or more, or reaches the sign-in's
    last moment (``end_moves``), so most requests write nothing; a shorter idle timeout set
    since the sign-in holds from this request on.
    """
    check, row = await _current_session(session, session_id, now)
    if row is None:
        return check
    end = session_end(row.created_at, now, idle)
    if end_moves(row.created_at, row.expires_at, end):
        await accounts.extend_session(session, row.id_hash, end)
    return check


async def session_holder(session: AsyncSession, session_id: str, now: datetime) -> Principal | None:
    """Return the admin of a current browser session without counting this as its use: the
    session is read, never written, so its end stays where the last page or form put it.

    For a page no guard admitted (an error page), which shows who is signed in but is no use
    of the staff side; a session is current here exactly when ``session_principal`` finds it so.
    """
    check, _ = await _current_session(session, session_id, now)
    return check.principal


async def end_session(session: AsyncSession, session_id: str) -> None:
    """Sign a browser session out."""
    await accounts.delete_session(session, digest(session_id))


async def token_principal(session: AsyncSession, token: str) -> Principal | None:
    """Return the admin a live API token belongs to."""
    if not token or len(token) > 200:
        return None
    user = await accounts.token_user(session, digest(token))
    return _principal(user) if user else None
