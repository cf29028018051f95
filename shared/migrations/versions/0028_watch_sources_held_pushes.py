"""pushed changes that wait for the watcher to read their page: sent, or dropped as told already

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("watch_sources") as batch_op:
        batch_op.add_column(sa.Column("held_pushes", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("watch_sources") as batch_op:
        batch_op.drop_column("held_pushes")
