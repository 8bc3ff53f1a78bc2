"""Liveness and readiness.

``/healthz`` answers from the event loop without touching the database or a worker thread, so it stays fast
when every thread is busy serving heavy pages (a load balancer or an operator must be able to tell "slow"
from "dead"). ``/readyz`` also checks the database and answers 503 when it does not answer.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from app import __version__
from app.api.deps import SessionDep
from app.services.operations.health import check_database

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness (never waits for the database)")
@router.head("/healthz", include_in_schema=False)
async def healthz() -> dict[str, str]:
    return {"status": "ok", "version": __version__}


@router.get(
    "/readyz",
    summary="Readiness: the database answers",
    response_model=dict[str, str],
    responses={503: {"description": "The database does not answer."}},
)
def readyz(session: SessionDep) -> dict[str, str] | JSONResponse:
    try:
        check_database(session)
    except SQLAlchemyError as exc:
        return JSONResponse(
            {"status": "unavailable", "detail": f"database: {type(exc.orig or exc).__name__}"},
            status_code=503,
        )
    return {"status": "ok", "version": __version__}
