"""the consent ledger's paging indexes no longer carry the topics

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-06 23:50:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0035"
down_revision: str | None = "0034"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# 0003 rebuilt these on PostgreSQL to INCLUDE the topics, so a page filtered by topic could be
# read from the index alone. But a B-tree entry holds at most about 2.7 kB, and a sign-up for
# every topic of a large catalogue (the index page offers one) names more topics than that:
# the sign-up's ledger row could not be written and the person got a 500. A ledger row must
# always be writable, so the indexes keep their keys only; a topic filter reads the rows in
# its range (bench/admin/ledger.py measures both ways).
_LEDGER_INDEXES = {
    "ix_sub_consent_ledger_occurred_at_id": ["occurred_at", "id"],
    "ix_sub_consent_ledger_action_occurred_at_id": ["action", "occurred_at", "id"],
}


def _rebuild(include: list[str]) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite's indexes never carried the topics
    for name, columns in _LEDGER_INDEXES.items():
        op.drop_index(name, table_name="sub_consent_ledger")
        op.create_index(name, "sub_consent_ledger", columns, postgresql_include=include)


def upgrade() -> None:
    _rebuild([])


def downgrade() -> None:
    _rebuild(["topics"])
