"""What the server log says once, so an operator reading it knows what is served: at start, the runtime
evidence (the snapshot's cutoff, the newest evidence) and what is known of the runtime sources; after the
watchers' first runtime cycle, how many of them could not be reached (docs/operations.md, "Logs").

Failing sources are otherwise logged only when their state changes (``source_state.record_failure``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from app.services.operations.source_state import RUNTIME_REPO, list_health, problem_kind
from app.services.runtimes.stored_coverage import newest_evidence
from app.services.snapshot.exchange import imported_snapshots


def _day(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value else "not known"


@dataclass(frozen=True)
class RuntimeReach:
    """The configured runtime sources at their last check."""

    total: int
    checked: int
    unreachable: int
    failing: int
    """Reached but failing otherwise (a scan error)."""

    def __str__(self) -> str:
        if not self.unreachable and not self.failing:
            return f"all {self.total} runtime sources reached"
        parts = (
            [f"{self.unreachable} of {self.total} runtime sources unreachable"] if self.unreachable else []
        )
        if self.failing:
            parts.append(f"{self.failing} of {self.total} failing to scan")
        return ", ".join(parts)


def runtime_reach(session: Session, runtimes: Sequence[str]) -> RuntimeReach:
    """How ``runtimes``' sources fared at their last check, by kind of problem."""
    wanted = set(runtimes)
    health = [h for h in list_health(session) if h.kind == RUNTIME_REPO and h.name in wanted]
    kinds = [problem_kind(h.kind, h.last_error) for h in health if not h.ok]
    unreachable = kinds.count("repo-unreachable")
    checked = sum(1 for h in health if h.last_checked_at is not None)
    return RuntimeReach(len(wanted), checked, unreachable, len(kinds) - unreachable)


def _served(session: Session) -> str:
    snapshots = imported_snapshots(session)
    if snapshots:
        latest = snapshots[0]
        served = f"the snapshot as of {_day(latest.cutoff)} (imported {_day(latest.imported_at)})"
    else:
        served = "no snapshot (runtime evidence from scans only)"
    return f"{served}, newest runtime evidence {_day(newest_evidence(session))}"


def serving_summary(session: Session, runtimes: Sequence[str], *, watching: bool) -> str:
    """The line the server logs once at start: "serving the snapshot as of 2026-08-22 (imported 2026-12-07),
    newest runtime evidence 2026-08-22; 20 of 21 runtime sources unreachable at their last check"."""
    line = f"serving {_served(session)}"
    if not watching:
        return f"{line}; watchers off: this process does not update it"
    reach = runtime_reach(session, runtimes)
    if not reach.checked:
        return f"{line}; the first scan cycle will say which of {reach.total} runtime sources it reaches"
    return f"{line}; {reach} at their last check"


def first_cycle_summary(session: Session, runtimes: Sequence[str]) -> str:
    """The line the watchers log once, after their first runtime cycle: "first scan cycle done: 20 of 21
    runtime sources unreachable; serving the snapshot as of 2026-08-22 …"."""
    return f"first scan cycle done: {runtime_reach(session, runtimes)}; serving {_served(session)}"
