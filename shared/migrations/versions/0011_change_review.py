"""changes can wait for review on the editor's desk: status, note, version, decision, reminder

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 22:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Every change stored before review existed went out as detected: "published", version 0.
    with op.batch_alter_table("mail_changes") as batch:
        batch.add_column(
            sa.Column("status", sa.String(length=10), server_default="published", nullable=False)
        )
        batch.add_column(sa.Column("note", sa.Text(), nullable=True))
        batch.add_column(sa.Column("diff_url", sa.String(length=2000), nullable=True))
        batch.add_column(sa.Column("version", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(
            sa.Column("decided_at", shared.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("decided_by", sa.String(length=100), nullable=True))
        batch.add_column(
            sa.Column("reminded_at", shared.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch.create_index("ix_mail_changes_status", ["status"])


def downgrade() -> None:
    with op.batch_alter_table("mail_changes") as batch:
        batch.drop_index("ix_mail_changes_status")
        for column in (
            "reminded_at",
            "decided_by",
            "decided_at",
            "version",
            "diff_url",
            "note",
            "status",
        ):
            batch.drop_column(column)
