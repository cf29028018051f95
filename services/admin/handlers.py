"""What the admin does with its accounts: create, sign in and out, issue tokens, disable.

Each function works inside the caller's transaction; routes and commands open it and write
their own audit entry beside it, so an action and its record commit together.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from services.admin import catalogue
from services.admin.adapters import (
    accounts,
    audit_log,
    catalogue_rows,
    login_failures,
    passwords,
    publisher_tokens,
)
from services.admin.adapters.tables import AdminUser
from services.admin.domain.accounts import (
    ENDED_SESSION_KEPT,
    LOGIN_FAILURES_KEPT,
    LOGIN_LIMIT_PER_CLIENT,
    LOGIN_LONGEST_DELAY,
    AdminError,
    Principal,
    WeakPassword,
    check_name,
    check_new_account,
    check_password_strength,
    check_role,
    digest,
    end_moves,
    limit_key,
    login_waits,
    role_of,
    session_end,
    session_ending,
    staff_address,
)
from services.admin.domain.topic_edits import rename_editor
from shared.logs import redact
from shared.web import rate_limit


def _principal(user: AdminUser) -> Principal:
    return Principal(user.id, user.name, role_of(user.role))


async def create_user(
    session: AsyncSession,
    name: str,
    role: str,
    password: str,
    now: datetime,
    email: str | None = None,
    *,
    smtp_utf8: bool = False,
) -> AdminUser:
    """Create an admin account with an argon2 password hash and, if given, an email address
    (one with a part before the @ beyond ASCII only if the relay takes it: ``smtp_utf8``)."""
    check_new_account(name, role, password)
    address = staff_address(email, smtp_utf8=smtp_utf8) if email else None
    if await accounts.user_named(session, name) is not None:
        raise AdminError(f"an admin called {name!r} exists already")
    return await accounts.add_user(
        session, name, role, await passwords.hash_password(password), now, address
    )


async def set_email(
    session: AsyncSession, name: str, email: str | None, *, smtp_utf8: bool = False
) -> bool:
    """Give an admin an email address, or take it away (None or blank); tell whether it changed.

    Raises AdminError for an unknown account or an address sign-up would refuse (``smtp_utf8``
    as VARSEL_SMTP_UTF8 says: whether the relay takes a part before the @ beyond ASCII).
    """
    user = await accounts.user_named(session, name)
    if user is None:
        raise AdminError(f"no admin called {name!r}")
    address = staff_address(email, smtp_utf8=smtp_utf8) if email and email.strip() else None
    if user.email == address:
        return False
    user.email = address
    return True


async def set_role(session: AsyncSession, name: str, role: str) -> str | None:
    """Give an admin another role; return the role it had, or None if it had this one already.

    The role is read on every request, so browsers already signed in and API tokens act with
    the new role from their next request on. Raises AdminError for an unknown account or role.
    """
    wanted = check_role(role)
    user = await accounts.user_named(session, name)
    if user is None:
        raise AdminError(f"no admin called {name!r}")
    if user.role == wanted:
        return None
    previous, user.role = user.role, wanted
    return previous


@dataclass(frozen=True, slots=True)
class Renamed:
    """A renamed account, and the topics that now name it as an editor by its new name."""

    user_id: int
    topics: tuple[str, ...]


async def rename_user(
    session: AsyncSession, old: str, new: str, *, actor: str, now: datetime
) -> Renamed:
    """Give an admin another name, by the rules of a new account's (raises AdminError).

    Sessions and API tokens belong to the account, not its name, and go on working; the
    publisher tokens it issued name the new name as their issuer (so a password reset still
    finds them), and the topics that name the old name as an editor name the new one, applied
    as a catalogue change. Audit entries written before keep the name they were written under.
    """
    check_name(new)
    user = await accounts.user_named(session, old)
    if user is None:
        raise AdminError(f"no admin called {old!r}")
    if new == old:
        raise AdminError(f"the admin is called {new!r} already")
    if await accounts.user_named(session, new) is not None:
        raise AdminError(f"an admin called {new!r} exists already")
    user.name = new
    await publisher_tokens.rename_issuer(session, old, new)
    await session.flush()
    stored = (await catalogue_rows.load(session)).catalogue
    if not any(old in topic.editors for topic in (*stored.topics, *stored.ended)):
        return Renamed(user.id, ())
    plan = await catalogue.edit(
        session,
        lambda rows: rename_editor(rows, old, new),
        actor=actor,
        client="cli",
        now=now,
        origin="varsel admin rename-user",
    )
    return Renamed(user.id, tuple(c.key for c in plan.changes if c.section == "topics"))


async def set_password(session: AsyncSession, name: str, password: str, now: datetime) -> None:
    """Give an admin a new password (as strong as a new account's); its sessions end."""
    await _new_password(session, name, password, now)


async def _new_password(
    session: AsyncSession, name: str, password: str, now: datetime
) -> tuple[AdminUser, int]:
    user = await accounts.user_named(session, name)
    if user is None:
        raise AdminError(f"no admin called {name!r}")
    check_password_strength(name, password)
    hashed = await passwords.hash_password(password)
    return user, await accounts.set_password_hash(session, user, hashed, now)


@dataclass(frozen=True, slots=True)
class Reset:
    """What a password reset ended (how many browser sessions, which API tokens), and the live
    publisher tokens the account issued, which it leaves to the operator (number, name)."""

    sessions_ended: int
    tokens_revoked: list[int]
    publisher_tokens: list[tuple[int, str]]


async def reset_password(session: AsyncSession, name: str, password: str, now: datetime) -> Reset:
    """Reset a lost or compromised account: a new password; its browser sessions and API
    tokens end.

    Unlike one's own change on /admin/password, which keeps the account's tokens: those are
    issued only on the server's command line, never to someone who merely knew the password.
    The publisher tokens the account issued on /admin/publishers go on working: a CMS pushes
    with each, and revoking one silently would stop its alerts. They are returned instead, so
    the operator can revoke any that whoever had the password may have issued.
    """
    user, ended = await _new_password(session, name, password, now)
    revoked = await accounts.revoke_tokens(session, user, now)
    return Reset(ended, revoked, await publisher_tokens.live_issued_by(session, user.name))


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
    return redact(name)


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
    audit_log.record(session, actor=_as_tried(name), action="login_limited", client=client, now=now)
    return SignIn(None, "login_limited", retry_at)


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
        audit_log.record(
            session, actor=_as_tried(name), action="login_failed", client=client, now=now
        )
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
        await set_password(session, signed_in.name, new, now)
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


async def session_principal(
    session: AsyncSession, session_id: str, now: datetime, idle: timedelta
) -> SessionCheck:
    """Return the admin of a current browser session, and let its end follow this use.

    The end moves only when it moves by SESSION_SLIDE_STEP or more, or reaches the sign-in's
    last moment (``end_moves``), so most requests write nothing; a shorter idle timeout set
    since the sign-in holds from this request on.
    """
    if not session_id or len(session_id) > 100:
        return SessionCheck(None)
    found = await accounts.session_of(session, digest(session_id))
    if found is None:
        return SessionCheck(None)
    row, user = found
    if row.expires_at <= now:
        return SessionCheck(None, session_ending(row.created_at, row.expires_at))
    end = session_end(row.created_at, now, idle)
    if end_moves(row.created_at, row.expires_at, end):
        await accounts.extend_session(session, row.id_hash, end)
    return SessionCheck(_principal(user))


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
