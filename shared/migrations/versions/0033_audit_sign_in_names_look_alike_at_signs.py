"""failed sign-ins audited under an address typed with a look-alike at sign no longer name it

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-06 23:30:00
"""

from collections.abc import Sequence

from alembic import op

from shared.sign_in_names import redact_sign_in_names

revision: str = "0033"
down_revision: str | None = "0032"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # 0024 looked only at names holding "@": «ola＠example．no» and «per﹫example.no», typed
    # before sign-ins were redacted as they are written, stayed in the audit log, which
    # docs/privacy.md says holds no address written with look-alikes NFKC folds.
    redact_sign_in_names(op.get_bind())


def downgrade() -> None:
    """Leave the entries as they are: what was redacted is gone, and stays gone."""
