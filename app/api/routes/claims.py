"""`POST /api/v1/claims` (needs an API token) and `GET /api/v1/claims`: claimed support, shown as claims."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import ValidationError

from app.api.deps import NowDep, SessionDep
from app.api.listing import CursorQuery, FormatQuery, LimitQuery, page_or_csv
from app.api.params import check_runtime, check_sku, check_time_zones
from app.domain.vocabulary import Stage, Vendor
from app.schemas.claims import ClaimIn, ClaimOut
from app.schemas.common import Page, UtcTime
from app.services.claims import ClaimError, ClaimFilters, ClaimInput, add_claim, list_claims
from app.services.tokens import authenticate

router = APIRouter(tags=["claims"])
bearer = HTTPBearer(auto_error=False, description="An API token from `launchgap tokens create`.")


def require_token(
    session: SessionDep,
    now: NowDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> int:
    """The id of the request's live token; 401 without one, with a wrong one, or with a revoked one."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(401, "an API token is required (Authorization: Bearer <token>)")
    token = authenticate(session, credentials.credentials, now=now)
    if token is None:
        raise HTTPException(401, "invalid or revoked API token")
    return token.id


async def read_claim(request: Request, _token_id: Annotated[int, Depends(require_token)]) -> ClaimIn:
    """The claim in the body, read only once the token is known good (FastAPI reads a declared body before
    any dependency runs, so the body is not a declared parameter: an anonymous post is refused unread)."""
    body = await request.body()
    try:
        return ClaimIn.model_validate_json(body)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**error, "loc": ("body", *error["loc"])} for error in exc.errors(include_url=False)]
        ) from exc


# The body is read by ``read_claim``, so the OpenAPI document is told about it here and in
# ``add_body_schemas`` (FastAPI only lists the schemas of declared parameters).
CLAIM_BODY_OPENAPI = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ClaimIn"}}},
    }
}


def add_body_schemas(app: FastAPI) -> None:
    """Put ``ClaimIn`` into the app's OpenAPI components, where ``CLAIM_BODY_OPENAPI`` points."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        schema = build()
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        schemas.setdefault("ClaimIn", ClaimIn.model_json_schema(ref_template="#/components/schemas/{model}"))
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


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
    check_sku(sku)
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
