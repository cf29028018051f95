"""the digests of the bodies each WebSub subscription was pushed, so a replay is not taken

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "watch_push_digests",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("accepted_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["watch_hub_subscriptions.id"],
            name=op.f("fk_watch_push_digests_subscription_id_watch_hub_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watch_push_digests")),
        sa.UniqueConstraint("subscription_id", "digest", name="uq_watch_push_digests_digest"),
    )


def downgrade() -> None:
    op.drop_table("watch_push_digests")
