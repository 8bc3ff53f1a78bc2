"""Demand on models: downloads, likes, derivatives (0 until read) and when downloads and likes were read;
gap_refreshes, one row per gap refresh (the version cached answers are keyed by).

Revision ID: 9a3c5e7d1b20
Revises: b7c4e2a91d3f
Create Date: 2026-12-06 23:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db.base

revision: str = "9a3c5e7d1b20"
down_revision: str | None = "b7c4e2a91d3f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("models") as batch:
        batch.add_column(sa.Column("downloads", sa.BigInteger(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("likes", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("derivatives", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("demand_read_at", app.db.base.UTCDateTime(timezone=True), nullable=True))
    op.create_index("ix_models_downloads", "models", ["downloads"], unique=False)
    op.create_table(
        "gap_refreshes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gap_refreshes")),
    )


def downgrade() -> None:
    op.drop_table("gap_refreshes")
    op.drop_index("ix_models_downloads", table_name="models")
    with op.batch_alter_table("models") as batch:
        batch.drop_column("demand_read_at")
        batch.drop_column("derivatives")
        batch.drop_column("likes")
        batch.drop_column("downloads")
