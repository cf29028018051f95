"""the fingerprint of a page's reading that changed only in its numbers, read again to confirm

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-08 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0037"
down_revision: str | None = "0036"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # NULL for every row: no reading waits to be confirmed.
    with op.batch_alter_table("watch_sources") as batch_op:
        batch_op.add_column(sa.Column("pending_print", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("watch_sources") as batch_op:
        batch_op.drop_column("pending_print")
