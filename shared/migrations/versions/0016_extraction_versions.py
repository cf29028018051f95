"""the version of the extraction rules each source's fingerprint was read under

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 02:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # docs/decisions/0017. NULL: read under version 1, the rules before versions were kept.
    with op.batch_alter_table("watch_sources") as batch:
        batch.add_column(sa.Column("extraction", sa.SmallInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("watch_sources") as batch:
        batch.drop_column("extraction")
