"""the consent ledger without the two indexes its paging indexes cover

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05 08:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # (occurred_at, id) and (action, occurred_at, id), from 0002, lead with the same columns and
    # answer every query the single-column ones did; those cost two more index writes on every
    # append, and every sign-up, confirmation and ending appends.
    with op.batch_alter_table("sub_consent_ledger") as batch:
        batch.drop_index("ix_sub_consent_ledger_action")
        batch.drop_index("ix_sub_consent_ledger_occurred_at")


def downgrade() -> None:
    with op.batch_alter_table("sub_consent_ledger") as batch:
        batch.create_index("ix_sub_consent_ledger_occurred_at", ["occurred_at"], unique=False)
        batch.create_index("ix_sub_consent_ledger_action", ["action"], unique=False)
