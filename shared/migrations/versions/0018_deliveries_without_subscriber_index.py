"""the delivery ledger without its second index on subscriber_id

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 08:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The unique (subscriber_id, batch_key) index leads with subscriber_id and serves every
    # query by person. The second index cost a random insert into a b-tree of UUIDs on every
    # write of the ledger: a mail writes its row three times (queued, claimed, sent), and none
    # of those updates can be HOT, since they change the status the claim's indexes read.
    with op.batch_alter_table("mail_deliveries") as batch:
        batch.drop_index("ix_mail_deliveries_subscriber_id")


def downgrade() -> None:
    with op.batch_alter_table("mail_deliveries") as batch:
        batch.create_index("ix_mail_deliveries_subscriber_id", ["subscriber_id"], unique=False)
