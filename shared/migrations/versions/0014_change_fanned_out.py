"""the desk tells an approved change that was sent from one still being sent

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 23:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("mail_changes") as batch:
        batch.add_column(
            sa.Column("fanned_out_at", shared.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("mail_changes") as batch:
        batch.drop_column("fanned_out_at")
