"""`/api/v1/watches`: URLs LaunchGap calls when a watched cell gains support (API token; own watches only)."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request, Response

from app.api.deps import NowDep, SessionDep, SettingsDep, TokenDep, body_after_token, body_openapi
from app.api.listing import CursorQuery, FormatQuery, LimitQuery, page_or_csv, query_page_or_csv
from app.domain.vocabulary import DeliveryState
from app.schemas.common import Page
from app.schemas.watches import DeliveryAttemptOut, DeliveryOut, WatchFilterIn, WatchIn, WatchOut
from app.services.watches.manage import (
    RefusedTarget,
    Watch,
    WatchFilter,
    WatchFilterError,
    count_deliveries,
    create_watch,
    delete_watch,
    list_deliveries,
    list_watches,
    owned_watch,
)

router = APIRouter(tags=["watches"])
# The body is read only once the token is known good: an anonymous post is refused unread.
read_watch = body_after_token(WatchIn)
WatchId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The watch's id.")]
AUTH_RESPONSES: dict[int | str, dict[str, str]] = {
    401: {"description": "Missing, wrong or revoked token (a body is not read)."}
}
NOT_YOURS = {404: {"description": "No watch with this id belongs to the token."}}


def _out(watch: Watch) -> WatchOut:
    return WatchOut(
        id=watch.id,
        url=watch.url,
        filter=WatchFilterIn(
            repo_id=watch.repo_id,
            publisher=watch.publisher,
            vendor=watch.vendor,
            runtime=watch.runtime,
            stage=watch.stage,
            sku=watch.sku,
        ),
        created_at=watch.created_at,
    )


@router.post(
    "/watches",
    summary="Watch gap rows: LaunchGap POSTs each row that gains support to your URL, signed",
    response_model=WatchOut,
    status_code=201,
    responses={
        **AUTH_RESPONSES,
        413: {"description": "Body over the size cap."},
        422: {"description": "Bad filter, or a URL that is not http(s) to a public host."},
    },
    openapi_extra=body_openapi(WatchIn),
)
def post_watch(
    body: Annotated[WatchIn, Depends(read_watch)],
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    token: TokenDep,
) -> WatchOut:
    try:
        watch = create_watch(
            session,
            token_id=token,
            url=body.url,
            secret=body.secret,
            watch_filter=WatchFilter(**body.filter.model_dump()),
            now=now,
            allow_private=settings.webhook_allow_private,
        )
    except (RefusedTarget, WatchFilterError) as exc:
        session.rollback()
        raise HTTPException(422, str(exc)) from exc
    session.commit()
    return _out(watch)


@router.get(
    "/watches",
    summary="The token's watches, oldest first",
    response_model=Page[WatchOut],
    responses={**AUTH_RESPONSES, 200: {"content": {"text/csv": {}}}},
)
def get_watches(
    request: Request,
    session: SessionDep,
    token: TokenDep,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
    format: FormatQuery = None,
) -> Page[WatchOut] | Response:
    watches = [_out(w) for w in list_watches(session, token)]
    return page_or_csv(
        request, WatchOut, watches, limit=limit, cursor=cursor, format=format, filename="watches.csv"
    )


@router.delete(
    "/watches/{watch_id}",
    summary="Delete a watch; its pending deliveries are not sent",
    status_code=204,
    responses={**AUTH_RESPONSES, **NOT_YOURS},
)
def remove_watch(watch_id: WatchId, session: SessionDep, token: TokenDep) -> Response:
    watch = owned_watch(session, token, watch_id)
    if watch is None:
        raise HTTPException(404, f"no watch {watch_id}")
    delete_watch(session, watch)
    session.commit()
    return Response(status_code=204)


@router.get(
    "/watches/{watch_id}/deliveries",
    summary="A watch's deliveries, newest first, each with its attempts (the delivery log)",
    response_model=Page[DeliveryOut],
    responses={**AUTH_RESPONSES, **NOT_YOURS, 200: {"content": {"text/csv": {}}}},
)
def get_deliveries(
    request: Request,
    watch_id: WatchId,
    session: SessionDep,
    token: TokenDep,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
    format: FormatQuery = None,
) -> Page[DeliveryOut] | Response:
    watch = owned_watch(session, token, watch_id)
    if watch is None:
        raise HTTPException(404, f"no watch {watch_id}")

    def fetch(page: int | None, offset: int) -> list[DeliveryOut]:
        return [
            DeliveryOut(
                delivery_id=delivery.delivery_id,
                state=delivery.state,  # type: ignore[arg-type]
                created_at=delivery.created_at,
                attempts=delivery.attempts,
                next_attempt_at=delivery.next_attempt_at if delivery.state == DeliveryState.PENDING else None,
                delivered_at=delivery.delivered_at,
                last_error=delivery.last_error,
                gap=json.loads(delivery.body)["gap"],
                attempt_log=[DeliveryAttemptOut.model_validate(a, from_attributes=True) for a in attempts],
            )
            for delivery, attempts in list_deliveries(session, watch_id, limit=page, offset=offset)
        ]

    return query_page_or_csv(
        request,
        DeliveryOut,
        fetch,
        lambda: count_deliveries(session, watch_id),
        limit=limit,
        cursor=cursor,
        format=format,
        filename="deliveries.csv",
    )
