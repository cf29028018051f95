"""feeds with a WebSub hub: their subscriptions, pushed bodies, and the slower polling pace

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 22:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("watch_sources", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("push_until", shared.db.UTCDateTime(timezone=True), nullable=True)
        )
    op.create_table(
        "watch_hub_subscriptions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("hub_url", sa.String(length=2000), nullable=False),
        sa.Column("topic_url", sa.String(length=2000), nullable=False),
        sa.Column("callback_id", sa.String(length=64), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("next_request_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("requested_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("verified_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("lease_until", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_push_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["watch_sources.id"],
            name=op.f("fk_watch_hub_subscriptions_source_id_watch_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watch_hub_subscriptions")),
        sa.UniqueConstraint("callback_id", name=op.f("uq_watch_hub_subscriptions_callback_id")),
        sa.UniqueConstraint("source_id", name=op.f("uq_watch_hub_subscriptions_source_id")),
    )
    op.create_index(
        op.f("ix_watch_hub_subscriptions_next_request_at"),
        "watch_hub_subscriptions",
        ["next_request_at"],
        unique=False,
    )
    op.create_table(
        "watch_pushed_bodies",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("received_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("content_type", sa.String(length=200), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["watch_sources.id"],
            name=op.f("fk_watch_pushed_bodies_source_id_watch_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watch_pushed_bodies")),
    )
    op.create_index(op.f("ix_watch_pushed_bodies_source_id"), "watch_pushed_bodies", ["source_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_watch_pushed_bodies_source_id"), table_name="watch_pushed_bodies")
    op.drop_table("watch_pushed_bodies")
    op.drop_index(
        op.f("ix_watch_hub_subscriptions_next_request_at"), table_name="watch_hub_subscriptions"
    )
    op.drop_table("watch_hub_subscriptions")
    with op.batch_alter_table("watch_sources", schema=None) as batch_op:
        batch_op.drop_column("push_until")
