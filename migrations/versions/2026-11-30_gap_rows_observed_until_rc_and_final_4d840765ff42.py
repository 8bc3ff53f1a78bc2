"""Gap rows: until when their source is observed, and the first final runtime release (rc vs final).

The next startup's refresh fills them (and turns never-observed cells into `unknown`).

Revision ID: 4d840765ff42
Revises: fa73194840e3
Create Date: 2026-11-30 17:58:18.821559
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db.base

revision: str = "4d840765ff42"
down_revision: str | None = "fa73194840e3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("gap_rows", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("observed_until", app.db.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("tag_prerelease", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("first_final_tag", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column("first_final_at", app.db.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("first_final_evidence_url", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("final_status", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("final_gap_hours", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("gap_rows", schema=None) as batch_op:
        batch_op.drop_column("final_gap_hours")
        batch_op.drop_column("final_status")
        batch_op.drop_column("first_final_evidence_url")
        batch_op.drop_column("first_final_at")
        batch_op.drop_column("first_final_tag")
        batch_op.drop_column("tag_prerelease")
        batch_op.drop_column("observed_until")
