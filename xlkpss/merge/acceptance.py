"""The status of each input file — accepted, rejected, outside the territory, superseded by
a resubmission (what changed goes to Opravy) — and the checks that stop a merge (nothing
inside the territory, ``--strict``).  The status words: ``status``; the diff of two files:
``resubmit``; the sentences about workflow mistakes: ``guards``."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from xlkpss.codelists import Territory, normalize_key
from xlkpss.i18n import ERRORS, plural_cs, plural_form
from xlkpss.merge.cells import date_ordinal, display, fmt, num, same_value
from xlkpss.merge.clean import clean_value, frame_records
from xlkpss.merge.guards import (
    left_out_note,
    network_input_note,
    nothing_left_message,
    submission_note,
    wrong_territory_message,
    wrong_year_message,
)
from xlkpss.merge.lines import Lines, error_line, issue_line
from xlkpss.merge.network import KIND as NETWORK_KIND
from xlkpss.merge.place import home_of, in_territory, unit_of
from xlkpss.merge.resubmit import ROWS, diff_rows
from xlkpss.merge.rules import FILE_ERROR_KEPT, MERGE_CODES, ROW_ERROR_KEPT, SUMMARY_INTO, MergeError
from xlkpss.merge.source import Source, declares_no_services
from xlkpss.merge.status import ACCEPTED, NONE_DECLARED_NOTE, file_status, rejected_note
from xlkpss.spec import get_template

__all__ = ["assign_status", "check_something_merged", "check_strict"]


def assign_status(sources: list[Source], level: str, territory: Territory, year: int, lines: Lines) -> None:
    """rejected / outside / superseded / valid / warnings, and the expected unit of each file."""
    for src in sources:
        r = src.result
        if src.kind == "souhrn":
            c = src.summary
            assert c is not None
            if SUMMARY_INTO.get(src.summary_level or "") != level:
                same = src.summary_level == level and src.submitter_code == territory.code
                _refuse(
                    src, lines, "rejected", "summary-level", left_out_note(src.summary_level or "", level, same_territory=same)
                )
                src.left_out = True
                continue
            if clean_value(c.meta.get("year")) != year:
                _refuse(
                    src, lines, "rejected", "year-mismatch", f"souhrn je za rok {c.meta.get('year')}, slučuje se rok {year}"
                )
                continue
            inside = in_territory(
                level, territory, kod_orp=src.ident.get("kod_orp"), kod_kraje=src.ident.get("kod_kraje")
            )
            if not inside:
                note = f"{src.submitter_name} neleží v území {territory.describe()}"
                _refuse(src, lines, "outside", "outside-merge-territory", note)
                continue
            src.unit = src.submitter_code
            complete = num(c.meta.get("completeness"))
            src.status = "valid" if src.errors == 0 and (complete is None or complete >= 100) else "warnings"
            continue
        if src.kind == NETWORK_KIND:  # the regional network is compared (--network), never merged
            _refuse(src, lines, "rejected", "network-input", network_input_note(), message=network_input_note())
            src.left_out = True
            continue
        if level != "orp":
            # regional and national merges take the consolidated workbooks of the level
            # below only: a filled template goes to its ORP
            note, message = submission_note(level)
            _refuse(src, lines, "rejected", "submission-level", note, message=message)
            src.left_out = True
            src.unit = None
            continue
        if r is None or not src.kind or r.rejected:
            src.status = "rejected"
            errs = [i for i in r.issues if i.severity == "error"] if r is not None else []
            src.note = rejected_note(i for i in errs if r is not None and r.effect_of(i) == "file")
            for i in errs:
                lines.errors.append(issue_line(src, i, MERGE_CODES["file-rejected"], i.sheet, i.row))
            if not errs:
                lines.errors.append(
                    error_line(
                        src, code="file-rejected", reason=MERGE_CODES["file-rejected"], message="Soubor nelze použít."
                    )
                )
            src.unit = unit_of(src, level, territory)
            continue
        rok = src.ident.get("rok")
        if rok != year:
            _refuse(
                src,
                lines,
                "rejected",
                "year-mismatch",
                f"údaje za rok {rok}, slučuje se rok {year}",
                message=f"Soubor je za rok {rok}, slučuje se rok {year}.",
                sheet=r.sheet_names.get("identifikace"),
                field_label=get_template(src.kind).sheet("identifikace").field("rok").label,
                value=rok,
            )
            src.unit = unit_of(src, level, territory)
            continue
        if src.submitter_type != "poskytovatel":
            inside = in_territory(
                level,
                territory,
                kod_obce=src.ident.get("kod_obce"),
                kod_orp=src.ident.get("kod_orp"),
                kod_kraje=src.ident.get("kod_kraje"),
            )
            if inside is False:
                _refuse(
                    src,
                    lines,
                    "outside",
                    "outside-merge-territory",
                    f"předkladatel neleží v území {territory.describe()}",
                    message=f"Předkladatel neleží v území {territory.describe()}; soubor nebyl sloučen.",
                )
                continue
        src.unit = unit_of(src, level, territory)
        ident_sheet = r.sheet_names.get("identifikace")
        for i in r.file_errors:
            # a mistake that keeps the rows (a contact field, a plan item without its parent):
            # listed for the coordinator to chase
            kept = ROW_ERROR_KEPT if i.row is not None and i.sheet != ident_sheet else FILE_ERROR_KEPT
            lines.errors.append(issue_line(src, i, kept, i.sheet, i.row))
        none_there = declares_no_services(src)
        src.status = file_status(
            errors=len(r.errors),
            rows_excluded=r.rows_excluded(),
            # "no rows" is no warning when the file says there is no service
            unexplained_warnings=sum(
                1 for i in r.warnings if not i.explained and not (none_there and i.code == "no-data")
            ),
        )
        if none_there and not r.rows:
            src.note = NONE_DECLARED_NOTE
    _resolve_resubmissions(sources, lines)


def _refuse(
    src: Source, lines: Lines, status: str, code: str, note: str, *, message: str | None = None, **where: Any
) -> None:
    """``src`` is not merged: its status and note (Odevzdání), and a line in Chyby
    (``message``, default the note; ``where``: sheet, field_label, value)."""
    src.status, src.note = status, note
    lines.errors.append(error_line(src, code=code, reason=MERGE_CODES[code], message=message or note, **where))


def _resolve_resubmissions(sources: list[Source], lines: Lines) -> None:
    """Same submitter, kind and year: the newest *Datum vyplnění* wins, on a tie the later
    file time (and the coordinator is warned, naming both files).  What changed between
    the superseded and the winning file is said in Odevzdání and Chyby, and every changed
    cell is listed in Opravy."""
    groups: dict[tuple, list[Source]] = defaultdict(list)
    for src in sources:
        if src.status in ACCEPTED and src.identity is not None:
            groups[src.identity].append(src)
    for group in groups.values():
        if len(group) < 2:
            continue
        group.sort(key=lambda s: s.newer_key(), reverse=True)
        newest = group[0]
        said: list[str] = []
        for old in group[1:]:
            old.superseded_by = newest
            _warn_other_submitter(old, newest, lines)
            when = fmt(newest.date_filled) if newest.date_filled else "novější"
            if date_ordinal(old.date_filled) == date_ordinal(newest.date_filled):
                how = "uložen později" if old.mtime != newest.mtime else "podle názvu souboru"
                lines.warnings.append(
                    f"{newest.name} a {old.name} ({newest.submitter}) mají stejné Datum vyplnění "
                    f"({fmt(newest.date_filled) if newest.date_filled else 'nevyplněno'}); platí {newest.name} ({how}). "
                    "Zkontrolujte, že je to opravdu novější oprava."
                )
            change = _resubmission_diff(old, newest, lines)
            said.append(f"{old.name}: {change}")
            _refuse(
                old,
                lines,
                "superseded",
                "superseded",
                f"nahrazeno souborem {newest.name} (vyplněno {when}); {change}",
                message=f"Soubor nahrazen novějším souborem {newest.name} (vyplněno {when}); "
                f"{plural_cs(old.rows_read, ROWS)} z něj "
                f"{plural_form(old.rows_read, ('nebyl sloučen', 'nebyly sloučeny', 'nebylo sloučeno'))}. Nový soubor: {change}.",
            )
        note = "nahrazuje " + "; ".join(said)
        newest.note = f"{newest.note}; {note}" if newest.note else note


def _warn_other_submitter(old: Source, new: Source, lines: Lines) -> None:
    """Two files of one kód obce, one of them naming another obec (``name-code-mismatch``):
    most likely a file taken over from another obec with its code — the older file is
    about to be replaced, so the coordinator is told before its rows are lost."""
    odd = [
        s for s in (new, old) if s.result is not None and any(i.code == "name-code-mismatch" for i in s.result.issues)
    ]
    if odd:
        names = ", ".join(f"{s.name} uvádí „{s.submitter_name}“" for s in odd)
        lines.warnings.append(
            f"{new.name} nahrazuje {old.name} (stejný kód obce {new.submitter_code}), ale {names}, což kódu neodpovídá: "
            "nejspíš jde o soubor jiné obce se špatným kódem obce. Ověřte kód obce; do opravy platí "
            f"{new.name} a {old.name} se nesloučí."
        )


def _resubmission_diff(old: Source, new: Source, lines: Lines) -> str:
    """Rows added / removed / changed from ``old`` to ``new``; changed cells into Opravy."""
    if old.result is None or new.result is None or old.kind != new.kind or not old.kind:
        return "změny nelze porovnat"
    t = get_template(new.kind)
    fields = {s.key: [f.key for f in s.fields] for s in t.table_sheets}
    recs = {
        side: {key: frame_records(r.frames.get(key)) for key in fields}
        for side, r in (("old", old.result), ("new", new.result))
    }
    d = diff_rows(recs["old"], recs["new"], fields, same_value)
    for sheet_key, key, fkey, a, b, row in d.cells:
        spec = t.sheet(sheet_key)
        fs = spec.field(fkey)
        lines.corrections.append(
            {
                "submitter": new.submitter,
                "src_file": new.name,
                "old_file": old.name,
                "src_sheet": new.result.sheet_names.get(sheet_key, spec.name),
                "src_row": row,
                "row_key": key,
                "field": fs.label,
                "old_value": fmt(display(fs, a)),
                "new_value": fmt(display(fs, b)),
            }
        )
    return d.describe()


def check_something_merged(sources: list[Source], level: str, territory: Territory, year: int) -> None:
    """Nothing but inputs of another level, not a single row inside the territory (a wrong
    --orp / --kraj), or every file with rows of another year (a wrong --year): a workbook
    would be wrong, so the merge stops."""
    if sources and all(s.left_out for s in sources):
        raise MergeError(nothing_left_message((s.name, s.note) for s in sources))
    if any(s.rows_merged for s in sources):
        return
    years = [_year_of(s) for s in sources if s.rows_read and not s.left_out]
    others = sorted({y for y in years if y is not None and y != year})
    if others and all(y is not None and y != year for y in years):
        raise MergeError(wrong_year_message(year, others))
    outside = [s for s in sources if s.status == "outside"]
    if not outside:
        return
    homes: dict[str, str] = {}
    for s in outside:
        home = home_of(s, level)
        if home is not None:
            homes.setdefault(home[0], home[1])
    text = f"{territory.describe()} ({territory.code})"
    raise MergeError(wrong_territory_message(level, text, [homes[k] for k in sorted(homes, key=lambda k: normalize_key(homes[k]))]))


def _year_of(src: Source) -> int | None:
    """The year a file's data are for (a template's Rok, a workbook's year)."""
    value = clean_value(src.summary.meta.get("year") if src.kind == "souhrn" and src.summary else src.ident.get("rok"))
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def check_strict(sources: list[Source], lines: Lines) -> None:
    problems: list[str] = []
    for e in lines.errors:
        if e.get("code") in ("superseded", "duplicate-service", "duplicate-row"):
            continue
        where = ", ".join(
            x for x in (str(e.get("src_file") or ""), e.get("src_sheet") or "", e.get("src_cell") or "") if x
        )
        problems.append(f"{where}: {e.get('message')}")
    if problems:
        shown = "\n  ".join(problems[:20])
        more = f"\n  … a dalších {len(problems) - 20}" if len(problems) > 20 else ""
        raise MergeError(
            f"režim --strict: {plural_cs(len(problems), ERRORS)}, souhrn nebyl vytvořen. Opravte soubory nebo spusťte bez --strict "
            f"(chybné řádky se pak vyřadí a vypíší na list Chyby).\n  {shown}{more}"
        )
