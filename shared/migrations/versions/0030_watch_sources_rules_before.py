"""the rules a watched source's stored text was read under, where an editor changed them since

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-06 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # NULL for every row: its stored text was read under its own rules, as far as is known.
    with op.batch_alter_table("watch_sources") as batch_op:
        batch_op.add_column(sa.Column("rules_before", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("watch_sources") as batch_op:
        batch_op.drop_column("rules_before")
