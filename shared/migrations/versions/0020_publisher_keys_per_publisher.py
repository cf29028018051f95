"""a pushed change's idempotency key is unique per publisher, not across publishers

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05 12:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Two CMSs numbering their changes alike had one key between them: the second's change
    # was taken for a retry of the first's (sent to nobody) or refused as a reused key.
    with op.batch_alter_table("watch_publisher_keys") as batch:
        batch.drop_constraint("uq_watch_publisher_keys_idempotency_key", type_="unique")
        batch.create_unique_constraint(
            "uq_watch_publisher_keys_key", ["publisher", "idempotency_key"]
        )


def downgrade() -> None:
    # Fails while two publishers hold the same key: delete one of the two rows first.
    with op.batch_alter_table("watch_publisher_keys") as batch:
        batch.drop_constraint("uq_watch_publisher_keys_key", type_="unique")
        batch.create_unique_constraint(
            "uq_watch_publisher_keys_idempotency_key", ["idempotency_key"]
        )
