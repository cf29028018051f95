"""a CMS pushes changes: publisher tokens (admin) and idempotency keys of pushes (watcher)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # docs/decisions/0015: tokens that grant publishing and nothing else.
    op.create_table(
        "admin_publisher_tokens",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_admin_publisher_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_admin_publisher_tokens_token_hash"),
    )
    # The unique key is what makes the same push twice send once, also when the two race.
    op.create_table(
        "watch_publisher_keys",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("body_hash", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("publisher", sa.String(length=100), nullable=False),
        sa.Column("received_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_watch_publisher_keys"),
        sa.UniqueConstraint("idempotency_key", name="uq_watch_publisher_keys_idempotency_key"),
    )
    op.create_index("ix_watch_publisher_keys_received_at", "watch_publisher_keys", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_watch_publisher_keys_received_at", table_name="watch_publisher_keys")
    op.drop_table("watch_publisher_keys")
    op.drop_table("admin_publisher_tokens")
