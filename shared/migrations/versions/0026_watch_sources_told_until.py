"""until when a watched page's next new text was already told by its publisher's push

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06 07:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("watch_sources") as batch_op:
        batch_op.add_column(
            sa.Column("told_until", shared.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("watch_sources") as batch_op:
        batch_op.drop_column("told_until")
