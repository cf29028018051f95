"""pages that disappear: since when a source answered 404 or 410, gone, confirmed, moved to

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 22:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MOMENTS = ("missing_since", "gone_at", "gone_confirmed_at")


def upgrade() -> None:
    with op.batch_alter_table("watch_sources", schema=None) as batch_op:
        for name in _MOMENTS:
            batch_op.add_column(
                sa.Column(name, shared.db.UTCDateTime(timezone=True), nullable=True)
            )
        batch_op.add_column(sa.Column("moved_to", sa.String(length=2000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("watch_sources", schema=None) as batch_op:
        batch_op.drop_column("moved_to")
        for name in reversed(_MOMENTS):
            batch_op.drop_column(name)
