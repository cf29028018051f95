"""failed sign-ins in the audit log no longer name an address typed as the account's name

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05 22:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.logs import redact

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ACTOR_LIMIT = 100  # admin_audit_log.actor (0002)
_AUDIT = sa.table("admin_audit_log", sa.column("id"), sa.column("actor"), sa.column("action"))


def upgrade() -> None:
    # Until now a failed or refused sign-in was audited under whatever was typed as the name,
    # a person's address too, kept for the audit log's years; new entries are redacted as they
    # are written (services/admin/authentication.py), and these, written before, are redacted here.
    bind = op.get_bind()
    tried = bind.execute(
        sa.select(_AUDIT.c.id, _AUDIT.c.actor).where(
            _AUDIT.c.action.in_(("login_failed", "login_limited")), _AUDIT.c.actor.like("%@%")
        )
    ).all()
    for entry_id, actor in tried:
        # The name was cut to the column's 100 characters when written; «[address]» can be
        # longer than the address it stands for, and is cut the same way.
        if (redacted := redact(actor)[:_ACTOR_LIMIT]) != actor:
            bind.execute(sa.update(_AUDIT).where(_AUDIT.c.id == entry_id).values(actor=redacted))


def downgrade() -> None:
    # An address left out is not put back.
    pass
