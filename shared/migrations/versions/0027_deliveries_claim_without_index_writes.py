"""the delivery ledger's claim writes no index entry (is_open, fillfactor 50)

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPEN = "status IN ('queued', 'sending')"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        # SQLite has no HOT updates to win, and cannot add a stored column: a virtual one,
        # so the models read the same columns on both.
        op.execute(
            f"ALTER TABLE mail_deliveries ADD COLUMN is_open BOOLEAN "
            f"GENERATED ALWAYS AS ({_OPEN}) VIRTUAL"
        )
        return
    # PostgreSQL updates a row in place (HOT: no new index entries) only when no column an
    # index reads changes and the page has room. The claimable index read the status, which
    # every claim changes; it now reads is_open, which a claim (queued to sending) leaves
    # true. The page must also have room for the new version beside the old: pages are
    # filled half. Adding a stored column rewrites the table once, under its lock, and the
    # rewrite already fills its pages half.
    op.execute("ALTER TABLE mail_deliveries SET (fillfactor = 50)")
    op.execute(
        f"ALTER TABLE mail_deliveries ADD COLUMN is_open BOOLEAN "
        f"GENERATED ALWAYS AS ({_OPEN}) STORED"
    )
    op.drop_index("ix_mail_deliveries_claimable", table_name="mail_deliveries")
    op.create_index(
        "ix_mail_deliveries_claimable",
        "mail_deliveries",
        ["id"],
        postgresql_where=sa.text("is_open"),
    )


def downgrade() -> None:
    op.drop_index("ix_mail_deliveries_claimable", table_name="mail_deliveries")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE mail_deliveries RESET (fillfactor)")
    op.drop_column("mail_deliveries", "is_open")
    op.create_index(
        "ix_mail_deliveries_claimable",
        "mail_deliveries",
        ["id"],
        postgresql_where=sa.text(_OPEN),
        sqlite_where=sa.text(_OPEN),
    )
