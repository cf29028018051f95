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
    # Each held push is a change its publisher was answered 202 for, kept nowhere else:
    # dropped with the column, it would be lost unsent. They are sent or dropped within the
    # hour after their last push (services/watcher/domain/told.py).
    held = op.get_bind().execute(
        sa.text("SELECT COUNT(*) FROM watch_sources WHERE held_pushes IS NOT NULL")
    )
    sources = held.scalar_one()
    if sources:
        raise RuntimeError(
            f"migration 0028 not undone: {sources} source(s) hold pushed changes that wait for"
            " their page to be read (watch_sources.held_pushes), and the older schema has"
            " nowhere to keep them. Keep the watcher running until they are sent or dropped"
            " (at most an hour after the last push for the source; the admin's operations"
            " page shows them as held_pushes), then downgrade again. Nothing was changed."
        )
    with op.batch_alter_table("watch_sources") as batch_op:
        batch_op.drop_column("held_pushes")
