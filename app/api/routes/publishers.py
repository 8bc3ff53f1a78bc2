"""`GET /api/v1/publishers` (who is watched and why) and `PATCH /api/v1/publishers/{name}` (needs an API
token): an operator un-watches a publisher, e.g. one the Hub firehose discovered (docs/hub.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query

from app.api.deps import SessionDep, body_after_token, body_openapi, require_token
from app.schemas.publishers import PublisherOut, PublisherPatch
from app.services.jobs import set_publisher_watched
from app.services.releases.publishers import PublisherView, list_publisher_views

router = APIRouter(tags=["publishers"])
read_patch = body_after_token(PublisherPatch)
PATCH_BODY_OPENAPI = body_openapi(PublisherPatch)


def _out(view: PublisherView) -> PublisherOut:
    return PublisherOut.model_validate(view, from_attributes=True)


@router.get(
    "/publishers",
    summary="Publishers: watched or not, and why (the file, an operator, the firehose)",
    response_model=list[PublisherOut],
)
def get_publishers(
    session: SessionDep,
    watched: Annotated[bool | None, Query(description="Only watched (`true`) or un-watched ones.")] = None,
) -> list[PublisherOut]:
    return [_out(view) for view in list_publisher_views(session, watched=watched)]


@router.patch(
    "/publishers/{name}",
    summary="Watch or un-watch a publisher (an API token is required)",
    response_model=PublisherOut,
    responses={
        401: {"description": "Missing, wrong or revoked token (the body is not read)."},
        404: {"description": "No such publisher."},
    },
    openapi_extra=PATCH_BODY_OPENAPI,
)
def patch_publisher(
    name: str,
    body: Annotated[PublisherPatch, Depends(read_patch)],
    session: SessionDep,
    _token_id: Annotated[int, Depends(require_token)],
) -> PublisherOut:
    view = set_publisher_watched(session, name, body.watched)
    if view is None:
        session.rollback()
        raise HTTPException(404, f"no publisher named {name!r}")
    session.commit()
    return _out(view)
