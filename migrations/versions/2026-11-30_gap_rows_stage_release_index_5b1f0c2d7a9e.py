"""Index gap rows by (stage, release_at) and (repo_id, stage): pages and release pages without full scans.

Revision ID: 5b1f0c2d7a9e
Revises: 689e8e2d2370
Create Date: 2026-11-30 17:45:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "5b1f0c2d7a9e"
down_revision: str | None = "689e8e2d2370"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_gap_rows_stage_release", "gap_rows", ["stage", "release_at"], unique=False)
    op.create_index("ix_gap_rows_repo_stage", "gap_rows", ["repo_id", "stage"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_gap_rows_repo_stage", table_name="gap_rows")
    op.drop_index("ix_gap_rows_stage_release", table_name="gap_rows")
