"""digests read the period's changes at run time: a release log and a cursor per person

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 23:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # docs/decisions/0016. Changes stored before stay owed through their pending items.
    with op.batch_alter_table("mail_changes") as batch:
        batch.add_column(sa.Column("release_seq", sa.BigInteger(), nullable=True))
        batch.add_column(
            sa.Column("released_at", shared.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch.create_unique_constraint("uq_mail_changes_release_seq", ["release_seq"])
    with op.batch_alter_table("mail_digest_runs") as batch:
        batch.add_column(sa.Column("through_seq", sa.BigInteger(), nullable=True))
    counter = op.create_table(
        "mail_release_counter",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("released_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_mail_release_counter"),
    )
    op.bulk_insert(counter, [{"id": 1, "seq": 0, "released_at": None}])
    op.create_table(
        "mail_digest_cursors",
        sa.Column("subscriber_id", sa.Uuid(), nullable=False),
        sa.Column("told_through", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("subscriber_id", name="pk_mail_digest_cursors"),
    )


def downgrade() -> None:
    op.drop_table("mail_digest_cursors")
    op.drop_table("mail_release_counter")
    with op.batch_alter_table("mail_digest_runs") as batch:
        batch.drop_column("through_seq")
    with op.batch_alter_table("mail_changes") as batch:
        batch.drop_constraint("uq_mail_changes_release_seq", type_="unique")
        batch.drop_column("released_at")
        batch.drop_column("release_seq")
