"""What the admin does with its accounts: create, rename, give roles, addresses and passwords,
issue and revoke API tokens, disable (signing in and checking sessions is in ``authentication``).

Each function works inside the caller's transaction; routes and commands open it and write
their own audit entry beside it, so an action and its record commit together.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.admin import catalogue
from services.admin.adapters import accounts, catalogue_rows, passwords, publisher_tokens
from services.admin.adapters.tables import AdminUser
from services.admin.domain.accounts import (
    AdminError,
    check_name,
    check_new_account,
    check_password_strength,
    check_role,
    digest,
    staff_address,
)
from services.admin.domain.topic_edits import rename_editor


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
    await _refuse_taken(session, name)
    return await accounts.add_user(
        session, name, role, await passwords.hash_password(password), now, address
    )


async def _refuse_taken(session: AsyncSession, name: str, *, renaming: int | None = None) -> None:
    """Refuse a name another account has, also but for case (raises AdminError): «Op» beside
    «op» would read as one person in the audit log and the consent ledger."""
    for user in await accounts.all_users(session):
        if user.id != renaming and user.name.casefold() == name.casefold():
            said = "" if user.name == name else f" (as {user.name!r}: names must differ by more)"
            raise AdminError(f"an admin called {name!r} exists already{said}")


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
    await _refuse_taken(session, new, renaming=user.id)
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
