"""Rows: what of each accepted file is merged (services, plan items, projects, each with its
provenance) and what is excluded and why; a consolidated workbook's rows are carried over
with ``via``; a row that arrives twice is merged once."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from xlkpss.codelists import Territory
from xlkpss.merge.cells import display
from xlkpss.merge.clean import clean_value, frame_records
from xlkpss.merge.lines import INPUT, Lines, error_line, issue_line, move_to_excluded
from xlkpss.merge.model import SUBMITTER_TYPE_LABELS
from xlkpss.merge.place import in_territory, territory_row
from xlkpss.merge.rules import MERGE_CODES, VIA_SEPARATOR
from xlkpss.merge.source import Source
from xlkpss.spec import get_template

__all__ = ["drop_repeated_rows", "excluded_rows_of_source", "submission_rows", "summary_rows"]


def _issues_by_row(result, sheet_name: str) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = defaultdict(list)
    for i in result.issues:
        if i.severity == "error" and i.sheet == sheet_name and i.row is not None:
            out[int(i.row)].append(i)
    return out


def submission_rows(src: Source, level: str, territory: Territory, lines: Lines) -> None:
    """Services, plan items and projects of one accepted submission (or exclusions)."""
    r = src.result
    t = get_template(src.kind)
    merged = excluded = outside = 0
    base = {
        "submitter": src.submitter,
        "submitter_type": SUBMITTER_TYPE_LABELS.get(src.submitter_type or "", src.submitter_type),
        "submitter_code": src.submitter_code,
        "date_filled": src.date_filled,
        "src_file": src.name,
        "src_sha256": src.sha256,
        "via": None,
        INPUT: src.name,
    }
    own_territory = territory_row(
        src.ident.get("kod_obce") if src.submitter_type != "poskytovatel" else None,
        src.ident.get("kod_orp"),
        src.ident.get("kod_kraje"),
    )
    for sheet in t.table_sheets:
        frame = r.frames.get(sheet.key)
        if frame is None or not len(frame):
            continue
        sheet_name = r.sheet_names.get(sheet.key, sheet.name)
        issues = _issues_by_row(r, sheet_name)
        for rec in frame_records(frame):
            row = int(rec["_row"])
            prov = {**base, "src_sheet": sheet_name, "src_row": row, "src_cell": f"A{row}"}
            if rec.get("_excluded"):
                excluded += 1
                found = issues.get(row) or []
                for i in found:
                    lines.errors.append(issue_line(src, i, "řádek vyřazen (chyba)", sheet_name, row))
                if not found:
                    lines.errors.append(
                        error_line(
                            src,
                            code="row-excluded",
                            reason="řádek vyřazen (chyba)",
                            message="Řádek obsahuje chybu.",
                            sheet=sheet_name,
                            row=row,
                            cell=f"A{row}",
                        )
                    )
                continue
            values = {f.key: display(f, rec.get(f.key)) for f in sheet.fields}
            if sheet.key == "sluzby":
                obec = clean_value(rec.get("obec"))
                inside = in_territory(level, territory, kod_obce=obec)
                if inside is False:
                    excluded += 1
                    outside += 1
                    lines.errors.append(
                        error_line(
                            src,
                            code="outside-merge-territory",
                            reason=MERGE_CODES["outside-merge-territory"],
                            message=f"Obec poskytování {values.get('obec')} neleží v území {territory.describe()}; řádek nebyl sloučen.",
                            sheet=sheet_name,
                            row=row,
                            cell=f"A{row}",
                            field_label=sheet.field("obec").label,
                            value=values.get("obec"),
                        )
                    )
                    continue
                terr = territory_row(obec) if obec else own_territory
                values.pop("obec", None)
                lines.services.append({**terr, **values, **prov, "reported_by": None})
            elif sheet.key == "plan":
                lines.activities.append(
                    {
                        **own_territory,
                        **values,
                        **prov,
                        "nazev_planu": src.ident.get("nazev_planu"),
                        "obdobi": src.ident.get("obdobi"),
                    }
                )
            else:
                lines.projects.append({**own_territory, **values, **prov})
            merged += 1
    src.rows_merged, src.rows_excluded = merged, excluded
    if merged == 0 and outside and outside == excluded and src.submitter_type == "poskytovatel":
        src.status = "outside"
        src.note = f"žádná služba v území {territory.describe()}"


def _via(via: Any, name: str) -> str:
    """``via`` of a row taken from workbook ``name``: the workbooks it came through, innermost first."""
    return f"{via}{VIA_SEPARATOR}{name}" if via else name


def summary_rows(src: Source, lines: Lines) -> None:
    """Rows of a consolidated workbook, provenance unchanged, the workbook added to ``via``."""
    c = src.summary
    assert c is not None
    n = 0
    # every value of a Consolidated is clean (read_consolidated cleans what it reads, a merge
    # builds its frames with sheet_frame): its rows are not cleaned again
    for key, target in (("services", lines.services), ("activities", lines.activities), ("projects", lines.projects)):
        for rec in frame_records(c.table(key), clean=False):
            rec["via"] = _via(rec.get("via"), src.name)
            rec[INPUT] = src.name
            target.append(rec)
            n += 1
    for rec in frame_records(c.table("errors"), clean=False):
        rec["via"] = _via(rec.get("via"), src.name)
        lines.errors.append(rec)
    for rec in frame_records(c.table("conflicts"), clean=False):
        lines.conflicts.append(rec)
    for rec in frame_records(c.table("submissions"), clean=False):
        rec["via"] = src.name
        lines.nested_submissions.append(rec)
    src.rows_merged, src.rows_excluded = n, 0


def excluded_rows_of_source(src: Source) -> None:
    src.rows_merged, src.rows_excluded = 0, src.rows_read


def drop_repeated_rows(
    rows: list[dict[str, Any]], sources_by_name: dict[str, Source], lines: Lines, sheet_label: str
) -> list[dict[str, Any]]:
    """A regional (national) merge can receive the same submission row twice (one file
    merged into two ORP (regional) workbooks, or given both raw and inside an ORP
    workbook): keep the first, account the repeat as excluded for the input it came
    with, and say so in Chyby."""
    seen: dict[tuple, dict[str, Any]] = {}
    out = []
    for rec in rows:
        key = (rec.get("src_sha256"), rec.get("src_sheet"), rec.get("src_row"))
        if not rec.get("src_sha256") or key not in seen:
            seen[key] = rec
            out.append(rec)
            continue
        first = seen[key]
        move_to_excluded(rec, sources_by_name)
        where = first.get("via") or first.get("src_file")
        lines.errors.append(
            {
                "src_file": rec.get("src_file"),
                "src_sheet": rec.get("src_sheet"),
                "src_row": rec.get("src_row"),
                "src_cell": rec.get("src_cell"),
                "submitter": rec.get("submitter"),
                "reason": MERGE_CODES["duplicate-row"],
                "code": "duplicate-row",
                "field": None,
                "value": None,
                "message": f"Řádek souboru {rec.get('src_file')} ({sheet_label}) je už sloučen ({where}).",
                "src_sha256": rec.get("src_sha256"),
                "via": rec.get("via"),
            }
        )
    return out
