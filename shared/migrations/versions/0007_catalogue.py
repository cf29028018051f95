"""the catalogue of topics and sources lives in the database, owned by the admin

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Filled from VARSEL_CONFIG at the next start (docs/decisions/0011).
    op.create_table(
        "admin_catalogue_topics",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("entry", sa.JSON(), nullable=False),
        sa.Column("changed_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("retired_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_admin_catalogue_topics"),
        sa.UniqueConstraint("slug", name="uq_admin_catalogue_topics_slug"),
    )
    op.create_table(
        "admin_catalogue_sources",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("entry", sa.JSON(), nullable=False),
        sa.Column("changed_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_admin_catalogue_sources"),
        sa.UniqueConstraint("url", name="uq_admin_catalogue_sources_url"),
    )
    op.create_table(
        "admin_catalogue_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("start_file_hash", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_admin_catalogue_state"),
    )


def downgrade() -> None:
    op.drop_table("admin_catalogue_state")
    op.drop_table("admin_catalogue_sources")
    op.drop_table("admin_catalogue_topics")
