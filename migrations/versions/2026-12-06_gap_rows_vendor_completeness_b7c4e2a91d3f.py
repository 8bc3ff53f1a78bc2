"""Gap rows: how complete a vendor cell is (runtimes observed far enough, those that are not).

The next startup's refresh fills them (every row starts complete; vendor rows get their real answer).

Revision ID: b7c4e2a91d3f
Revises: 4d840765ff42
Create Date: 2026-12-06 23:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b7c4e2a91d3f"
down_revision: str | None = "4d840765ff42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("gap_rows", schema=None) as batch_op:
        batch_op.add_column(sa.Column("complete", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column("runtimes_total", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("runtimes_observed", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("unobserved_runtimes", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("gap_rows", schema=None) as batch_op:
        batch_op.drop_column("unobserved_runtimes")
        batch_op.drop_column("runtimes_observed")
        batch_op.drop_column("runtimes_total")
        batch_op.drop_column("complete")
