"""publisher tokens name the sites they may push for; those issued before name none (all sites)

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06 13:00:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TOKENS = sa.table(
    "admin_publisher_tokens",
    sa.column("id", sa.Integer()),
    sa.column("name", sa.String()),
    sa.column("sites", sa.Text()),
    sa.column("revoked_at", shared.db.UTCDateTime(timezone=True)),
)
_AUDIT = sa.table(
    "admin_audit_log",
    sa.column("occurred_at", shared.db.UTCDateTime(timezone=True)),
    sa.column("actor", sa.String()),
    sa.column("action", sa.String()),
    sa.column("target", sa.String()),
    sa.column("client", sa.String()),
    sa.column("details", sa.JSON()),
)


def upgrade() -> None:
    # Null is a token issued before this: it keeps working for every site, and the operator's
    # page marks it to be replaced (ADR 0024). Nothing is derived: no row says whose it was.
    with op.batch_alter_table("admin_publisher_tokens") as batch_op:
        batch_op.add_column(sa.Column("sites", sa.Text(), nullable=True))


def downgrade() -> None:
    # The older schema has no sites, so every token it keeps opens every site. A token issued
    # for one site must not come out of a downgrade opening all: the live ones with sites are
    # revoked (and the audit log says so), the ones issued before sites work on as they did.
    bind = op.get_bind()
    now = datetime.now(UTC)
    live_scoped = bind.execute(
        sa.select(_TOKENS.c.id, _TOKENS.c.name).where(
            _TOKENS.c.sites.is_not(None), _TOKENS.c.revoked_at.is_(None)
        )
    ).all()
    for number, name in live_scoped:
        bind.execute(sa.update(_TOKENS).where(_TOKENS.c.id == number).values(revoked_at=now))
        bind.execute(
            sa.insert(_AUDIT).values(
                occurred_at=now,
                actor="migration:0029",
                action="publisher_token_revoked",
                target=str(number),
                client="migration",
                details={"name": name, "why": "downgraded below the sites of publisher tokens"},
            )
        )
    with op.batch_alter_table("admin_publisher_tokens") as batch_op:
        batch_op.drop_column("sites")
