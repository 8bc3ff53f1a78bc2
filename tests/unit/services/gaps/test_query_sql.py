"""The SQL the gaps list sends: shapes the indexes of docs/operations.md depend on."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql

from app.domain.vocabulary import RowKind, Stage
from app.services.gaps.query import GapFilters, _page_statement


def _where_sql(filters: GapFilters) -> str:
    sql = " ".join(str(_page_statement(filters, 50, 0).compile(dialect=postgresql.dialect())).split())
    return sql.split(" WHERE ", 1)[1].split(" ORDER BY ", 1)[0]


def test_every_kind_unfiltered_needs_no_kind_condition() -> None:
    # The hot list (/api/v1/gaps?stage=merged): the stage alone, which the (stage, release_at) index serves.
    where = _where_sql(GapFilters(stage=Stage.MERGED, rows=tuple(RowKind)))
    assert "row_kind" not in where
    assert "gap_rows.stage" in where


def test_a_narrowed_kind_keeps_its_condition() -> None:
    assert "row_kind" in _where_sql(GapFilters(stage=Stage.MERGED, rows=(RowKind.RUNTIME, RowKind.VENDOR)))
    assert "row_kind" in _where_sql(GapFilters(stage=Stage.MERGED, rows=tuple(RowKind), vendor="amd"))
    assert "row_kind" in _where_sql(GapFilters(stage=Stage.MERGED, rows=tuple(RowKind), sku="H200"))
