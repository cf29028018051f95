"""since when each person's mail is alerts at once or digests

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 03:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # docs/decisions/0016, point 7. NULL: began before it was kept; such a person's place in
    # the release log (moved by the mailer on a switch until now) and their alerts bound it.
    with op.batch_alter_table("sub_subscribers") as batch:
        batch.add_column(
            sa.Column("frequency_since", shared.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("sub_subscribers") as batch:
        batch.drop_column("frequency_since")
