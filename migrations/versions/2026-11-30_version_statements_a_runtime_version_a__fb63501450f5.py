"""Version statements: a runtime version a source says a model needs (vLLM Recipes' min_vllm_version).

Revision ID: fb63501450f5
Revises: 26309303f0c0
Create Date: 2026-11-30 18:06:59.839063
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db.base

revision: str = "fb63501450f5"
down_revision: str | None = "26309303f0c0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "version_statements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("key_kind", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("runtime", sa.String(length=64), nullable=False),
        sa.Column("min_version", sa.String(length=64), nullable=False),
        sa.Column("commit", sa.String(length=64), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("evidence_url", sa.Text(), nullable=True),
        sa.Column("recorded_at", app.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_version_statements")),
        sa.UniqueConstraint(
            "source",
            "key_kind",
            "key",
            "runtime",
            name=op.f("uq_version_statements_source_key_kind_key_runtime"),
        ),
    )


def downgrade() -> None:
    op.drop_table("version_statements")
