"""Tables owned by the mailer service. People appear only as subscriber ids, never addresses."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.schema import Computed

from services.mailer.domain.ledger import OPEN_STATUSES
from services.mailer.domain.review import ChangeStatus
from shared.carried_text import carried_line, carried_text
from shared.db import Base, BigId, UTCDateTime, sqlite_only
from shared.events import BulletinPublished, ContentChanged

# What mail_changes keeps of a change's title and links.
_TITLE_LIMIT = 500
_URL_LIMIT = 2000
# Where a delivery can still be claimed (the partial index of migration 0004).
_OPEN = "status IN ({})".format(", ".join(f"'{status}'" for status in OPEN_STATUSES))


class ChangeRecord(Base):
    """A change the mailer was told about (a copy of the content.changed event)."""

    __tablename__ = "mail_changes"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    source_url: Mapped[str] = mapped_column(String(_URL_LIMIT))
    url: Mapped[str] = mapped_column(String(_URL_LIMIT))
    title: Mapped[str] = mapped_column(String(_TITLE_LIMIT))
    kind: Mapped[str] = mapped_column(String(10))
    topics: Mapped[list[str]] = mapped_column(JSON)
    summary: Mapped[str] = mapped_column(Text)
    published: Mapped[date | None] = mapped_column(Date)
    updated: Mapped[date | None] = mapped_column(Date)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    # Review (domain.review, docs/decisions/0014): a ChangeStatus; the note mails show instead
    # of the summary; the version an editor's decision must name, so two editors cannot both win.
    status: Mapped[str] = mapped_column(
        String(10), index=True, server_default=ChangeStatus.PUBLISHED.value
    )
    note: Mapped[str | None] = mapped_column(Text)
    diff_url: Mapped[str | None] = mapped_column(String(2000))  # the admin's diff of the change
    version: Mapped[int] = mapped_column(Integer, server_default="0")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(100))
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When an approved change's alerts were queued and it took its place in the release log, so
    # the desk can say it was sent rather than that it is being sent.
    fanned_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set when the change is told (on arrival, or on approval): its place in the release log that
    # digests read at run time (docs/decisions/0016). Held, rejected and minor ones have none.
    release_seq: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @classmethod
    def of(
        cls, event: ContentChanged, status: ChangeStatus = ChangeStatus.PUBLISHED
    ) -> ChangeRecord:
        """Return the mailer's record of a content.changed event, arriving with ``status``.

        Its words are cleaned and clipped whoever produced it (a poll, a CMS's push): a NUL
        would fail the insert and the whole fan-out with it, and a title past the column would
        too on PostgreSQL. A link too long to keep is replaced by the source's.
        """
        source_url = carried_text(event.source_url)
        url = carried_text(event.url)
        return cls(
            id=event.event_id,
            source_url=source_url[:_URL_LIMIT],
            url=url if len(url) <= _URL_LIMIT else source_url[:_URL_LIMIT],
            title=carried_line(event.title, _TITLE_LIMIT) or source_url[:_TITLE_LIMIT],
            kind=event.kind,
            topics=list(event.topics),
            summary=carried_text(event.summary),
            published=event.published,
            updated=event.updated,
            occurred_at=event.occurred_at,
            status=status.value,
            note=None if event.note is None else carried_text(event.note),
            diff_url=event.diff_url,
            version=0,
        )


class BulletinRecord(Base):
    """A bulletin the mailer was told about (a copy of the bulletin.published event's words)."""

    __tablename__ = "mail_bulletins"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)  # the bulletin's id
    topics: Mapped[list[str]] = mapped_column(JSON)
    # {language: {"subject": ..., "body": Markdown}}, as the event carried them.
    texts: Mapped[dict[str, dict[str, str]]] = mapped_column(JSON)
    urgent: Mapped[bool] = mapped_column(Boolean)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)

    @classmethod
    def of(cls, event: BulletinPublished) -> BulletinRecord:
        """Return the mailer's record of a bulletin.published event."""
        return cls(
            id=event.bulletin_id,
            topics=list(event.topics),
            texts={str(lang): text.model_dump() for lang, text in event.texts.items()},
            urgent=event.urgent,
            occurred_at=event.occurred_at,
        )


class PendingItem(Base):
    """A change, or a bulletin, owed to one subscriber; it goes out with whatever rhythm they
    have at send time."""

    __tablename__ = "mail_pending_items"
    __table_args__ = (
        UniqueConstraint(
            "subscriber_id", "change_id", name="uq_mail_pending_items_subscriber_change"
        ),
        UniqueConstraint(
            "subscriber_id", "bulletin_id", name="uq_mail_pending_items_subscriber_bulletin"
        ),
        Index("ix_mail_pending_items_open", "subscriber_id", "delivery_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    subscriber_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    # Exactly one of change_id and bulletin_id is set.
    change_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("mail_changes.id", ondelete="CASCADE")
    )
    bulletin_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("mail_bulletins.id", ondelete="CASCADE")
    )
    topic: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    delivery_id: Mapped[int | None] = mapped_column(
        ForeignKey("mail_deliveries.id", ondelete="SET NULL"), index=True
    )


class Delivery(Base):
    """The delivery ledger: one mail to one subscriber, unique per (subscriber, batch)."""

    __tablename__ = "mail_deliveries"
    __table_args__ = (
        UniqueConstraint("subscriber_id", "batch_key", name="uq_mail_deliveries_subscriber_batch"),
        # SQLite's claim reads it. PostgreSQL's claim reads the partial index below, and there
        # this one only cost each claim and each mark an index entry more: without it the
        # mailers' PostgreSQL works a tenth less (migration 0023, docs/benchmarks.md).
        sqlite_only(Index("ix_mail_deliveries_due", "status", "next_attempt_at")),
        # What a claim can take, in id order: the sent rows are not stepped over (0004). On
        # PostgreSQL its condition is is_open, not the status itself, so that a claim (queued
        # to sending) changes no column an index reads and can be a HOT update (migration 0027).
        Index(
            "ix_mail_deliveries_claimable",
            "id",
            postgresql_where=text("is_open"),
            sqlite_where=text(_OPEN),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    # Found by person through the unique (subscriber_id, batch_key) index: no index of its own
    # (migration 0018).
    subscriber_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    batch_key: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))  # a DeliveryKind
    reference: Mapped[dict[str, Any]] = mapped_column(JSON)  # domain.ledger.encode_reference
    status: Mapped[str] = mapped_column(String(10))  # a DeliveryStatus
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    # Whether a worker may still send it, kept by the database from the status. A claim leaves
    # it as it was; only a mail's end (sent, failed, dropped) or its return to the queue change
    # it. The table is filled half (fillfactor 50, migration 0027): a claim's new row version
    # then fits beside the old one, and the claim writes no index entry at all.
    # Stored on PostgreSQL; virtual on SQLite, which can add no stored column (0027).
    is_open: Mapped[bool] = mapped_column(Boolean, Computed(_OPEN, persisted=True))


class DigestRun(Base):
    """One digest period's run, recorded so a run that dies is resumed and none runs twice."""

    __tablename__ = "mail_digest_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    frequency: Mapped[str] = mapped_column(String(10))
    period_start: Mapped[datetime] = mapped_column(UTCDateTime())
    period_end: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    status: Mapped[str] = mapped_column(String(10))  # a DigestRunStatus
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deliveries: Mapped[int] = mapped_column(Integer, default=0)
    # The last release this period's digests tell, fixed when the run starts so a resumed run
    # takes the same changes (docs/decisions/0016).
    through_seq: Mapped[int | None] = mapped_column(BigInteger)


class ReleaseCounter(Base):
    """The one row that numbers releases: its lock makes their order the order they commit."""

    __tablename__ = "mail_release_counter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class DigestCursor(Base):
    """How far in the release log a person's digests have told them (one row per person)."""

    __tablename__ = "mail_digest_cursors"

    subscriber_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    told_through: Mapped[int] = mapped_column(BigInteger)
