"""bulletins: the mailer's copy of each bulletin, and pending items that owe one to a digest

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 22:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mail_bulletins",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("texts", sa.JSON(), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("occurred_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_bulletins")),
    )
    op.create_index(
        op.f("ix_mail_bulletins_occurred_at"), "mail_bulletins", ["occurred_at"], unique=False
    )
    # A pending item owes either a change or a bulletin to the person's next digest.
    with op.batch_alter_table("mail_pending_items") as batch:
        batch.alter_column("change_id", existing_type=sa.Uuid(), nullable=True)
        batch.add_column(sa.Column("bulletin_id", sa.Uuid(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_mail_pending_items_bulletin_id_mail_bulletins"),
            "mail_bulletins",
            ["bulletin_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_unique_constraint(
            "uq_mail_pending_items_subscriber_bulletin", ["subscriber_id", "bulletin_id"]
        )


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM mail_pending_items WHERE change_id IS NULL"))
    with op.batch_alter_table("mail_pending_items") as batch:
        batch.drop_constraint("uq_mail_pending_items_subscriber_bulletin", type_="unique")
        batch.drop_constraint(
            op.f("fk_mail_pending_items_bulletin_id_mail_bulletins"), type_="foreignkey"
        )
        batch.drop_column("bulletin_id")
        batch.alter_column("change_id", existing_type=sa.Uuid(), nullable=False)
    op.drop_index(op.f("ix_mail_bulletins_occurred_at"), table_name="mail_bulletins")
    op.drop_table("mail_bulletins")
