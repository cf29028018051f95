"""the delivery ledger's (status, next_attempt_at) index on SQLite only

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05 22:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # PostgreSQL's claim reads the partial ix_mail_deliveries_claimable (0004) and no query
    # reads this one there, while a mail's claim and its mark each wrote an entry into it
    # (neither update can be HOT). SQLite's claim still needs it (tables.Delivery).
    # Concurrently, outside the migration's transaction: a plain DROP INDEX waits for the
    # busy ledger's lock and holds every claim and mark behind it meanwhile.
    if op.get_bind().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            op.drop_index(
                "ix_mail_deliveries_due",
                table_name="mail_deliveries",
                postgresql_concurrently=True,
                if_exists=True,
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            op.create_index(
                "ix_mail_deliveries_due",
                "mail_deliveries",
                ["status", "next_attempt_at"],
                postgresql_concurrently=True,
                if_not_exists=True,
            )
