"""failed sign-ins audited under an address spelt percent-encoded, quoted or without a dot no
longer name it

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-06 23:40:00
"""

from collections.abc import Sequence

from alembic import op

from shared.sign_in_names import redact_sign_in_names

revision: str = "0034"
down_revision: str | None = "0033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # 0024 and 0033 redacted as shared.logs.redact reads running text, which passes over
    # kari%40example.no, "kari"@example.no, kari@localhost and kari@[127.0.0.1]; the sign-in
    # now redacts those as it writes (shared.sign_in_names.tried_name), and this, those before.
    redact_sign_in_names(op.get_bind())


def downgrade() -> None:
    """Put no address back: what was redacted is gone."""
