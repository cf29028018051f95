"""how long each rate-limit counter's window lasts: an hour, or a day for the daily cap

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-06 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Every counter so far is of an hour's window.
    with op.batch_alter_table("sub_rate_limits") as batch_op:
        batch_op.add_column(
            sa.Column("window_hours", sa.Integer(), server_default="1", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("sub_rate_limits") as batch_op:
        batch_op.drop_column("window_hours")
