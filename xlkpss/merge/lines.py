"""What a merge collects (``Lines``): the rows of the record sheets, of Chyby, Konflikty and
Opravy; the Chyby line of an excluded file or row; a merged row moved to excluded."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from xlkpss.merge.source import Source

__all__ = ["INPUT", "Lines", "error_line", "issue_line", "move_to_excluded"]


#: key of a merged row (never a column) naming the input file it came in with
INPUT = "_input"


@dataclass
class Lines:
    """Rows of the record sheets and of Chyby, with per-source accounting."""

    services: list[dict[str, Any]] = field(default_factory=list)
    activities: list[dict[str, Any]] = field(default_factory=list)
    projects: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    nested_submissions: list[dict[str, Any]] = field(default_factory=list)
    #: changed cells of resubmissions (Opravy)
    corrections: list[dict[str, Any]] = field(default_factory=list)
    #: what the coordinator must be told (e.g. two resubmissions with the same date)
    warnings: list[str] = field(default_factory=list)


def issue_line(src: Source, issue: Any, reason: str, sheet: str | None, row: int | None) -> dict[str, Any]:
    """A Chyby line for one validation issue of a source file."""
    return error_line(
        src,
        code=issue.code,
        reason=reason,
        message=issue.body(),
        sheet=sheet,
        row=row,
        cell=issue.cell,
        field_label=issue.column,
        value=issue.value,
    )


def error_line(
    src: Source,
    *,
    code: str,
    reason: str,
    message: str,
    sheet: str | None = None,
    row: int | None = None,
    cell: str | None = None,
    field_label: str | None = None,
    value: Any = None,
) -> dict[str, Any]:
    return {
        "src_file": src.name,
        "src_sheet": sheet,
        "src_row": row,
        "src_cell": cell,
        "submitter": src.submitter,
        "reason": reason,
        "code": code,
        "field": field_label,
        "value": None if value in (None, "") else str(value),
        "message": message,
        "src_sha256": src.sha256,
        "via": None,
    }


def move_to_excluded(rec: dict[str, Any], sources_by_name: dict[str, Source]) -> None:
    """Account a merged row as excluded for the input file it came in with."""
    owner = sources_by_name.get(rec.get(INPUT) or "")
    if owner is not None:
        owner.rows_merged -= 1
        owner.rows_excluded += 1
