"""Coverage per runtime and stage, every release time kept by source, publishers named by an operator.

Revision ID: 26309303f0c0
Revises: 5b1f0c2d7a9e
Create Date: 2026-11-30 17:30:26.024960
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db.base

revision: str = "26309303f0c0"
down_revision: str | None = "5b1f0c2d7a9e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "source_coverage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("runtime", sa.String(length=64), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("observed", sa.Boolean(), nullable=False),
        sa.Column("observed_until", app.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("copy", sa.String(length=8), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("recorded_at", app.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source_coverage")),
        sa.UniqueConstraint("runtime", "stage", name=op.f("uq_source_coverage_runtime_stage")),
    )
    with op.batch_alter_table("models", schema=None) as batch_op:
        batch_op.add_column(sa.Column("release_times", sa.JSON(), nullable=True))
    # Existing rows keep the one release time they have, under its source, so nothing chosen changes.
    models = sa.table(
        "models",
        sa.column("id", sa.Integer()),
        sa.column("release_at", app.db.base.UTCDateTime(timezone=True)),
        sa.column("release_at_source", sa.String()),
        sa.column("release_at_precision", sa.String()),
        sa.column("release_source_detail", sa.Text()),
        sa.column("release_confidence", sa.String()),
        sa.column("release_times", sa.JSON()),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(
            models.c.id,
            models.c.release_at,
            models.c.release_at_source,
            models.c.release_at_precision,
            models.c.release_source_detail,
            models.c.release_confidence,
        )
    ).all()
    updates = []
    for model_id, at, source, precision, detail, confidence in rows:
        times = {}
        if at is not None and source:
            times[source] = {
                "at": at.isoformat(),
                "precision": precision or "second",
                "detail": detail,
                "notes": None,
                "confidence": confidence,
            }
        updates.append({"model_id": model_id, "times": times})
    if updates:
        connection.execute(
            models.update()
            .where(models.c.id == sa.bindparam("model_id"))
            .values(release_times=sa.bindparam("times")),
            updates,
        )
    with op.batch_alter_table("models", schema=None) as batch_op:
        batch_op.alter_column("release_times", existing_type=sa.JSON(), nullable=False)

    with op.batch_alter_table("publishers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("named", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("publishers", schema=None) as batch_op:
        batch_op.drop_column("named")
    with op.batch_alter_table("models", schema=None) as batch_op:
        batch_op.drop_column("release_times")
    op.drop_table("source_coverage")
