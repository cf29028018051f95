"""mail deliveries that can still be claimed have an index of their own

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 16:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A mailer claims the lowest ids that are queued (or whose lease ran out). Walking the primary
# key to find them stepped over every mail already sent: 45 ms per claim once 90,000 of a
# 100,000-person fan-out had gone (bench/mailer/fanout.py). This index holds only the rows a
# claim can take.
_CLAIMABLE = sa.text("status IN ('queued', 'sending')")


def upgrade() -> None:
    op.create_index(
        "ix_mail_deliveries_claimable",
        "mail_deliveries",
        ["id"],
        postgresql_where=_CLAIMABLE,
        sqlite_where=_CLAIMABLE,
    )


def downgrade() -> None:
    op.drop_index("ix_mail_deliveries_claimable", table_name="mail_deliveries")
