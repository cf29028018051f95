"""Tables owned by the subscriptions service. The address lives only in ``subscribers.email``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, BigId, UTCDateTime


class Subscriber(Base):
    """One person. Deleted on erasure; everything else refers to them by id."""

    __tablename__ = "sub_subscribers"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    language: Mapped[str] = mapped_column(String(2))
    frequency: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), index=True)  # pending | active | disabled
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    hard_bounces: Mapped[int] = mapped_column(Integer, default=0)
    # When the person's mail last became alerts at once or digests (confirmation, or a switch
    # between the two): a digest tells nothing from before (docs/decisions/0016, point 7).
    # NULL for people who switched before it was kept.
    frequency_since: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Subscription(Base):
    """A person's alerts about one topic; ended, never deleted while the person exists."""

    __tablename__ = "sub_subscriptions"
    __table_args__ = (Index("ix_sub_subscriptions_topic_open", "topic", "ended_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    subscriber_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sub_subscribers.id", ondelete="CASCADE"), index=True
    )
    topic: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_reason: Mapped[str | None] = mapped_column(String(20))


class SignupRequest(Base):
    """A sign-up waiting for its confirmation (double opt-in); only ``confirmed_at`` changes."""

    __tablename__ = "sub_signup_requests"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    subscriber_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sub_subscribers.id", ondelete="CASCADE"), index=True
    )
    topics: Mapped[list[str]] = mapped_column(JSON)
    frequency: Mapped[str] = mapped_column(String(10))
    language: Mapped[str] = mapped_column(String(2))
    page: Mapped[str | None] = mapped_column(String(2000))
    privacy_version: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ConsentRecord(Base):
    """One step in a person's consent history. Append-only: never updated or deleted by the app."""

    __tablename__ = "sub_consent_ledger"
    # Keyset paging of the admin ledger views (migration 0002). They do not carry the topics
    # (0035 undid 0003): an index entry cannot hold a sign-up for every topic of a large
    # catalogue, and a ledger row must always be writable.
    __table_args__ = (
        Index("ix_sub_consent_ledger_occurred_at_id", "occurred_at", "id"),
        Index("ix_sub_consent_ledger_action_occurred_at_id", "action", "occurred_at", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    subject_hash: Mapped[str] = mapped_column(String(64), index=True)
    # Indexed by the paging indexes above, which lead with it (migration 0019).
    action: Mapped[str] = mapped_column(String(30))
    topics: Mapped[list[str]] = mapped_column(JSON)
    frequency: Mapped[str | None] = mapped_column(String(10))
    language: Mapped[str | None] = mapped_column(String(2))
    privacy_version: Mapped[str | None] = mapped_column(String(40))
    privacy_hash: Mapped[str | None] = mapped_column(String(64))
    page: Mapped[str | None] = mapped_column(String(2000))
    channel: Mapped[str] = mapped_column(String(20))
    token_id: Mapped[str | None] = mapped_column(String(36))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())  # likewise
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class PrivacyNotice(Base):
    """The exact privacy text a person was shown, stored by version and language."""

    __tablename__ = "sub_privacy_notices"

    version: Mapped[str] = mapped_column(String(40), primary_key=True)
    language: Mapped[str] = mapped_column(String(2), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime())
