"""SKU spellings: every stored SKU in the hardware table's one spelling (a count of cards or a case is no
second SKU), by re-deriving per-SKU events rather than renaming them.

Until now a SKU the catalog lacked was stored as the source spelt it: vLLM Recipes' ``a100``, ``mi350x`` and
``rtx_pro_6000_8x``. The hardware table (app/sources/runtimes/hardware.py) now spells them ``A100``,
``MI350X`` and ``rtx_pro_6000``. Renaming rows in place is wrong where two spellings become one SKU:
``rtx_5090`` and ``rtx_5090_2x`` each have their own added/removed events, and a removal of one spelling
while the other stays would read as the SKU's removal. So the events whose spelling changes are deleted and
their runtime's scan cursor cleared: the next scan walks that history again from the start and stores the
netted events in the new spelling (events already stored are matched on their identity and not repeated;
the walk of vLLM Recipes' ~600 commits takes seconds). The gap refresh after that scan adds the new SKU rows.

Revision ID: 3e8b1c6d2f47
Revises: 9a3c5e7d1b20
Create Date: 2026-12-07 03:20:00
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3e8b1c6d2f47"
down_revision: str | None = "9a3c5e7d1b20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The table's spellings at this revision that differ from the lower-case, count-free form (a copy: a
# migration must not change when the table does).
_SPELLING = {
    "h100": "H100", "h200": "H200", "b200": "B200", "b300": "B300", "gb200": "GB200", "gb300": "GB300",
    "a100": "A100", "a800": "A800", "h20": "H20", "h800": "H800", "mi300x": "MI300X", "mi325x": "MI325X",
    "mi350x": "MI350X", "mi355x": "MI355X", "gaudi": "Gaudi", "910b": "910B", "910c": "910C",
    "apple_silicon": "Apple Silicon", "cpu": "CPU", "v6e": "trillium", "tpu_v6e": "trillium",
    "tpu6e": "trillium", "v7x": "ironwood", "tpu7x": "ironwood", "tpu_v7x": "ironwood", "tpu_v5e": "v5e",
    "dgx_spark": "dgx_spark_gb10",
}  # fmt: skip
_COUNT_SUFFIX = re.compile(r"[_-]\d+x\Z")
_COUNT_PREFIX = re.compile(r"\A\d+\s*[x×]\s*(?=[a-z])")


def respell(sku: str) -> str:
    """The hardware table's spelling of a stored SKU at this revision."""
    form = re.sub(r"\s+", "_", sku.strip().lower())
    form = _COUNT_SUFFIX.sub("", _COUNT_PREFIX.sub("", form))
    return _SPELLING.get(form, form)


def upgrade() -> None:
    bind = op.get_bind()
    events = sa.table("support_events", sa.column("id"), sa.column("runtime_id"), sa.column("sku"))
    runtimes = sa.table("runtimes", sa.column("id"), sa.column("name"))
    states = sa.table("source_states", sa.column("kind"), sa.column("name"), sa.column("cursor", sa.JSON))
    stored = bind.execute(
        sa.select(events.c.sku, events.c.runtime_id).where(events.c.sku != "").distinct()
    ).all()
    changed = [(sku, runtime_id) for sku, runtime_id in stored if respell(sku) != sku]
    for sku, runtime_id in changed:
        bind.execute(events.delete().where(events.c.sku == sku, events.c.runtime_id == runtime_id))
    for runtime_id in sorted({runtime_id for _, runtime_id in changed}):
        name = bind.execute(sa.select(runtimes.c.name).where(runtimes.c.id == runtime_id)).scalar()
        if name is not None:
            bind.execute(
                states.update()
                .where(states.c.kind == "runtime_repo", states.c.name == name)
                .values(cursor={})
            )


def downgrade() -> None:
    # The old spellings are not kept: a scan under the old code stores them again.
    pass
