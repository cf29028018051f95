"""audit entries whose target held an address spelt percent-encoded, quoted or without a dot no
longer name it

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-07 23:40:00
"""

from collections.abc import Sequence

from alembic import op

from shared.audit_addresses import redact_audit_targets

revision: str = "0036"
down_revision: str | None = "0035"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A target was redacted as shared.logs.redact reads running text, which passes over
    # %22kari%22@example.no, kari@localhost, kari@[127.0.0.1] and kari%2540example.no (a
    # publisher's refused push, a staff URL typed by hand); the log now redacts those as it
    # writes (shared.audit_addresses.without_addresses), and this, those before.
    redact_audit_targets(op.get_bind())


def downgrade() -> None:
    """Put no address back: what was redacted is gone."""
