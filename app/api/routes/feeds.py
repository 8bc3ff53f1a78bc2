"""`GET /feeds/events.atom`: an Atom feed of new support events, filterable by vendor and runtime."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from xml.etree import ElementTree as ET

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from app.api.deps import NowDep, SessionDep
from app.api.routes.events import event_filters
from app.domain.rows import EventRow
from app.domain.text import is_web_link
from app.domain.vocabulary import Vendor
from app.services.read_views import feed_events

router = APIRouter(tags=["feeds"])
FEED_ID = "urn:launchgap:feed"
ATOM = "http://www.w3.org/2005/Atom"


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _entry(feed: ET.Element, event: EventRow) -> None:
    entry = ET.SubElement(feed, "entry")
    verb = "supports" if event.event == "added" else "dropped"
    ET.SubElement(entry, "title").text = f"{event.runtime} {verb} {event.key} ({event.stage})"
    ET.SubElement(entry, "id").text = f"{FEED_ID}:event:{event.id}"
    ET.SubElement(entry, "updated").text = _iso(event.recorded_at)
    ET.SubElement(entry, "published").text = _iso(event.at)
    if is_web_link(event.evidence_url):
        ET.SubElement(entry, "link", href=event.evidence_url, rel="alternate")
    ET.SubElement(entry, "category", term=event.runtime)
    evidence = ", ".join(
        part
        for part in (
            f"commit {event.commit}" if event.commit else "",
            f"tag {event.tag}" if event.tag else "",
            f"branch {event.branch}" if event.branch else "",
            f"SKU {event.sku}" if event.sku else "",
            f"PR #{event.pr_number}" if event.pr_number else "",
        )
        if part
    )
    ET.SubElement(entry, "summary").text = (
        f"{event.key_kind} {event.key} {event.event} at stage {event.stage} on {_iso(event.at)}"
        f" ({event.provenance}, confidence {event.confidence}){': ' + evidence if evidence else ''}"
    )


@router.get(
    "/feeds/events.atom",
    summary="Atom feed of the newest support events",
    response_class=Response,
    responses={200: {"content": {"application/atom+xml": {}}}},
)
def events_feed(
    request: Request,
    session: SessionDep,
    now: NowDep,
    runtime: Annotated[str | None, Query(description="Catalog runtime name.")] = None,
    vendor: Annotated[Vendor | None, Query(description="Vendor view.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Response:
    rows = feed_events(session, event_filters(runtime, vendor, None, None, None), limit=limit)
    feed = ET.Element("feed", xmlns=ATOM)
    ET.SubElement(feed, "title").text = "LaunchGap support events" + "".join(
        f" · {label}" for label in (vendor, runtime) if label
    )
    # Ids and links never come from the Host header (anyone can send one): ids are fixed names, the self
    # link is relative to wherever the feed was fetched from.
    query = request.url.query
    ET.SubElement(feed, "id").text = f"{FEED_ID}:events" + (f"?{query}" if query else "")
    ET.SubElement(feed, "link", href=request.url.path + (f"?{query}" if query else ""), rel="self")
    # An empty feed is up to date as of now (not 1970): nothing has been found yet.
    updated = max((r.recorded_at for r in rows), default=now)
    ET.SubElement(feed, "updated").text = _iso(updated)
    author = ET.SubElement(feed, "author")
    ET.SubElement(author, "name").text = "LaunchGap"
    for event in rows:
        _entry(feed, event)
    body = ET.tostring(feed, encoding="unicode", xml_declaration=False)
    return Response('<?xml version="1.0" encoding="utf-8"?>\n' + body, media_type="application/atom+xml")
