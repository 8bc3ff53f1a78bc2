"""Version statements of two kinds: a minimum version or a container image, per vendor and build.

vLLM Recipes' ``model.docker_image`` (issue 24) is stored beside ``model.min_vllm_version`` in the same
table: both come from the same files at the same head and are replaced, exported and imported together.
``min_version`` becomes ``value`` (an image name is longer than a version: up to 300 characters); the
existing rows are minimum versions (``kind`` defaults to it); ``vendor`` and ``variant`` are identity
columns, NOT NULL '' like every identity column (docs/architecture.md, "Design decisions").

Revision ID: c5d2e8f4a617
Revises: c4d1e8f27a63
Create Date: 2026-12-07 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c5d2e8f4a617"
down_revision: str | None = "c4d1e8f27a63"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_UNIQUE = "uq_version_statements_source_key_kind_key_runtime"
_NEW_UNIQUE = "uq_version_statements_identity"  # the convention's name is past PostgreSQL's 63 characters
_NEW_COLUMNS = ["source", "key_kind", "key", "runtime", "kind", "vendor", "variant"]


def upgrade() -> None:
    with op.batch_alter_table("version_statements") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(length=16), nullable=False, server_default="min_version")
        )
        batch.add_column(sa.Column("vendor", sa.String(length=16), nullable=False, server_default=""))
        batch.add_column(sa.Column("variant", sa.String(length=32), nullable=False, server_default=""))
        batch.alter_column(
            "min_version",
            new_column_name="value",
            existing_type=sa.String(length=64),
            type_=sa.String(length=300),
            existing_nullable=False,
        )
        batch.drop_constraint(_OLD_UNIQUE, type_="unique")
        batch.create_unique_constraint(_NEW_UNIQUE, _NEW_COLUMNS)


def downgrade() -> None:
    # Images cannot be told as minimum versions: they go; the minimum versions stay.
    op.execute("DELETE FROM version_statements WHERE kind <> 'min_version'")
    with op.batch_alter_table("version_statements") as batch:
        batch.drop_constraint(_NEW_UNIQUE, type_="unique")
        batch.alter_column(
            "value",
            new_column_name="min_version",
            existing_type=sa.String(length=300),
            type_=sa.String(length=64),
            existing_nullable=False,
        )
        batch.drop_column("variant")
        batch.drop_column("vendor")
        batch.drop_column("kind")
        batch.create_unique_constraint(_OLD_UNIQUE, ["source", "key_kind", "key", "runtime"])
