"""failed sign-ins in the audit log no longer name an address typed as the account's name

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05 22:55:00
"""

from collections.abc import Sequence

from alembic import op

from shared.sign_in_names import redact_sign_in_names

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Until now a failed or refused sign-in was audited under whatever was typed as the name,
    # a person's address too, kept for the audit log's years; new entries are redacted as they
    # are written (services/admin/authentication.py), and these, written before, are redacted here.
    # Addresses written with a look-alike at sign were left here at first; 0033 redacts those.
    redact_sign_in_names(op.get_bind())


def downgrade() -> None:
    # An address left out is not put back.
    pass
