"""`GET /api/v1/gaps`: launch gaps, filterable, paginated."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from app.api.deps import NowDep, SessionDep
from app.api.pagination import paginate
from app.schemas.common import Page
from app.schemas.gaps import GapOut, GapStatus, Stage
from app.services.gaps import load_gaps
from app.services.runtime_catalog import runtime_key_kinds

router = APIRouter(tags=["gaps"])


@router.get("/gaps", summary="Launch gaps per release, runtime and stage", response_model=Page[GapOut])
def list_gaps(
    session: SessionDep,
    now: NowDep,
    runtime: Annotated[str | None, Query(description="Catalog runtime name, e.g. `vllm`.")] = None,
    stage: Annotated[Stage, Query(description="Support stage.")] = "merged",
    status: Annotated[GapStatus | None, Query(description="Only gaps with this status.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page.")] = None,
) -> Page[GapOut]:
    kinds = runtime_key_kinds()
    if runtime is not None and runtime not in kinds:
        raise HTTPException(
            status_code=422, detail=f"unknown runtime {runtime!r}; known: {', '.join(sorted(kinds))}"
        )
    rows = load_gaps(session, kinds, stage=stage, now=now, runtime=runtime, status=status)
    items, total, next_cursor = paginate(rows, limit=limit, cursor=cursor)
    return Page[GapOut](
        items=[GapOut.model_validate(row, from_attributes=True) for row in items],
        total=total,
        next_cursor=next_cursor,
    )
