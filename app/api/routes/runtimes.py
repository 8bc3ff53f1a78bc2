"""`GET /api/v1/runtimes` and `GET /api/v1/runtimes/{name}`: the catalog with scan health."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from app.api.deps import SessionDep
from app.api.listing import CursorQuery, FormatQuery, LimitQuery, page_or_csv
from app.schemas.common import Page
from app.schemas.runtimes import RuntimeOut
from app.services.read_views import list_runtimes

router = APIRouter(tags=["runtimes"])


@router.get(
    "/runtimes",
    summary="Catalog runtimes: vendors, hardware, signals, last scan and its health",
    response_model=Page[RuntimeOut],
    responses={200: {"content": {"text/csv": {}}}},
)
def runtimes(
    request: Request,
    session: SessionDep,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
    format: FormatQuery = None,
) -> Page[RuntimeOut] | Response:
    return page_or_csv(
        request,
        RuntimeOut,
        list_runtimes(session),
        limit=limit,
        cursor=cursor,
        format=format,
        filename="runtimes.csv",
    )


@router.get(
    "/runtimes/{name}",
    summary="One catalog runtime",
    response_model=RuntimeOut,
    responses={404: {"description": "Unknown runtime."}},
)
def runtime(name: str, session: SessionDep) -> RuntimeOut:
    for info in list_runtimes(session):
        if info.name == name:
            return RuntimeOut.model_validate(info, from_attributes=True)
    raise HTTPException(404, f"unknown runtime {name!r}")
