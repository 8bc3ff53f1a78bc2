"""Dashboard pages. Views call the same services as the API and only shape the result for templates."""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, FastAPI, HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session, sessionmaker

from app.api.deps import NowDep, SessionDep
from app.api.params import check_sku, most_used
from app.clock import utcnow
from app.domain.gap_row import GapRow
from app.domain.text import is_web_link
from app.domain.vocabulary import VENDOR_LABELS, GapStatus, ReleasePrecision, RowKind, Stage
from app.services.answers.early_access import early_access_map
from app.services.answers.lags import propagation_lags, stage_lags
from app.services.answers.latest import LatestScope, notable_releases, release_answers
from app.services.answers.requirements import RequirementFilters, model_requirements
from app.services.answers.stats import GapLike, covered_group_stats, survival_curve
from app.services.gaps.query import GapFilters, gap_releases, gap_stats_rows, gap_values, query_gaps
from app.services.operations.source_problems import summarize_problems
from app.services.operations.source_state import list_health
from app.services.read_views import (
    EventFilters,
    ModelFilters,
    count_events,
    count_models,
    get_model,
    list_events,
    list_models,
    list_runtimes,
)
from app.services.releases.publishers import discovered_orgs
from app.services.runtimes.catalog_views import statement_skus
from app.services.runtimes.stored_coverage import evidence_age, load_coverage, vendor_coverage
from app.services.snapshot.exchange import imported_snapshots
from app.web.colours import vendor_colour
from app.web.evidence_text import evidence_text, without_paths
from app.web.page_cache import PageCache

router = APIRouter(include_in_schema=False)
RELEASES_PER_PAGE = 50
LATEST_PER_PAGE = 10
"""Notable releases answered per vendor at the top of the main page, a page of them."""
TOP_CHOICES = (20, 100)
"""The "top N by downloads" limits the main page offers (any N works in the URL)."""


def _root(request: Request) -> dict[str, str]:
    # Pages link their assets by path under the app's root path (set by the server, never by a client):
    # a URL built from the request's Host header could point a cached page's scripts at another host.
    return {"root": request.scope.get("root_path", "").rstrip("/")}


templates = Jinja2Templates(directory=Path(__file__).parent / "templates", context_processors=[_root])
STATIC_DIR = Path(__file__).parent / "static"


def _format_gap(hours: float | None, precision: str | None = None) -> str:
    """Hours as a short human figure: "+3.2 d", "−6 h", "0". Against a release known only to the day
    (``precision`` "day": its time is that day's start), whole days: "same day", "+3 d", "−1 d" — hours
    would claim a time nobody knows (the statuses stay as ``decide.classify_gap`` decided them)."""
    if hours is None:
        return "—"
    sign = "−" if hours < 0 else "+"
    if precision == ReleasePrecision.DAY:
        days = math.floor(hours / 24)
        return "same day" if days == 0 else f"{sign}{abs(days)} d"  # days < 0 exactly when hours < 0
    if hours == 0:
        return "0"
    magnitude = abs(hours)
    return f"{sign}{magnitude:.0f} h" if magnitude < 48 else f"{sign}{magnitude / 24:.1f} d"


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


# An evidence link becomes an href only when it is http(s): a stored ``javascript:`` or ``data:`` is text.
templates.env.tests["web_link"] = is_web_link
templates.env.filters["gap"] = _format_gap
# Status classes come from the vocabulary (GapStatus.css_class), the one mapping pages and stylesheet share.
templates.env.globals["Status"] = GapStatus
templates.env.globals["status_class"] = lambda status: (
    GapStatus(status).css_class if status else "status-none"
)
templates.env.filters["when"] = _when
templates.env.filters["percent"] = _percent
# Source texts and errors never show a file path (app/web/evidence_text.py): repository files become links.
templates.env.filters["evidence"] = evidence_text
templates.env.filters["no_paths"] = without_paths


def _page(
    request: Request,
    session: SessionDep,
    name: str,
    context: dict[str, object],
    *,
    status_code: int = 200,
    now: datetime,
    runtime: str | None = None,
) -> HTMLResponse:
    """Render a page with what every page shows: the banner (one line per kind of failing source), the
    snapshot's cutoff, and how old the newest runtime evidence is when it is over a day old (``runtime``: that
    runtime's own, on its page). ``now`` is the route's clock."""
    context |= {
        "problems": summarize_problems(list_health(session), now),
        "snapshots": imported_snapshots(session),
        "evidence_age": evidence_age(session, now, runtime=runtime),
        "evidence_of": runtime,
    }
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def error_page(
    request: Request, status_code: int, message: str, details: list[str] | None = None
) -> HTMLResponse:
    """An error on an HTML route as a page (not JSON), saying what went wrong and offering the way back."""
    titles = {404: "Not found", 405: "Not allowed", 413: "Too large", 422: "Not understood"}
    title = titles.get(status_code, "Something went wrong" if status_code >= 500 else "Cannot show this")
    return templates.TemplateResponse(
        request,
        "error.html",
        {"status_code": status_code, "title": title, "message": message, "details": details or []},
        status_code=status_code,
    )


# The runtimes people ask about most, in that order; the matrix shows them first (others follow by name).
MOST_ASKED_RUNTIMES = (
    "vllm", "sglang", "tensorrt-llm", "llama.cpp", "ollama", "transformers", "mlx-lm", "vllm-ascend",
    "lmdeploy", "tgi", "rocm-vllm", "vllm-recipes", "ktransformers", "mlx-vlm", "optimum-intel",
    "openvino-genai", "onnxruntime-genai", "vllm-mindspore", "xllm", "lightllm",
)  # fmt: skip


def column_order(names: set[str], view: str) -> list[str]:
    """Matrix columns: most-asked runtimes first (vendor views in the vocabulary's order), then by name."""
    ranking = MOST_ASKED_RUNTIMES if view == "runtimes" else tuple(VENDOR_LABELS)
    rank = {name: i for i, name in enumerate(ranking)}
    return sorted(names, key=lambda n: (rank.get(n, len(rank)), n))


def _matrix(rows: list[GapRow], column: str) -> OrderedDict[str, dict[str, GapRow]]:
    matrix: OrderedDict[str, dict[str, GapRow]] = OrderedDict()
    for row in rows:
        matrix.setdefault(row.repo_id, {})[getattr(row, column) or ""] = row
    return matrix


def _survival_curves(vendor_rows: Sequence[GapLike]) -> list[dict[str, object]]:
    """Per vendor, the Kaplan–Meier time-to-support curve in days (pending censored), for the chart, each
    with the vendor's own colour (``app/web/colours.py``: the same whichever vendors a filter leaves)."""
    curves: list[dict[str, object]] = []
    for vendor, label in VENDOR_LABELS.items():
        points = survival_curve(r for r in vendor_rows if r.vendor == vendor)
        if not points:
            continue
        curves.append(
            {
                "vendor": vendor.value,
                "label": label,
                "colour": vendor_colour(vendor),
                "points": [{"x": 0.0, "y": 100.0}]
                + [{"x": round(p.hours / 24, 2), "y": round(p.unsupported * 100, 1)} for p in points],
            }
        )
    return curves


@router.get("/", response_class=HTMLResponse)
def dashboard(
    request: Request,
    session: SessionDep,
    now: NowDep,
    stage: Annotated[Stage, Query()] = Stage.MERGED,
    view: Annotated[Literal["runtimes", "vendors"], Query()] = "runtimes",
    publisher: Annotated[str | None, Query(max_length=200)] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    top: Annotated[
        str | None, Query(pattern=r"^\d{0,4}$", description="Only the N most downloaded release families.")
    ] = None,
    latest: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> HTMLResponse:
    """The latest notable releases answered per vendor, the leaderboard and time-to-support chart per vendor,
    then the release × runtime (or vendor) matrix; with ``top=N``, all over the N most downloaded release
    families only."""
    most = int(top) if top else None  # the form sends "" for "all"
    return HTMLResponse(
        _dashboard_body(request, session, stage, view, publisher or None, page, most or None, latest, now=now)
    )


def _dashboard_body(
    request: Request,
    session: Session,
    stage: Stage,
    view: str,
    publisher: str | None,
    page: int,
    top: int | None,
    latest: int,
    *,
    now: datetime,
) -> bytes:
    """The main page's body from the page cache, rendered on a miss: the route and the start-up warming
    (``warm_main_page``) both come here, so the warmed entry is the one ``/`` looks up. Keyed on the validated
    parameters only: the same page under other spellings (an unknown parameter is refused before this) is one
    entry and one rendering."""
    cache: PageCache = request.app.state.page_cache
    key = f"stage={stage}&view={view}&publisher={publisher or ''}&page={page}&top={top or ''}"
    return cache.get_or_render(
        key if latest == 1 else f"{key}&latest={latest}",
        lambda: _render_dashboard(request, session, stage, view, publisher, page, top, latest, now=now).body,
    )


def warm_main_page(app: FastAPI, factory: sessionmaker[Session]) -> None:
    """Render the main page as ``/`` shows it by default into the page cache as the server starts: after a
    restart, the first burst of visitors then gets it from the cache (or waits for this one rendering)
    instead of a cold rendering under load (docs/operations.md)."""
    request = Request(
        {"type": "http", "app": app, "method": "GET", "path": "/", "root_path": "", "query_string": b"",
         "headers": [], "scheme": "http", "server": ("127.0.0.1", 80)}
    )  # fmt: skip
    with factory() as session:
        _dashboard_body(request, session, Stage.MERGED, "runtimes", None, 1, None, 1, now=utcnow())


def _render_dashboard(
    request: Request,
    session: SessionDep,
    stage: str,
    view: str,
    publisher: str | None,
    page: int,
    top: int | None,
    latest: int = 1,
    *,
    now: datetime,
) -> HTMLResponse:
    families = most_used(session, top, publisher)
    # The answers first: the newest notable releases, each with its earliest support per vendor.
    notable = notable_releases(session, LatestScope(publisher=publisher, families=families))
    latest_first = (latest - 1) * LATEST_PER_PAGE
    answers = release_answers(session, notable[latest_first : latest_first + LATEST_PER_PAGE])
    # What the page shows is read in parts, not as every row of the stage: the releases (ids only) to cut a
    # page from, that page's rows, the columns and publishers present, and lean vendor rows for the
    # leaderboard and the chart (the first rendering is waited for by every visitor of a cold cache).
    column = "runtime" if view == "runtimes" else "vendor"
    shown_filters = GapFilters(
        stage=stage,
        publisher=publisher,
        rows=(RowKind.RUNTIME if view == "runtimes" else RowKind.VENDOR,),
        families=families,
    )
    releases = gap_releases(session, shown_filters)
    # The matrix pages by release (newest first) so the page stays light with thousands of releases.
    first = (page - 1) * RELEASES_PER_PAGE
    on_page = tuple(releases[first : first + RELEASES_PER_PAGE])
    shown = query_gaps(session, replace(shown_filters, repo_ids=on_page)) if on_page else []
    matrix = _matrix(shown, column)
    columns = column_order(gap_values(session, shown_filters, column), view)
    vendor_rows = gap_stats_rows(session, replace(shown_filters, rows=(RowKind.VENDOR,)))
    vendors = vendor_coverage(load_coverage(session), stage)
    # Ranked vendors (some runtime observed) by day-0 rate then KM median; vendors with none observed last,
    # shown as not ranked rather than as 0 %.
    leaderboard = sorted(
        covered_group_stats(vendor_rows, by="vendor", coverage=vendors),
        key=lambda c: (
            not c.ranked,
            -(c.stats.day0_rate or 0),
            c.stats.km_median_hours if c.stats.km_median_hours is not None else 1e12,
            c.name,
        ),
    )
    pages = max(1, -(-len(releases) // RELEASES_PER_PAGE))
    return _page(
        request,
        session,
        "index.html",
        {
            "stage": stage,
            "view": view,
            "stages": list(Stage),
            "statuses": list(GapStatus),
            "vendor_runtimes": {v: g.runtimes for v, g in vendors.items()},
            "matrix": matrix,
            "releases": {r.repo_id: r for r in shown},
            "columns": columns,
            "column_labels": VENDOR_LABELS if view == "vendors" else {},
            "leaderboard": leaderboard,
            "vendor_names": VENDOR_LABELS,
            "curves": _survival_curves(vendor_rows),
            "publisher": publisher or "",
            "publishers": sorted(gap_values(session, shown_filters, "publisher")),
            "discovered": set(discovered_orgs(session)),
            "page": page,
            "pages": pages,
            "release_count": len(releases),
            "top": top,
            "top_choices": TOP_CHOICES,
            "latest": answers,
            "latest_page": latest,
            "latest_pages": max(1, -(-len(notable) // LATEST_PER_PAGE)),
            "latest_total": len(notable),
            "latest_per_page": LATEST_PER_PAGE,
        },
        now=now,
    )


@router.get("/releases/{repo_id:path}", response_class=HTMLResponse)
def release_page(
    request: Request,
    session: SessionDep,
    now: NowDep,
    repo_id: str,
    sku: Annotated[str | None, Query(max_length=64, description="A hardware SKU, in any case.")] = None,
) -> HTMLResponse:
    """One release: its facts and its support ladder per runtime, vendor and SKU, each rung with evidence;
    with ``?sku=`` the version answer is for that SKU (its verification, the statements for its vendor)."""
    detail = get_model(session, repo_id)
    if detail is None:
        raise HTTPException(status_code=404, detail=f"no model {repo_id!r} is known")
    asked_sku = check_sku(sku or None)  # the API's check: the catalog's spelling, or the same 422
    # "Which version do I need" comes first (the same answer as `launchgap which`); runtimes with nothing to
    # install and nothing stated yet are only counted.
    requirements = model_requirements(session, repo_id, filters=RequirementFilters(sku=asked_sku)) or []
    shown = [r for r in requirements if r.first_release or r.first_branch or r.statements]
    return _page(
        request,
        session,
        "release.html",
        {
            "requirements": shown,
            "requirements_hidden": len(requirements) - len(shown),
            "requirements_sku": asked_sku,
            "requirements_skus": statement_skus(),
            "model": detail.model,
            "release_times": detail.release_times,
            "release_conflicts": detail.release_conflicts,
            # Vendor views first: operators choosing hardware read those; runtime rows are the evidence.
            "ladders": sorted(detail.ladders, key=lambda ladder: ladder.runtime is not None),
            "stages": list(Stage),
            "statuses": list(GapStatus),
            "vendor_names": VENDOR_LABELS,
        },
        now=now,
    )


@router.get("/early-access", response_class=HTMLResponse)
def early_access_page(
    request: Request, session: SessionDep, now: NowDep, stage: Annotated[Stage, Query()] = Stage.MERGED
) -> HTMLResponse:
    """The early-access map: publishers × vendors, each cell linking to that publisher's releases."""
    cells = early_access_map(session, stage=stage, now=now)
    return _page(
        request,
        session,
        "early_access.html",
        {
            "stage": stage,
            "stages": list(Stage),
            "cells": {(c.publisher, c.vendor): c for c in cells},
            "publishers": sorted({c.publisher for c in cells}),
            "vendors": [v for v in VENDOR_LABELS if any(c.vendor == v for c in cells)],
            "vendor_names": VENDOR_LABELS,
        },
        now=now,
    )


# The stage pairs the runtime page measures: review (merge behind the first proposal), release behind merge,
# docs behind code.
RUNTIME_STAGE_LAGS = (
    (Stage.PROPOSED, Stage.MERGED),
    (Stage.MERGED, Stage.RELEASED),
    (Stage.MERGED, Stage.DOCUMENTED),
)


@router.get("/runtimes/{name}", response_class=HTMLResponse)
def runtime_page(request: Request, session: SessionDep, now: NowDep, name: str) -> HTMLResponse:
    """One runtime: what it counts for, its scan health, its lag behind its upstream and between its stages,
    and its newest support events."""
    info = next((r for r in list_runtimes(session) if r.name == name), None)
    if info is None:
        raise HTTPException(status_code=404, detail=f"no runtime {name!r} in the catalog")
    filters = EventFilters(runtime=name)
    events = list_events(session, filters, limit=200)
    total = count_events(session, filters)
    return _page(
        request,
        session,
        "runtime.html",
        {
            "info": info,
            "events": events,
            "total": total,
            "vendor_names": VENDOR_LABELS,
            "upstream_lags": propagation_lags(session, downstream=name),
            "downstream_lags": propagation_lags(session, upstream=name),
            "stage_lags": [
                lag
                for first, second in RUNTIME_STAGE_LAGS
                for lag in stage_lags(session, from_stage=first, to_stage=second, runtimes=[name])
            ],
        },
        now=now,
        runtime=name,
    )


@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request,
    session: SessionDep,
    now: NowDep,
    q: Annotated[str, Query(max_length=200)] = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> HTMLResponse:
    """Releases whose repo id or name contains ``q`` (case-insensitive), newest first: the header's search
    box lands here. Derivatives are left out: a release's page is where its support is."""
    text = q.strip()
    filters = ModelFilters(search=(text,), include_derivatives=False)
    total = count_models(session, filters) if text else 0
    first = (page - 1) * RELEASES_PER_PAGE
    found = list_models(session, filters, offset=first, limit=RELEASES_PER_PAGE) if text else []
    return _page(
        request,
        session,
        "search.html",
        {
            "q": text,
            "found": found,
            "total": total,
            "page": page,
            "pages": max(1, -(-total // RELEASES_PER_PAGE)),
        },
        now=now,
    )


@router.get("/docs", response_class=HTMLResponse)
def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI for the API, from LaunchGap's own copy of its assets (works offline, no inline script)."""
    return templates.TemplateResponse(request, "api_swagger.html", {"openapi_url": request.app.openapi_url})


@router.get("/redoc", response_class=HTMLResponse)
def redoc(request: Request) -> HTMLResponse:
    """ReDoc for the API, from LaunchGap's own copy of its bundle."""
    return templates.TemplateResponse(request, "api_redoc.html", {"openapi_url": request.app.openapi_url})


@router.get("/glossary", response_class=HTMLResponse)
def glossary(request: Request, session: SessionDep, now: NowDep) -> HTMLResponse:
    """What statuses, stages, families, key novelty, Kaplan–Meier and coverage mean."""
    return _page(request, session, "glossary.html", {}, now=now)


@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> FileResponse:
    """Browsers ask for /favicon.ico on pages without an icon link (JSON, the feed): the same icon."""
    return FileResponse(STATIC_DIR / "favicon.svg", media_type="image/svg+xml")
