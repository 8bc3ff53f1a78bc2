"""`launchgap which REPO_ID`: which version of each runtime a model needs, as a table."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from app.cli import get_settings

if TYPE_CHECKING:
    from app.services.answers.requirements import ReleaseRef, Requirement

COLUMNS = ("RUNTIME", "VENDORS", "FIRST RELEASE", "FIRST FINAL RELEASE", "FIRST BRANCH", "MIN VERSION")


def _release(ref: ReleaseRef | None, observed: bool) -> str:
    if ref is None:
        return "—" if observed else "not observed"  # unknown is not "none yet"
    kind = " (pre-release)" if ref.prerelease else ""
    return f"{ref.tag}{kind} {ref.at:%Y-%m-%d}"


def requirement_cells(item: Requirement) -> tuple[str, ...]:
    """One table row: what a reader needs, each version with its date."""
    branch = item.first_branch
    stated = item.min_version
    return (
        item.runtime,
        ",".join(item.vendors) or "—",
        _release(item.first_release, item.releases_observed),
        _release(item.first_final_release, item.releases_observed),
        f"{branch.branch} {branch.at:%Y-%m-%d}" if branch else "—",
        f">= {stated.version} ({stated.source})" if stated else "—",
    )


def _evidence(url: str | None, commit: str | None) -> str:
    return url or (f"at {commit[:12]}" if commit else "")


def requirement_details(item: Requirement) -> list[str]:
    """The lines under the table for one runtime: unobserved releases said plainly, each image a source
    states, and the asked SKU's verification, each with its evidence."""
    from app.domain.vocabulary import GapStatus, StatementKind

    lines = []
    if not item.releases_observed:
        lines.append(f"{item.runtime}: its releases are not observed (unknown); what sources state is shown")
    for stated in item.statements:
        if stated.kind is StatementKind.IMAGE:
            target = stated.vendor or "every vendor"
            build = f" ({stated.variant})" if stated.variant else ""
            lines.append(
                f"{item.runtime}: image for {target}{build}: {stated.value} "
                f"({stated.source} {_evidence(stated.evidence_url, stated.commit)})"
            )
    checked = item.verification
    if checked is not None:
        verified = GapStatus(checked.status).supported and checked.at is not None
        said = f"verified {checked.at:%Y-%m-%d}" if verified and checked.at else "not verified"
        evidence = _evidence(checked.evidence_url, checked.commit)
        lines.append(
            f"{item.runtime} on {checked.sku}: {said} ({checked.status}; {checked.source}"
            f"{' ' + evidence if evidence else ''})"
        )
    return lines


def format_table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in [COLUMNS, *rows]) for i in range(len(COLUMNS))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in [COLUMNS, *rows]
    ]
    return "\n".join(line.rstrip() for line in lines)


def register(cli: typer.Typer) -> None:
    @cli.command("which")
    def which(
        repo_id: str = typer.Argument(..., help="The model's repo id, e.g. deepseek-ai/DeepSeek-V4-Flash."),
        runtime: str = typer.Option(None, "--runtime", help="One runtime."),
        vendor: str = typer.Option(
            None, "--vendor", help="Runtimes counting for this vendor (nvidia, huawei …)."
        ),
        sku: str = typer.Option(None, "--sku", help="Runtimes targeting this hardware SKU."),
        show_all: bool = typer.Option(
            False, "--all", help="Also list runtimes no release carries it in yet."
        ),
    ) -> None:
        """Which runtime versions support REPO_ID: first release, first final release, first release branch,
        and what sources state (minimum version, images); with --sku (any case), that SKU's verification."""
        from app.db.session import open_database, session_scope
        from app.domain.vocabulary import Vendor
        from app.services.answers.requirements import RequirementFilters, model_requirements
        from app.services.runtimes.catalog_views import known_sku, runtime_names, sku_names

        if runtime is not None and runtime not in runtime_names():
            raise typer.BadParameter(f"unknown runtime {runtime!r}; known: {', '.join(runtime_names())}")
        if vendor is not None and vendor not in set(Vendor):
            raise typer.BadParameter(f"unknown vendor {vendor!r}; known: {', '.join(Vendor)}")
        if sku is not None:
            spelled = known_sku(sku)
            if spelled is None:
                raise typer.BadParameter(f"unknown sku {sku!r}; known: {', '.join(sku_names())}")
            sku = spelled
        filters = RequirementFilters(runtime=runtime, vendor=vendor, sku=sku)
        with open_database(get_settings().database_url) as factory, session_scope(factory) as session:
            items = model_requirements(session, repo_id, filters=filters)
        if items is None:
            typer.echo(f"error: unknown model {repo_id!r}", err=True)
            raise typer.Exit(1)
        shown = [i for i in items if show_all or i.first_release or i.first_branch or i.statements]
        if shown:
            typer.echo(format_table([requirement_cells(i) for i in shown]))
            for line in (line for i in shown for line in requirement_details(i)):
                typer.echo(line)
        hidden = len(items) - len(shown)
        if hidden:
            typer.echo(
                f"{hidden} more runtime(s) observed with no release or branch carrying it yet (--all lists them)"
            )
        if not items:
            typer.echo(
                "nothing known for this model here: no observed runtime cell and no statement of a source "
                "(a derivative, or nothing scanned yet)"
            )
