"""Queries and statements of admin accounts, browser sessions and API tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.admin.adapters.tables import AdminSession, AdminToken, AdminUser
from services.admin.domain.accounts import AdminError
from shared.db import rowcount


async def user_named(session: AsyncSession, name: str) -> AdminUser | None:
    """Return the account with a name, if there is one."""
    return await session.scalar(select(AdminUser).where(AdminUser.name == name))


async def add_user(
    session: AsyncSession,
    name: str,
    role: str,
    password_hash: str,
    now: datetime,
    email: str | None = None,
) -> AdminUser:
    """Store a new account and give it its id; refuse (AdminError) a name taken meanwhile."""
    user = AdminUser(name=name, role=role, password_hash=password_hash, created_at=now, email=email)
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as exc:
        # Another create-user of the name, in this case or another, committed since the
        # handler looked (the unique index on the lowered name, migration 0032).
        raise AdminError(f"an admin called {name!r} exists already, in some case") from exc
    return user


async def all_users(session: AsyncSession) -> list[AdminUser]:
    """Return every account, by name."""
    return list((await session.scalars(select(AdminUser).order_by(AdminUser.name))).all())


async def note_login(session: AsyncSession, user_id: int, now: datetime) -> None:
    """Remember when an account last signed in."""
    await session.execute(
        update(AdminUser).where(AdminUser.id == user_id).values(last_login_at=now)
    )


async def add_session(
    session: AsyncSession, id_hash: str, user_id: int, now: datetime, expires_at: datetime
) -> None:
    """Store a browser session by the hash of its id."""
    session.add(
        AdminSession(id_hash=id_hash, user_id=user_id, created_at=now, expires_at=expires_at)
    )


async def purge_expired_sessions(session: AsyncSession, before: datetime) -> int:
    """Delete sessions that ended before a moment; return how many."""
    return rowcount(
        await session.execute(delete(AdminSession).where(AdminSession.expires_at <= before))
    )


async def session_of(session: AsyncSession, id_hash: str) -> tuple[AdminSession, AdminUser] | None:
    """Return a session, ended or not, and its account if the account is enabled."""
    found = (
        await session.execute(
            select(AdminSession, AdminUser)
            .join(AdminUser, AdminSession.user_id == AdminUser.id)
            .where(AdminSession.id_hash == id_hash, AdminUser.disabled_at.is_(None))
        )
    ).first()
    return (found[0], found[1]) if found else None


async def extend_session(session: AsyncSession, id_hash: str, expires_at: datetime) -> None:
    """Move when a session ends."""
    await session.execute(
        update(AdminSession).where(AdminSession.id_hash == id_hash).values(expires_at=expires_at)
    )


async def delete_session(session: AsyncSession, id_hash: str) -> None:
    """Delete one session by the hash of its id."""
    await session.execute(delete(AdminSession).where(AdminSession.id_hash == id_hash))


async def add_token(session: AsyncSession, user_id: int, token_hash: str, now: datetime) -> int:
    """Store an API token by its hash; return its number."""
    row = AdminToken(user_id=user_id, token_hash=token_hash, created_at=now)
    session.add(row)
    await session.flush()
    return row.id


async def revoke_token(session: AsyncSession, token_id: int, now: datetime) -> bool:
    """Revoke a live token by its number; tell whether it was live."""
    row = await session.get(AdminToken, token_id)
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = now
    return True


async def token_user(session: AsyncSession, token_hash: str) -> AdminUser | None:
    """Return the enabled account a live token belongs to."""
    return await session.scalar(
        select(AdminUser)
        .join(AdminToken, AdminToken.user_id == AdminUser.id)
        .where(
            AdminToken.token_hash == token_hash,
            AdminToken.revoked_at.is_(None),
            AdminUser.disabled_at.is_(None),
        )
    )


async def set_password_hash(
    session: AsyncSession, user: AdminUser, password_hash: str, now: datetime
) -> int:
    """Give an account a new password hash and end its browser sessions; return how many
    were still going (rows of sessions that ended already are kept a while, and go too)."""
    user.password_hash = password_hash
    ended = delete(AdminSession).where(AdminSession.user_id == user.id)
    ends = await session.scalars(ended.returning(AdminSession.expires_at))
    return sum(end > now for end in ends.all())


async def revoke_tokens(session: AsyncSession, user: AdminUser, now: datetime) -> list[int]:
    """Revoke every live API token of an account; return their numbers."""
    revoked = await session.scalars(
        update(AdminToken)
        .where(AdminToken.user_id == user.id, AdminToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .returning(AdminToken.id)
    )
    return sorted(revoked.all())


async def set_disabled(session: AsyncSession, user: AdminUser, at: datetime | None) -> None:
    """Disable an account from a moment (ending its sessions, revoking its tokens) or enable it."""
    user.disabled_at = at
    if at is not None:
        await session.execute(delete(AdminSession).where(AdminSession.user_id == user.id))
        await revoke_tokens(session, user, at)


async def enabled_user(session: AsyncSession, user_id: int) -> AdminUser | None:
    """Return an enabled account by its id."""
    return await session.scalar(
        select(AdminUser).where(AdminUser.id == user_id, AdminUser.disabled_at.is_(None))
    )


async def enabled_users_with_address(
    session: AsyncSession, roles: tuple[str, ...]
) -> list[AdminUser]:
    """Return the enabled accounts of these roles that have an email address, by name."""
    return list(
        (
            await session.scalars(
                select(AdminUser)
                .where(
                    AdminUser.role.in_(roles),
                    AdminUser.email.is_not(None),
                    AdminUser.disabled_at.is_(None),
                )
                .order_by(AdminUser.name)
            )
        ).all()
    )
