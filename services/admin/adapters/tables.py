"""Tables of the admin area: accounts, sessions, API tokens, the audit log, failed sign-ins
and the catalogue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, BigId, UTCDateTime


class AdminUser(Base):
    """A member of staff who signs in to the admin; what they may do is their role's."""

    __tablename__ = "admin_users"
    # Names differing only by case would read as one person in the audit log and the consent
    # ledger: two `create-user` commands at once both pass the handler's check, and this
    # refuses the second (migration 0032). SQLite's lower() folds ASCII only; the handler
    # compares casefolded names as well.
    __table_args__ = (Index("ux_admin_users_name_lowered", func.lower(text("name")), unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(10))  # auditor | editor | operator
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A disabled account cannot sign in, and its sessions and tokens stop working at once.
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Where the mailer sends this person's own mail (a bulletin's test send, reminders); the
    # normal form of shared/addresses.py. Never logged and never in the audit log.
    email: Mapped[str | None] = mapped_column(String(254))


class AdminSession(Base):
    """A signed-in browser; only the hash of the random session id is stored."""

    __tablename__ = "admin_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("admin_users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class AdminToken(Base):
    """An API token for automation; only its hash is stored, and revoking keeps the row."""

    __tablename__ = "admin_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("admin_users.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AdminAuditEntry(Base):
    """Who did what in the admin area, when and from where. Append-only."""

    __tablename__ = "admin_audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(50))
    target: Mapped[str | None] = mapped_column(String(500))
    client: Mapped[str] = mapped_column(String(100))
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class AdminLoginFailures(Base):
    """Failed sign-ins of one account name from one client address, and the wait they earned."""

    __tablename__ = "admin_login_failures"

    # A keyed hash of the name and the client, so the table holds neither.
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    # No attempt from this client for this name is checked before this time.
    not_before: Mapped[datetime] = mapped_column(UTCDateTime())
    last_failed_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class CatalogueTopic(Base):
    """A topic of the catalogue, as the shared model validated it (docs/decisions/0011)."""

    __tablename__ = "admin_catalogue_topics"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    position: Mapped[int] = mapped_column(Integer)
    entry: Mapped[dict[str, Any]] = mapped_column(JSON)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # A retired topic keeps its row, so its sign-up page can say it has ended.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CatalogueSource(Base):
    """A watched source of the catalogue; the watcher keeps its polling state in its own table."""

    __tablename__ = "admin_catalogue_sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(String(2000), unique=True)
    position: Mapped[int] = mapped_column(Integer)
    entry: Mapped[dict[str, Any]] = mapped_column(JSON)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CatalogueState(Base):
    """The catalogue's one state row: its version, and the file last applied at start."""

    __tablename__ = "admin_catalogue_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)  # always 1
    version: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    start_file_hash: Mapped[str | None] = mapped_column(String(64))


class PublisherToken(Base):
    """A token a CMS pushes changes with; it grants publishing and nothing else (ADR 0015).

    Only its hash is stored; revoking keeps the row, so the list shows who could publish when.
    """

    __tablename__ = "admin_publisher_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The sites it may push and ask checks for, one a line (domain/publisher_sites.py); null
    # for a token issued before tokens had sites, which opens every site (ADR 0024).
    sites: Mapped[str | None] = mapped_column(Text)
