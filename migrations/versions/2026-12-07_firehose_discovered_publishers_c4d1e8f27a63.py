"""The Hub firehose: publishers say why they are watched (listed by the file, discovered by the firehose with
the release that brought them in, un-watched by an operator); listing items waiting to be classified;
derivatives seen, counted on their base release.

Revision ID: c4d1e8f27a63
Revises: 3e8b1c6d2f47
Create Date: 2026-12-07 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db.base

revision: str = "c4d1e8f27a63"
down_revision: str | None = "3e8b1c6d2f47"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("publishers") as batch:
        batch.add_column(sa.Column("listed", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("discovered_at", app.db.base.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("discovered_release", sa.String(length=300), nullable=True))
        batch.add_column(sa.Column("discovered_reason", sa.String(length=300), nullable=True))
        batch.add_column(
            sa.Column("unwatched_by_operator", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    # Until the next start syncs the file: a watched publisher nobody named came from the file.
    op.execute(
        sa.text("UPDATE publishers SET listed = :yes WHERE watched = :yes AND named = :no").bindparams(
            yes=True, no=False
        )
    )
    op.create_table(
        "firehose_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("listing", sa.String(length=16), nullable=False),
        sa.Column("hub_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", app.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("item", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_firehose_items")),
        sa.UniqueConstraint("listing", "hub_id", name=op.f("uq_firehose_items_listing_hub_id")),
    )
    op.create_index("ix_firehose_items_created", "firehose_items", ["created_at"], unique=False)
    op.create_table(
        "derivative_sightings",
        sa.Column("hub_id", sa.String(length=64), nullable=False),
        sa.Column("repo_id", sa.String(length=300), nullable=False),
        sa.Column("base_model_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("seen_at", app.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["base_model_id"],
            ["models.id"],
            name=op.f("fk_derivative_sightings_base_model_id_models"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("hub_id", name=op.f("pk_derivative_sightings")),
    )
    op.create_index(
        op.f("ix_derivative_sightings_base_model_id"), "derivative_sightings", ["base_model_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_derivative_sightings_base_model_id"), table_name="derivative_sightings")
    op.drop_table("derivative_sightings")
    op.drop_index("ix_firehose_items_created", table_name="firehose_items")
    op.drop_table("firehose_items")
    with op.batch_alter_table("publishers") as batch:
        batch.drop_column("unwatched_by_operator")
        batch.drop_column("discovered_reason")
        batch.drop_column("discovered_release")
        batch.drop_column("discovered_at")
        batch.drop_column("listed")
