"""Dashboard pages. Views call the same services as the API and only shape the result for templates."""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from app.api.deps import NowDep, SessionDep
from app.schemas.gaps import Stage
from app.services.gaps import STATUSES, GapRow, load_gaps
from app.services.runtime_catalog import runtime_key_kinds
from app.services.source_state import list_health

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def _format_gap(hours: float) -> str:
    """Hours as a short human figure: "+3.2 d", "−6 h", "0"."""
    if hours == 0:
        return "0"
    sign = "−" if hours < 0 else "+"
    magnitude = abs(hours)
    return f"{sign}{magnitude:.0f} h" if magnitude < 48 else f"{sign}{magnitude / 24:.1f} d"


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"


templates.env.filters["gap"] = _format_gap
templates.env.filters["when"] = _when


def _matrix(rows: list[GapRow]) -> OrderedDict[str, dict[str, GapRow]]:
    matrix: OrderedDict[str, dict[str, GapRow]] = OrderedDict()
    for row in rows:
        matrix.setdefault(row.repo_id, {})[row.runtime] = row
    return matrix


@router.get("/", response_class=HTMLResponse)
def dashboard(
    request: Request,
    session: SessionDep,
    now: NowDep,
    stage: Annotated[Stage, Query()] = "merged",
) -> HTMLResponse:
    kinds = runtime_key_kinds()
    rows = load_gaps(session, kinds, stage=stage, now=now)
    matrix = _matrix(rows)
    releases = {row.repo_id: row for row in rows}
    # Runtimes with at least one supported release first, so the table reads left to right by coverage.
    coverage = {name: sum(1 for r in rows if r.runtime == name and r.status != "pending") for name in kinds}
    runtimes = sorted(kinds, key=lambda name: (-coverage[name], name))
    sources = list_health(session)
    return templates.TemplateResponse(
        request,
        "index.html",
        {
            "stage": stage,
            "stages": ["branch", "merged", "released", "documented", "verified"],
            "statuses": STATUSES,
            "matrix": matrix,
            "releases": releases,
            "runtimes": runtimes,
            "failing_sources": [s for s in sources if not s.ok],
            "source_count": len(sources),
            "now": now,
        },
    )
