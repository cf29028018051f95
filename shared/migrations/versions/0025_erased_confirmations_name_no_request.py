"""an erased person's confirmation mails no longer name the sign-up request they confirmed

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06 07:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DELIVERIES = sa.table(
    "mail_deliveries",
    sa.column("subscriber_id", sa.Uuid()),
    sa.column("kind", sa.String()),
    sa.column("batch_key", sa.String()),
    sa.column("reference", sa.JSON()),
)
# What the mailer now writes when it forgets a person (services/mailer/adapters/deliveries.py).
_FORGOTTEN_KEY = "confirm:forgotten"
_FORGOTTEN_REFERENCE = {"request_id": "00000000-0000-0000-0000-000000000000"}


def upgrade() -> None:
    # A confirmation's key and reference held its sign-up request's id, which the consent ledger
    # keeps as the token confirmed with: a row of a person erased before this release still tied
    # the delivery ledger to their keyed hash. Only erasure leaves a confirmation without its
    # person's id, so those rows are the ones to change.
    op.execute(
        sa.update(_DELIVERIES)
        .where(_DELIVERIES.c.kind == "confirm", _DELIVERIES.c.subscriber_id.is_(None))
        .values(batch_key=_FORGOTTEN_KEY, reference=_FORGOTTEN_REFERENCE)
    )


def downgrade() -> None:
    # A request's id left out is not put back.
    pass
