"""when a watched page last went back to a version it had shown lately (flipping)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05 17:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("watch_sources") as batch_op:
        batch_op.add_column(
            sa.Column("returned_at", shared.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("watch_sources") as batch_op:
        batch_op.drop_column("returned_at")
