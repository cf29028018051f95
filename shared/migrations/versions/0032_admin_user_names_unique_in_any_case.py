"""admin account names unique whatever their case: a unique index on the lowered name

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-06 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from alembic.util import CommandError

revision: str = "0032"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # An installation may hold two accounts whose names differ only by case, made before
    # `create-user` refused them: the index cannot be built then, and which account to rename
    # is the operator's choice, not the migration's. Nothing is changed; the message names
    # them and the command that renames one, after which `varsel migrate` goes on.
    rows = op.get_bind().execute(
        sa.text(
            "SELECT name FROM admin_users WHERE lower(name) IN "
            "(SELECT lower(name) FROM admin_users GROUP BY lower(name) HAVING count(*) > 1) "
            "ORDER BY lower(name), name"
        )
    )
    names = [row[0] for row in rows]
    if names:
        shown = ", ".join(repr(name) for name in names[:6])
        raise CommandError(
            f"admin accounts whose names differ only by case: {shown}; rename all but one "
            f"with `varsel admin rename-user {names[0]} NEW`, then run `varsel migrate` again"
        )
    op.create_index(
        "ux_admin_users_name_lowered", "admin_users", [sa.text("lower(name)")], unique=True
    )


def downgrade() -> None:
    op.drop_index("ux_admin_users_name_lowered", table_name="admin_users")
