"""failed admin sign-ins are counted per account name and client, with growing waits

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The per-name counters in sub_rate_limits let anyone lock an admin out; they expire with
    # their hour and are no longer read.
    op.create_table(
        "admin_login_failures",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("not_before", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_failed_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_admin_login_failures")),
    )
    op.create_index(
        op.f("ix_admin_login_failures_last_failed_at"),
        "admin_login_failures",
        ["last_failed_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_admin_login_failures_last_failed_at"), table_name="admin_login_failures")
    op.drop_table("admin_login_failures")
