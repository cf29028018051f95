"""Tables owned by the watcher service."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, BigId, UTCDateTime

# What the columns of a source's validators and addresses hold: a server's header or a
# redirect's address longer than these is not kept (http_headers, outcomes), as PostgreSQL
# refuses to store it and the whole poll's outcome with it.
URL_CHARS = 2000
ETAG_CHARS = 500
LAST_MODIFIED_CHARS = 100


class WatchedSource(Base):
    """A page, feed or PDF from the catalogue, with what the last poll learnt."""

    __tablename__ = "watch_sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(String(URL_CHARS), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    topics: Mapped[list[str]] = mapped_column(JSON)
    interval_seconds: Mapped[int] = mapped_column(Integer)
    selector: Mapped[str | None] = mapped_column(String(500))
    ignore: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    etag: Mapped[str | None] = mapped_column(String(ETAG_CHARS))
    last_modified: Mapped[str | None] = mapped_column(String(LAST_MODIFIED_CHARS))
    body_hash: Mapped[str | None] = mapped_column(String(64))
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    # The version of the extraction rules the fingerprint was read under (domain/model.py
    # EXTRACTION); NULL: stored before versions were kept, that is under version 1.
    extraction: Mapped[int | None] = mapped_column(SmallInteger)
    title: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(10), default="new")  # new | ok | failing
    last_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Until when a WebSub hub has promised to push this feed: polled more slowly till then.
    push_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Pages that disappear (domain/gone.py): since when every answer was 404 or 410, since when
    # that has lasted long enough to ask an editor, and when an editor confirmed it.
    missing_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    gone_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    gone_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Where the address last led after redirects, if elsewhere: told when the page is gone.
    moved_to: Mapped[str | None] = mapped_column(String(URL_CHARS))
    # When the text last went back to a version it had shown lately (domain/returns.py):
    # nobody was alerted, and the admin shows the source as flipping between versions.
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Until when the page's next new text was told already, by a publisher's push
    # (domain/told.py): that text is stored as the baseline and nobody is alerted again.
    told_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Pushed changes that wait for the next read of the page (domain/told.py), as a JSON list
    # of their events: sent when it shows new text, dropped when it shows the text told already.
    held_pushes: Mapped[str | None] = mapped_column(Text)
    # The rules (kind, selector, ignore patterns) the stored text was read under, where an
    # editor has changed them since (catalogue_sync, rules_text): the next new text is judged
    # as read under them (docs/decisions/0017, «Rules an editor changes»); NULL: the source's own.
    # Text, not JSON: NULL at nearly every claim, where a JSON column's processor runs per row.
    rules_before: Mapped[str | None] = mapped_column(Text)
    # The fingerprint of a reading that differed from the stored text only in its numbers or
    # the order of its blocks (domain/numbers_only.py): told only if the next reading is the
    # same, since a clock, a counter or an id changes at every request.
    pending_print: Mapped[str | None] = mapped_column(String(64))


class Snapshot(Base):
    """The extracted content of a source at one moment, compressed, kept for diffs."""

    __tablename__ = "watch_snapshots"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    source_id: Mapped[int] = mapped_column(
        ForeignKey("watch_sources.id", ondelete="CASCADE"), index=True
    )
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime())
    fingerprint: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(500))
    published: Mapped[date | None] = mapped_column(Date)
    updated: Mapped[date | None] = mapped_column(Date)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    meta: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class HubSubscription(Base):
    """A feed's subscription at the WebSub hub it advertises (domain/websub.py)."""

    __tablename__ = "watch_hub_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source_id: Mapped[int] = mapped_column(
        ForeignKey("watch_sources.id", ondelete="CASCADE"), unique=True
    )
    hub_url: Mapped[str] = mapped_column(String(2000))
    topic_url: Mapped[str] = mapped_column(String(2000))
    # The callback's last path segment: random, so nobody can guess another feed's callback.
    callback_id: Mapped[str] = mapped_column(String(64), unique=True)
    secret: Mapped[str] = mapped_column(String(64))  # hub.secret: signs every push
    state: Mapped[str] = mapped_column(String(10))  # SubscriptionState
    next_request_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_push_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)


class PushedBody(Base):
    """A verified push waiting for the watcher to compare it, as it would a polled body."""

    __tablename__ = "watch_pushed_bodies"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    source_id: Mapped[int] = mapped_column(
        ForeignKey("watch_sources.id", ondelete="CASCADE"), index=True
    )
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    content_type: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[bytes] = mapped_column(LargeBinary)


class PushDigest(Base):
    """A body a subscription's hub pushed, by its SHA-256: the same body again is not taken.

    WebSub has no replay protection: a push signed once is valid for as long as the secret.
    """

    __tablename__ = "watch_push_digests"
    __table_args__ = (
        UniqueConstraint("subscription_id", "digest", name="uq_watch_push_digests_digest"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("watch_hub_subscriptions.id", ondelete="CASCADE")
    )
    digest: Mapped[str] = mapped_column(String(64))
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PublisherKey(Base):
    """A change a publisher pushed, by its idempotency key: the same key twice sends once."""

    __tablename__ = "watch_publisher_keys"
    # A key is the publisher's own: two CMSs numbering their changes alike are not one sender.
    __table_args__ = (
        UniqueConstraint("publisher", "idempotency_key", name="uq_watch_publisher_keys_key"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(200))
    # The SHA-256 of the request's fields: the same key with another body is refused.
    body_hash: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    publisher: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
