"""sign-up requests no longer count their mails: each sign-up is a request with one mail

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A request is what its one mail listed; another sign-up is another request and mail.
    with op.batch_alter_table("sub_signup_requests") as batch:
        batch.drop_column("mails_sent")


def downgrade() -> None:
    with op.batch_alter_table("sub_signup_requests") as batch:
        batch.add_column(
            sa.Column("mails_sent", sa.Integer(), nullable=False, server_default=sa.text("1"))
        )
