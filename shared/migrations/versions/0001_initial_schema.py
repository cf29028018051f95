"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22 07:49:43.037653
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mail_changes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("source_url", sa.String(length=2000), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("published", sa.Date(), nullable=True),
        sa.Column("updated", sa.Date(), nullable=True),
        sa.Column("occurred_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_changes")),
    )
    with op.batch_alter_table("mail_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mail_changes_occurred_at"), ["occurred_at"], unique=False
        )

    op.create_table(
        "mail_deliveries",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("subscriber_id", sa.Uuid(), nullable=True),
        sa.Column("batch_key", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("reference", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("lease_until", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_deliveries")),
        sa.UniqueConstraint(
            "subscriber_id", "batch_key", name="uq_mail_deliveries_subscriber_batch"
        ),
    )
    with op.batch_alter_table("mail_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mail_deliveries_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index("ix_mail_deliveries_due", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_mail_deliveries_subscriber_id"), ["subscriber_id"], unique=False
        )

    op.create_table(
        "mail_digest_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("frequency", sa.String(length=10), nullable=False),
        sa.Column("period_start", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("period_end", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("started_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deliveries", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_digest_runs")),
        sa.UniqueConstraint("key", name=op.f("uq_mail_digest_runs_key")),
    )
    with op.batch_alter_table("mail_digest_runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mail_digest_runs_period_end"), ["period_end"], unique=False
        )

    op.create_table(
        "outbox_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("occurred_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_outbox_events_event_id")),
    )
    with op.batch_alter_table("outbox_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outbox_events_published_at"), ["published_at"], unique=False
        )

    op.create_table(
        "processed_events",
        sa.Column("consumer", sa.String(length=100), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("processed_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id", name=op.f("pk_processed_events")),
    )
    with op.batch_alter_table("processed_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_processed_events_processed_at"), ["processed_at"], unique=False
        )

    op.create_table(
        "sub_consent_ledger",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("subject_hash", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("frequency", sa.String(length=10), nullable=True),
        sa.Column("language", sa.String(length=2), nullable=True),
        sa.Column("privacy_version", sa.String(length=40), nullable=True),
        sa.Column("privacy_hash", sa.String(length=64), nullable=True),
        sa.Column("page", sa.String(length=2000), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("token_id", sa.String(length=36), nullable=True),
        sa.Column("occurred_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sub_consent_ledger")),
    )
    with op.batch_alter_table("sub_consent_ledger", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sub_consent_ledger_action"), ["action"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_sub_consent_ledger_occurred_at"), ["occurred_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sub_consent_ledger_subject_hash"), ["subject_hash"], unique=False
        )

    op.create_table(
        "sub_privacy_notices",
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("published_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("version", "language", name=op.f("pk_sub_privacy_notices")),
    )
    op.create_table(
        "sub_rate_limits",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("window_start", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", "window_start", name=op.f("pk_sub_rate_limits")),
    )
    op.create_table(
        "sub_subscribers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("frequency", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("hard_bounces", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sub_subscribers")),
        sa.UniqueConstraint("email", name=op.f("uq_sub_subscribers_email")),
    )
    with op.batch_alter_table("sub_subscribers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sub_subscribers_status"), ["status"], unique=False)

    op.create_table(
        "watch_sources",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("interval_seconds", sa.Integer(), nullable=False),
        sa.Column("selector", sa.String(length=500), nullable=True),
        sa.Column("ignore", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("etag", sa.String(length=500), nullable=True),
        sa.Column("last_modified", sa.String(length=100), nullable=True),
        sa.Column("body_hash", sa.String(length=64), nullable=True),
        sa.Column("fingerprint", sa.String(length=64), nullable=True),
        sa.Column("title", sa.String(length=500), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("last_checked_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_changed_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("next_check_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("lease_owner", sa.String(length=100), nullable=True),
        sa.Column("lease_until", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watch_sources")),
        sa.UniqueConstraint("url", name=op.f("uq_watch_sources_url")),
    )
    with op.batch_alter_table("watch_sources", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_watch_sources_next_check_at"), ["next_check_at"], unique=False
        )

    op.create_table(
        "mail_pending_items",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("subscriber_id", sa.Uuid(), nullable=False),
        sa.Column("change_id", sa.Uuid(), nullable=False),
        sa.Column("topic", sa.String(length=100), nullable=False),
        sa.Column("created_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "delivery_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["change_id"],
            ["mail_changes.id"],
            name=op.f("fk_mail_pending_items_change_id_mail_changes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["mail_deliveries.id"],
            name=op.f("fk_mail_pending_items_delivery_id_mail_deliveries"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_pending_items")),
        sa.UniqueConstraint(
            "subscriber_id", "change_id", name="uq_mail_pending_items_subscriber_change"
        ),
    )
    with op.batch_alter_table("mail_pending_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mail_pending_items_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_mail_pending_items_delivery_id"), ["delivery_id"], unique=False
        )
        batch_op.create_index(
            "ix_mail_pending_items_open", ["subscriber_id", "delivery_id"], unique=False
        )

    op.create_table(
        "sub_signup_requests",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("subscriber_id", sa.Uuid(), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("frequency", sa.String(length=10), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("page", sa.String(length=2000), nullable=True),
        sa.Column("privacy_version", sa.String(length=40), nullable=False),
        sa.Column("created_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("mails_sent", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["sub_subscribers.id"],
            name=op.f("fk_sub_signup_requests_subscriber_id_sub_subscribers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sub_signup_requests")),
    )
    with op.batch_alter_table("sub_signup_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sub_signup_requests_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sub_signup_requests_subscriber_id"), ["subscriber_id"], unique=False
        )

    op.create_table(
        "sub_subscriptions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("subscriber_id", sa.Uuid(), nullable=False),
        sa.Column("topic", sa.String(length=100), nullable=False),
        sa.Column("started_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_reason", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["sub_subscribers.id"],
            name=op.f("fk_sub_subscriptions_subscriber_id_sub_subscribers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sub_subscriptions")),
    )
    with op.batch_alter_table("sub_subscriptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sub_subscriptions_subscriber_id"), ["subscriber_id"], unique=False
        )
        batch_op.create_index(
            "ix_sub_subscriptions_topic_open", ["topic", "ended_at"], unique=False
        )

    op.create_table(
        "watch_snapshots",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("taken_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("published", sa.Date(), nullable=True),
        sa.Column("updated", sa.Date(), nullable=True),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("meta", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["watch_sources.id"],
            name=op.f("fk_watch_snapshots_source_id_watch_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watch_snapshots")),
    )
    with op.batch_alter_table("watch_snapshots", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_watch_snapshots_source_id"), ["source_id"], unique=False
        )


# In the order they are dropped: each before the tables it refers to. A table's indexes go
# with it, on SQLite and PostgreSQL alike.
_TABLES = (
    "watch_snapshots",
    "sub_subscriptions",
    "sub_signup_requests",
    "mail_pending_items",
    "watch_sources",
    "sub_subscribers",
    "sub_rate_limits",
    "sub_privacy_notices",
    "sub_consent_ledger",
    "processed_events",
    "outbox_events",
    "mail_digest_runs",
    "mail_deliveries",
    "mail_changes",
)


def downgrade() -> None:
    for table in _TABLES:
        op.drop_table(table)
