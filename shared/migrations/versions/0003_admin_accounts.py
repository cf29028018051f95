"""admin accounts can be disabled and show their last login; ledger indexes carry the topics

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 09:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The ledger's keyset indexes of 0002, rebuilt on PostgreSQL to carry the topics: a page
# filtered by topic is then found by an index-only scan instead of reading every row in range.
_LEDGER_INDEXES = {
    "ix_sub_consent_ledger_occurred_at_id": ["occurred_at", "id"],
    "ix_sub_consent_ledger_action_occurred_at_id": ["action", "occurred_at", "id"],
}


def _rebuild_ledger_indexes(include: list[str]) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite has no covering indexes; its indexes stay as 0002 made them
    for name, columns in _LEDGER_INDEXES.items():
        op.drop_index(name, table_name="sub_consent_ledger")
        op.create_index(name, "sub_consent_ledger", columns, postgresql_include=include)


def upgrade() -> None:
    _rebuild_ledger_indexes(["topics"])
    with op.batch_alter_table("admin_users") as batch:
        batch.add_column(
            sa.Column("last_login_at", shared.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(
            sa.Column("disabled_at", shared.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("admin_users") as batch:
        batch.drop_column("disabled_at")
        batch.drop_column("last_login_at")
    _rebuild_ledger_indexes([])
