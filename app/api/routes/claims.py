"""`POST /api/v1/claims` (needs an API token) and `GET /api/v1/claims`: claimed support, shown as claims."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response

from app.api.deps import NowDep, SessionDep, body_after_token, body_openapi, require_token
from app.api.listing import CursorQuery, FormatQuery, LimitQuery, page_or_csv
from app.api.params import check_runtime, check_sku, check_time_zones
from app.domain.vocabulary import Stage, Vendor
from app.schemas.claims import ClaimIn, ClaimOut
from app.schemas.common import Page, UtcTime
from app.services.claims import ClaimError, ClaimFilters, ClaimInput, add_claim, list_claims

router = APIRouter(tags=["claims"])
# The body is read only once the token is known good: an anonymous post is refused unread.
read_claim = body_after_token(ClaimIn)
CLAIM_BODY_OPENAPI = body_openapi(ClaimIn)


@router.post(
    "/claims",
    summary="Add a claimed support event (vendor announcement, release note) with its URL",
    response_model=ClaimOut,
    status_code=201,
    responses={
        200: {"description": "The same claim was already recorded.", "model": ClaimOut},
        401: {"description": "Missing, wrong or revoked token (the body is not read)."},
        413: {"description": "Body over the size cap."},
        422: {"description": "Unknown model, runtime, vendor, stage or SKU."},
    },
    openapi_extra=CLAIM_BODY_OPENAPI,
)
def post_claim(
    body: Annotated[ClaimIn, Depends(read_claim)],
    session: SessionDep,
    now: NowDep,
    token_id: Annotated[int, Depends(require_token)],
) -> Response:
    try:
        claim = add_claim(
            session,
            ClaimInput(
                repo_id=body.repo_id,
                stage=body.stage,
                at=body.at,
                url=str(body.url),
                runtime=body.runtime,
                vendor=body.vendor,
                sku=body.sku,
                note=body.note,
                confidence=body.confidence,
            ),
            token_id=token_id,
            now=now,
        )
    except ClaimError as exc:
        session.rollback()
        raise HTTPException(422, str(exc)) from exc
    session.commit()
    out = ClaimOut.model_validate(claim, from_attributes=True)
    return JSONResponse(out.model_dump(mode="json"), status_code=201 if claim.created else 200)


@router.get(
    "/claims",
    summary="Claimed support events, newest first",
    response_model=Page[ClaimOut],
    responses={200: {"content": {"text/csv": {}}}},
)
def get_claims(
    request: Request,
    session: SessionDep,
    repo_id: Annotated[str | None, Query(description="The model's repo id.")] = None,
    runtime: Annotated[str | None, Query(description="Catalog runtime name, e.g. `vllm-ascend`.")] = None,
    vendor: Annotated[Vendor | None, Query(description="Vendor the claim is about.")] = None,
    stage: Annotated[Stage | None, Query(description="Claimed support stage.")] = None,
    sku: Annotated[str | None, Query(description="Hardware SKU, e.g. `910C`.")] = None,
    since: Annotated[UtcTime | None, Query(description="Claimed support at or after (ISO-8601).")] = None,
    until: Annotated[UtcTime | None, Query(description="Claimed support before (ISO-8601).")] = None,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
    format: FormatQuery = None,
) -> Page[ClaimOut] | Response:
    check_runtime(runtime)
    sku = check_sku(sku)
    check_time_zones(since, until)
    filters = ClaimFilters(
        repo_id=repo_id, runtime=runtime, vendor=vendor, stage=stage, sku=sku, since=since, until=until
    )
    return page_or_csv(
        request,
        ClaimOut,
        list_claims(session, filters),
        limit=limit,
        cursor=cursor,
        format=format,
        filename="claims.csv",
    )
