"""source_states.audit: a runtime's last catalog audit (findings with reasons, era spans), shown on its page.

Revision ID: 689e8e2d2370
Revises: 0ca2e85ca338
Create Date: 2026-11-30 17:33:16.463916
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "689e8e2d2370"
down_revision: str | None = "0ca2e85ca338"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("source_states", schema=None) as batch_op:
        batch_op.add_column(sa.Column("audit", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("source_states", schema=None) as batch_op:
        batch_op.drop_column("audit")
