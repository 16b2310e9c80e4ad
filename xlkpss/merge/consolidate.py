"""Stage 4: validated submissions (and consolidated workbooks) → one ``Consolidated``.

``merge_results`` is the library call: it takes validation results (``FileResult``)
and, for a regional merge, consolidated ORP workbooks read back with
``read_consolidated`` (for a national merge, consolidated regional workbooks), and
returns every sheet of the consolidated workbook as data.  ``merge_paths`` does the
whole job from paths (partition, validate, infer the territory and year, merge).

Levels: ``orp`` (submissions of obce and providers → one ORP), ``kraj`` (ORP workbooks,
and submissions, → one kraj) and ``stat`` (regional workbooks → the Czech Republic;
submissions are refused there, they belong to an ORP merge).  A consolidated workbook
is accepted only one level up: ORP → kraj → stát.

Rules (documented in the README):

* **Submitter identity** is (file kind, typ_predkladatele, kód obce or IČO, rok); for a
  consolidated workbook (its level, its territory code, rok).  Of several files with the
  same identity the newest wins (``datum_vyplneni``, then file time, then file name);
  the older ones get status ``superseded`` and their rows are *excluded* with the
  reason ``nahrazeno novějším souborem``.  Rejected files never supersede anything.
* **Nothing lost**: for every input file ``rows_read = rows_merged + rows_excluded``
  (rows of the Služby / Plán / Projekty sheets).  A row is merged when it appears in
  Služby, Aktivity or Projekty; every excluded row (an error, a rejected, superseded or
  out-of-territory file, a duplicate report of a service) has a line in Chyby.
* **One service is counted once**: the same registered service (identifikátor) reported
  by several submitters is kept from the preferred report — the provider's (it registers
  the service and knows its capacity and costs), then the ORP's, then the obec's; among
  equals the newest — and the other reports are excluded as duplicates.  Where their
  values (druh, forma, kapacita, typ kapacity, náklady, IČO) differ, Konflikty shows
  them side by side.  Unregistered services (no identifikátor) cannot be matched and are
  all kept.
* **Completeness** (as DHIS2's reporting rate): expected submitters are all obce of the
  ORP (ORP merge), all ORP of the kraj (regional merge) or all 14 kraje (national
  merge); an expected submitter counts as delivered when it has at least one accepted
  file (status valid or warnings).  A file of type ``orp`` counts for the seat obec.
  Providers are listed but not expected.  One level down is reported too: a regional
  merge gives the share of the kraj's obce with an accepted file (``completeness_obce``),
  a national merge the share of all ORP with an accepted ORP workbook inside the merged
  regional workbooks (``completeness_orp``) and of all obce (``completeness_obce``, from
  the regional workbooks' counts).
* **Provenance**: every row keeps the submission file, sheet, row and SHA-256 it was
  read from; ``via`` names the consolidated workbooks it came through, innermost first
  (``souhrn_orp_4203.xlsx → souhrn_kraj_CZ042.xlsx``).
"""

from __future__ import annotations

import datetime as dt
import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xlkpss import __version__
from xlkpss.codelists import STATE, Territory, codelist, municipalities, normalize_key, orps, regions
from xlkpss.collate import czech_key
from xlkpss.i18n import format_number, plural_cs
from xlkpss.merge.clean import clean_value
from xlkpss.merge.clean import frame_records as _records  # local names kept until the split of this module
from xlkpss.merge.clean import sheet_frame as _frame
from xlkpss.merge.errorgroups import error_sort_key
from xlkpss.merge.guards import (
    left_out_note,
    mixed_inputs_message,
    nothing_left_message,
    submission_note,
    wrong_territory_message,
)
from xlkpss.merge.model import (
    KIND_LABELS,
    LEVEL_WORDS,
    SHEET_COLUMNS,
    STATE_COLUMN,
    SUBMITTER_TYPE_LABELS,
    Consolidated,
    column_label,
)
from xlkpss.merge.resubmit import ROWS, diff_rows
from xlkpss.merge.status import ACCEPTED, file_status
from xlkpss.perf import gc_paused
from xlkpss.spec import get_template, load_spec

__all__ = [
    "LEVELS",
    "MERGE_CODES",
    "MERGE_INPUT_TABLES",
    "MergeError",
    "MergeUsageError",
    "Source",
    "core_service_codes",
    "infer_territory",
    "infer_year",
    "merge_paths",
    "merge_results",
]

#: the sheets of a consolidated workbook that a merge of the next level reads (the
#: derived sheets it computes anew)
MERGE_INPUT_TABLES = ("submissions", "services", "activities", "projects", "errors", "conflicts")
LEVELS = ("orp", "kraj", "stat")
#: the merge level a consolidated workbook of each level goes into
SUMMARY_INTO = {"orp": "kraj", "kraj": "stat"}
#: submitter type (and kind key) of a consolidated workbook of each level
SUMMARY_TYPE = {"orp": "souhrn", "kraj": "souhrn_kraje", "stat": "souhrn_statu"}
#: separator of the workbooks in ``via`` (innermost first)
VIA_SEPARATOR = " → "
#: lower = preferred when the same service is reported by several submitters
SUBMITTER_RANK = {"poskytovatel": 0, "orp": 1, "obec": 2, "souhrn": 3}
DEFAULT_THRESHOLD = 30.0

#: codes of the lines the merge adds to Chyby (validation issues keep their own codes)
MERGE_CODES: dict[str, str] = {
    "superseded": "Nahrazeno novějším souborem",
    "file-rejected": "Soubor odmítnut",
    "outside-merge-territory": "Mimo slučované území",
    "year-mismatch": "Jiný rok",
    "duplicate-service": "Služba hlášena vícekrát",
    "duplicate-row": "Řádek už sloučen z jiného souhrnu",
    "summary-level": "Souhrn nelze sloučit na této úrovni",
    "submission-level": "Šablona patří do souhrnu ORP",
}

#: reason in Chyby of an error that keeps the file's rows (e.g. a wrong e-mail on Identifikace)
FILE_ERROR_KEPT = "chyba v souboru, řádky sloučeny"



class MergeError(Exception):
    """The merge cannot continue (the message is Czech and says what to do)."""


class MergeUsageError(MergeError):
    """The inputs and options do not say which merge is meant (the CLI exits with 2)."""


# ---------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------


def _num(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    return None


def _fmt(value: Any) -> str:
    """A value for a side-by-side comparison cell (Czech numbers)."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "ano" if value else "ne"
    if isinstance(value, (int, float)):
        return format_number(value, 0 if float(value).is_integer() else 2).replace("\u00a0", " ")
    if isinstance(value, dt.date):
        return f"{value.day}. {value.month}. {value.year}"
    return str(value)


def _date_ordinal(value: Any) -> int:
    if isinstance(value, dt.datetime):
        return value.toordinal()
    if isinstance(value, dt.date):
        return value.toordinal()
    return 0


def _display(fieldspec, value: Any) -> Any:
    """A typed field value as the workbook shows it (code → Czech dropdown text)."""
    value = clean_value(value)
    if value is None:
        return None
    if fieldspec.type == "code":
        if fieldspec.codelist == "obce":
            m = municipalities().get(str(value))
            return m.name if m else str(value)
        cl = codelist(fieldspec.codelist)
        if value in cl:
            return cl.get(value).display
        return str(value)
    return value


def _code(listname: str, value: Any) -> str | None:
    """The code a displayed value (or a code) stands for, or None."""
    if value is None:
        return None
    item = codelist(listname).resolve(value)
    return item.code if item is not None else None


def core_service_codes(values: Iterable[str] | None = None) -> list[str]:
    """Service types whose absence is highlighted: MPSV codes, § numbers or names
    (``4``, ``§40``, ``pečovatelská služba``); default: spec.toml ``[gaps] core_services``."""
    raw = list(values) if values is not None else list(load_spec().gaps.get("core_services", []))
    druhy = codelist("druhy_sluzeb")
    out: list[str] = []
    bad: list[str] = []
    for v in raw:
        text = str(v).strip()
        if not text:
            continue
        item = druhy.resolve(text)
        if item is None:
            bad.append(text)
        elif item.code not in out:
            out.append(item.code)
    if bad:
        raise MergeError(
            "neznámý druh služby v seznamu základních služeb: "
            + ", ".join(bad)
            + " (uveďte kód MPSV, paragraf nebo název, např. 4, §40 nebo Pečovatelská služba)"
        )
    return out


def _territory_row(
    kod_obce: str | None = None, kod_orp: str | None = None, kod_kraje: str | None = None
) -> dict[str, Any]:
    """The six territory columns from the narrowest code known."""
    out: dict[str, Any] = dict.fromkeys(("kod_obce", "nazev_obce", "kod_orp", "nazev_orp", "kod_kraje", "nazev_kraje"))
    m = municipalities().get(str(kod_obce)) if kod_obce else None
    if m is not None:
        out.update(
            kod_obce=m.code,
            nazev_obce=m.name,
            kod_orp=m.orp,
            nazev_orp=m.orp_name,
            kod_kraje=m.kraj,
            nazev_kraje=m.kraj_name,
        )
        return out
    o = orps().get(str(kod_orp)) if kod_orp else None
    if o is not None:
        out.update(
            kod_orp=o["kod_orp"], nazev_orp=o["nazev_orp"], kod_kraje=o["kod_kraje"], nazev_kraje=o["nazev_kraje"]
        )
        return out
    k = regions().get(str(kod_kraje)) if kod_kraje else None
    if k is not None:
        out.update(kod_kraje=k["kod_kraje"], nazev_kraje=k["nazev_kraje"])
    return out


# ---------------------------------------------------------------------------
# Sources: one per input file
# ---------------------------------------------------------------------------


@dataclass
class Source:
    """One input file — a submission or a consolidated workbook — and what became of it."""

    path: Path
    name: str
    sha256: str
    mtime: float
    kind: str  # "sluzby" | "plan" | "souhrn" | "" (not recognised)
    result: Any = None  # FileResult for a submission
    summary: Consolidated | None = None  # for a consolidated workbook
    ident: dict[str, Any] = field(default_factory=dict)
    status: str = ""
    note: str = ""
    unit: str | None = None  # code of the expected submitter this file counts for
    errors: int = 0
    warnings: int = 0
    rows_read: int = 0
    rows_merged: int = 0
    rows_excluded: int = 0
    superseded_by: Source | None = None
    #: left out by a workflow guard (an input of another level, an earlier output)
    left_out: bool = False

    # --- identification -------------------------------------------------------------
    @property
    def summary_level(self) -> str | None:
        """Level of a consolidated workbook (``orp``, ``kraj``, ``stat``); None for a submission."""
        return self.ident.get("summary_level") if self.kind == "souhrn" else None

    @property
    def submitter_type(self) -> str | None:
        if self.kind == "souhrn":
            return SUMMARY_TYPE.get(self.ident.get("summary_level") or "", "souhrn")
        return self.ident.get("typ_predkladatele")

    @property
    def kind_key(self) -> str:
        """Key of ``KIND_LABELS``: the file kind, for a consolidated workbook by its level."""
        if self.kind == "souhrn":
            return self.submitter_type or "souhrn"
        return self.kind

    @property
    def submitter_code(self) -> str | None:
        if self.kind == "souhrn":
            return str(self.ident.get("territory_code") or "") or None
        if self.submitter_type == "poskytovatel":
            return self.ident.get("ico")
        return self.ident.get("kod_obce") or self.ident.get("ico")

    @property
    def identity(self) -> tuple | None:
        code = self.submitter_code
        if not self.kind or not self.submitter_type or not code or not self.ident.get("rok"):
            return None
        return (self.kind, self.submitter_type, code, self.ident.get("rok"))

    @property
    def submitter_name(self) -> str:
        name = self.ident.get("nazev")
        if name:
            return str(name)
        if self.kind == "souhrn":
            return str(self.ident.get("territory_code") or self.path.stem)
        return self.path.stem

    @property
    def submitter(self) -> str:
        """``Město Jirkov (obec 563099)``, ``Charita Kadaň (poskytovatel, IČO 12345678)``."""
        typ = self.submitter_type
        code = self.submitter_code
        if typ == "poskytovatel":
            return (
                f"{self.submitter_name} (poskytovatel, IČO {code})" if code else f"{self.submitter_name} (poskytovatel)"
            )
        if self.kind == "souhrn":
            return f"{self.submitter_name} (souhrn)"
        if typ:
            word = SUBMITTER_TYPE_LABELS.get(typ, typ)
            return f"{self.submitter_name} ({word} {code})" if code else f"{self.submitter_name} ({word})"
        return self.submitter_name

    @property
    def date_filled(self) -> Any:
        return self.ident.get("datum_vyplneni")

    def newer_key(self) -> tuple:
        """Sort key: larger = newer (date filled, then file time, then name for determinism)."""
        return (_date_ordinal(self.date_filled), self.mtime, self.name)


def _display_names(paths: Sequence[Path]) -> dict[Path, str]:
    """Names shown in the workbook: relative to the common folder of all inputs."""
    if not paths:
        return {}
    resolved = [Path(p).resolve() for p in paths]
    try:
        root = Path(os.path.commonpath([str(p.parent) for p in resolved]))
    except ValueError:  # different drives (Windows)
        return {Path(p): Path(p).name for p in paths}
    return {Path(p): r.relative_to(root).as_posix() for p, r in zip(paths, resolved)}


# ---------------------------------------------------------------------------
# The merge
# ---------------------------------------------------------------------------


#: key of a merged row (never a column) naming the input file it came in with
_INPUT = "_input"


@dataclass
class _Lines:
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


def _issue_line(src: Source, issue: Any, reason: str, sheet: str | None, row: int | None) -> dict[str, Any]:
    """A Chyby line for one validation issue of a source file."""
    return _error_line(
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


def _error_line(
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


def _make_sources(results: Sequence[Any], summaries: Sequence[Consolidated]) -> list[Source]:
    paths = [Path(r.path) for r in results] + [
        Path(s.meta.get("source_path") or s.meta.get("file") or "souhrn.xlsx") for s in summaries
    ]
    names = _display_names(paths)
    out: list[Source] = []
    for r in results:
        p = Path(r.path)
        src = Source(
            path=p,
            name=names.get(p, p.name),
            sha256=r.sha256 or "",
            mtime=float(r.mtime or 0.0),
            kind=r.kind or "",
            result=r,
        )
        src.ident = {k: clean_value(v) for k, v in (r.ident or {}).items()}
        src.errors, src.warnings = len(r.errors), len(r.warnings)
        src.rows_read = int(r.rows)
        out.append(src)
    for c in summaries:
        p = Path(c.meta.get("source_path") or c.meta.get("file") or "souhrn.xlsx")
        src = Source(
            path=p,
            name=names.get(p, p.name),
            sha256=str(c.meta.get("sha256") or ""),
            mtime=float(c.meta.get("mtime") or 0.0),
            kind="souhrn",
            summary=c,
        )
        src.ident = _summary_ident(c)
        src.errors = len(c.table("errors"))
        src.warnings = int(
            sum(
                _num(v) or 0
                for v in (c.table("submissions").get("warnings", []) if len(c.table("submissions")) else [])
            )
        )
        src.rows_read = len(c.table("services")) + len(c.table("activities")) + len(c.table("projects"))
        out.append(src)
    out.sort(key=lambda s: (s.name, s.sha256))
    return out


def _summary_ident(c: Consolidated) -> dict[str, Any]:
    """What identifies a consolidated workbook as an input: its level, territory and year."""
    level = str(c.meta.get("level") or "")
    code = str(c.meta.get("territory_code") or "")
    name = str(c.meta.get("territory_name") or code)
    ident: dict[str, Any] = {
        "summary_level": level,
        "territory_code": code,
        "rok": clean_value(c.meta.get("year")),
        "datum_vyplneni": _parse_iso(c.meta.get("generated")),
    }
    if level == "kraj":
        k = regions().get(code)
        name = k["nazev_kraje"] if k else name
        ident.update(kod_kraje=code, nazev_kraje=name, nazev=name)
    elif level == "stat":
        ident.update(nazev=name or STATE.name)
    else:
        o = orps().get(code)
        ident.update(
            kod_orp=code,
            nazev_orp=o["nazev_orp"] if o else c.meta.get("territory_name"),
            kod_kraje=o["kod_kraje"] if o else None,
            nazev=f"ORP {o['nazev_orp']}" if o else name,
        )
    return ident


def _parse_iso(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except (TypeError, ValueError):
        return None


def _in_territory(
    level: str, territory: Territory, *, kod_obce: Any = None, kod_orp: Any = None, kod_kraje: Any = None
) -> bool | None:
    """Is the declared place inside the merge territory?  None when nothing is declared."""
    if kod_obce and str(kod_obce) in municipalities():
        return territory.contains(str(kod_obce))
    if kod_orp and str(kod_orp) in orps():
        o = orps()[str(kod_orp)]
        if level == "stat":
            return True
        return o["kod_orp"] == territory.code if level == "orp" else o["kod_kraje"] == territory.code
    if kod_kraje and level == "kraj":
        return str(kod_kraje) == territory.code
    if kod_kraje and level == "stat":
        return str(kod_kraje) in regions()
    return None


def _assign_status(sources: list[Source], level: str, territory: Territory, year: int, lines: _Lines) -> None:
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
            inside = _in_territory(
                level, territory, kod_orp=src.ident.get("kod_orp"), kod_kraje=src.ident.get("kod_kraje")
            )
            if not inside:
                note = f"{src.submitter_name} neleží v území {territory.describe()}"
                _refuse(src, lines, "outside", "outside-merge-territory", note)
                continue
            src.unit = src.submitter_code
            complete = _num(c.meta.get("completeness"))
            src.status = "valid" if src.errors == 0 and (complete is None or complete >= 100) else "warnings"
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
            src.note = "soubor nelze použít"
            errs = [i for i in r.issues if i.severity == "error"] if r is not None else []
            for i in errs:
                lines.errors.append(_issue_line(src, i, MERGE_CODES["file-rejected"], i.sheet, i.row))
            if not errs:
                lines.errors.append(
                    _error_line(
                        src, code="file-rejected", reason=MERGE_CODES["file-rejected"], message="Soubor nelze použít."
                    )
                )
            src.unit = _unit_of(src, level, territory)
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
            src.unit = _unit_of(src, level, territory)
            continue
        if src.submitter_type != "poskytovatel":
            inside = _in_territory(
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
        src.unit = _unit_of(src, level, territory)
        for i in r.file_errors:
            # a mistake that keeps the rows (a contact field): listed for the coordinator to chase
            lines.errors.append(_issue_line(src, i, FILE_ERROR_KEPT, i.sheet, i.row))
        none_there = _declares_no_services(src)
        src.status = file_status(
            errors=len(r.errors),
            rows_excluded=r.rows_excluded(),
            # "no rows" is no warning when the file says there is no service
            unexplained_warnings=sum(
                1 for i in r.warnings if not i.explained and not (none_there and i.code == "no-data")
            ),
        )
        if none_there and not r.rows:
            src.note = "na území nepůsobí žádná služba (potvrzeno na listu Identifikace)"
    _resolve_resubmissions(sources, lines)


#: Identifikace key of "Na území nepůsobí žádná služba" (ano / ne), read defensively:
#: a spec without it, or an older file, simply has no such value
NO_SERVICES_KEY = "bez_sluzeb"


def _declares_no_services(src: Source) -> bool:
    """The services file says, on Identifikace, that no service works in its territory."""
    if src.kind != "sluzby":
        return False
    value = src.ident.get(NO_SERVICES_KEY)
    if isinstance(value, bool):
        return value
    return normalize_key(value) in ("ano", "a", "yes", "true", "1") if value is not None else False


def _refuse(
    src: Source, lines: _Lines, status: str, code: str, note: str, *, message: str | None = None, **where: Any
) -> None:
    """``src`` is not merged: its status and note (Odevzdání), and a line in Chyby
    (``message``, default the note; ``where``: sheet, field_label, value)."""
    src.status, src.note = status, note
    lines.errors.append(_error_line(src, code=code, reason=MERGE_CODES[code], message=message or note, **where))


def _unit_of(src: Source, level: str, territory: Territory) -> str | None:
    """The expected submitter a file counts for (an obec of the ORP / an ORP of the kraj /
    a kraj of the country)."""
    if src.kind == "souhrn":
        return src.submitter_code
    typ = src.submitter_type
    if typ == "poskytovatel" or typ is None:
        return None
    obec = src.ident.get("kod_obce")
    m = municipalities().get(str(obec)) if obec else None
    if level == "orp":
        return m.code if m is not None and m.orp == territory.code else None
    orp = m.orp if m is not None else src.ident.get("kod_orp")
    o = orps().get(str(orp)) if orp else None
    return o["kod_orp"] if o is not None and o["kod_kraje"] == territory.code else None


def _resolve_resubmissions(sources: list[Source], lines: _Lines) -> None:
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
            when = _fmt(newest.date_filled) if newest.date_filled else "novější"
            if _date_ordinal(old.date_filled) == _date_ordinal(newest.date_filled):
                how = "uložen později" if old.mtime != newest.mtime else "podle názvu souboru"
                lines.warnings.append(
                    f"{newest.name} a {old.name} ({newest.submitter}) mají stejné Datum vyplnění "
                    f"({_fmt(newest.date_filled) if newest.date_filled else 'nevyplněno'}); platí {newest.name} ({how}). "
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
                f"{plural_cs(old.rows_read, ROWS)} z něj nebylo sloučeno. Nový soubor: {change}.",
            )
        note = "nahrazuje " + "; ".join(said)
        newest.note = f"{newest.note}; {note}" if newest.note else note


def _resubmission_diff(old: Source, new: Source, lines: _Lines) -> str:
    """Rows added / removed / changed from ``old`` to ``new``; changed cells into Opravy."""
    if old.result is None or new.result is None or old.kind != new.kind or not old.kind:
        return "změny nelze porovnat"
    t = get_template(new.kind)
    fields = {s.key: [f.key for f in s.fields] for s in t.table_sheets}
    recs = {
        side: {key: _records(r.frames.get(key)) for key in fields}
        for side, r in (("old", old.result), ("new", new.result))
    }
    d = diff_rows(recs["old"], recs["new"], fields, _same)
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
                "old_value": _fmt(_display(fs, a)),
                "new_value": _fmt(_display(fs, b)),
            }
        )
    return d.describe()


# --- rows of one submission ------------------------------------------------------------


def _issues_by_row(result, sheet_name: str) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = defaultdict(list)
    for i in result.issues:
        if i.severity == "error" and i.sheet == sheet_name and i.row is not None:
            out[int(i.row)].append(i)
    return out


def _submission_rows(src: Source, level: str, territory: Territory, lines: _Lines) -> None:
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
        _INPUT: src.name,
    }
    own_territory = _territory_row(
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
        for rec in _records(frame):
            row = int(rec["_row"])
            prov = {**base, "src_sheet": sheet_name, "src_row": row, "src_cell": f"A{row}"}
            if rec.get("_excluded"):
                excluded += 1
                found = issues.get(row) or []
                for i in found:
                    lines.errors.append(_issue_line(src, i, "řádek vyřazen (chyba)", sheet_name, row))
                if not found:
                    lines.errors.append(
                        _error_line(
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
            values = {f.key: _display(f, rec.get(f.key)) for f in sheet.fields}
            if sheet.key == "sluzby":
                obec = clean_value(rec.get("obec"))
                inside = _in_territory(level, territory, kod_obce=obec)
                if inside is False:
                    excluded += 1
                    outside += 1
                    lines.errors.append(
                        _error_line(
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
                terr = _territory_row(obec) if obec else own_territory
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


def _summary_rows(src: Source, lines: _Lines) -> None:
    """Rows of a consolidated workbook, provenance unchanged, the workbook added to ``via``."""
    c = src.summary
    assert c is not None
    n = 0
    for key, target in (("services", lines.services), ("activities", lines.activities), ("projects", lines.projects)):
        for rec in _records(c.table(key)):
            rec["via"] = _via(rec.get("via"), src.name)
            rec[_INPUT] = src.name
            target.append(rec)
            n += 1
    for rec in _records(c.table("errors")):
        rec["via"] = _via(rec.get("via"), src.name)
        lines.errors.append(rec)
    for rec in _records(c.table("conflicts")):
        lines.conflicts.append(rec)
    for rec in _records(c.table("submissions")):
        rec["via"] = src.name
        lines.nested_submissions.append(rec)
    src.rows_merged, src.rows_excluded = n, 0


def _excluded_rows_of_source(src: Source) -> None:
    src.rows_merged, src.rows_excluded = 0, src.rows_read


# --- rows carried twice (the same file in two ORP workbooks) ----------------------------------


def _drop_repeated_rows(
    rows: list[dict[str, Any]], sources_by_name: dict[str, Source], lines: _Lines, sheet_label: str
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
        _move_to_excluded(rec, sources_by_name)
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


# --- one service counted once ----------------------------------------------------------------

_CONFLICT_FIELDS = ("druh", "typ_kapacity", "kapacita", "naklady", "ico_poskytovatele")


def _report_key(rec: dict[str, Any]) -> tuple:
    return (rec.get("submitter_type"), rec.get("submitter_code") or rec.get("submitter"), rec.get("src_sha256"))


def _rank(rec: dict[str, Any]) -> tuple:
    typ_word = rec.get("submitter_type")
    typ = next((k for k, v in SUBMITTER_TYPE_LABELS.items() if v == typ_word or k == typ_word), "obec")
    return (
        SUBMITTER_RANK.get(typ, 9),
        -_date_ordinal(rec.get("date_filled")),
        str(rec.get("src_file") or ""),
        str(rec.get("src_sha256") or ""),
    )


def _where(rec: dict[str, Any]) -> str:
    via = f" (přes {rec['via']})" if rec.get("via") else ""
    return (
        f"{rec.get('src_file')}, {rec.get('src_sheet')}!{rec.get('src_cell') or ('A' + str(rec.get('src_row')))}{via}"
    )


def _deduplicate_services(lines: _Lines, sources_by_name: dict[str, Source]) -> None:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for rec in lines.services:
        ident = rec.get("identifikator")
        if ident:
            groups[str(ident)].append(rec)
    drop: set[int] = set()
    for ident, recs in groups.items():
        reports: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
        for rec in recs:
            reports[_report_key(rec)].append(rec)
        if len(reports) < 2:
            continue
        ordered = sorted(reports.values(), key=lambda rs: _rank(rs[0]))
        kept = ordered[0]
        others = ordered[1:]
        also: set[str] = set()
        for rec in recs:
            if rec.get("reported_by"):
                also.update(x.strip() for x in str(rec["reported_by"]).split(";") if x.strip())
        for rs in others:
            also.add(str(rs[0].get("submitter")))
            _compare_reports(ident, kept, rs, lines)
            for rec in rs:
                drop.add(id(rec))
                _move_to_excluded(rec, sources_by_name)
                line = {
                    "src_file": rec.get("src_file"),
                    "src_sheet": rec.get("src_sheet"),
                    "src_row": rec.get("src_row"),
                    "src_cell": rec.get("src_cell"),
                    "submitter": rec.get("submitter"),
                    "reason": MERGE_CODES["duplicate-service"],
                    "code": "duplicate-service",
                    "field": column_label("services", "identifikator"),
                    "value": ident,
                    "message": f"Služba {ident} ({rec.get('nazev_sluzby')}) je započtena podle hlášení {kept[0].get('submitter')} ({_where(kept[0])}).",
                    "src_sha256": rec.get("src_sha256"),
                    "via": rec.get("via"),
                }
                lines.errors.append(line)
        also.discard(str(kept[0].get("submitter")))
        for rec in kept:
            rec["reported_by"] = "; ".join(sorted(also, key=czech_key)) or None
    lines.services = [r for r in lines.services if id(r) not in drop]


def _move_to_excluded(rec: dict[str, Any], sources_by_name: dict[str, Source]) -> None:
    """Account a merged row as excluded for the input file it came in with."""
    owner = sources_by_name.get(rec.get(_INPUT) or "")
    if owner is not None:
        owner.rows_merged -= 1
        owner.rows_excluded += 1


def _compare_reports(ident: str, kept: list[dict[str, Any]], other: list[dict[str, Any]], lines: _Lines) -> None:
    """Konflikty: what differs between the counted report and another one."""
    base = {
        "identifikator": ident,
        "nazev_sluzby": kept[0].get("nazev_sluzby"),
        "kod_orp": kept[0].get("kod_orp"),
        "nazev_orp": kept[0].get("nazev_orp"),
        "kept_submitter": kept[0].get("submitter"),
        "other_submitter": other[0].get("submitter"),
    }
    out: list[dict[str, Any]] = []
    forms_k = sorted({str(r.get("forma")) for r in kept if r.get("forma")})
    forms_o = sorted({str(r.get("forma")) for r in other if r.get("forma")})
    if forms_k != forms_o:
        out.append(
            {
                **base,
                "field": column_label("services", "forma"),
                "kept_value": ", ".join(forms_k) or "—",
                "other_value": ", ".join(forms_o) or "—",
                "kept_src": _where(kept[0]),
                "other_src": _where(other[0]),
            }
        )
    pairs: list[tuple[dict[str, Any], dict[str, Any], str]] = []
    by_form_o = {r.get("forma"): r for r in other}
    for rk in kept:
        ro = by_form_o.get(rk.get("forma"))
        if ro is not None:
            pairs.append((rk, ro, f" ({rk.get('forma')})" if len(kept) > 1 or len(other) > 1 else ""))
    if not pairs and len(kept) == 1 and len(other) == 1:
        pairs.append((kept[0], other[0], ""))
    for rk, ro, suffix in pairs:
        for key in _CONFLICT_FIELDS:
            a, b = rk.get(key), ro.get(key)
            if _same(a, b):
                continue
            out.append(
                {
                    **base,
                    "field": column_label("services", key) + suffix,
                    "kept_value": _fmt(a),
                    "other_value": _fmt(b),
                    "kept_src": _where(rk),
                    "other_src": _where(ro),
                }
            )
    for rec in out:
        rec["values"] = f"{rec['kept_submitter']}: {rec['kept_value']} | {rec['other_submitter']}: {rec['other_value']}"
    lines.conflicts.extend(out)


def _same(a: Any, b: Any) -> bool:
    if a is None and b is None:
        return True
    na, nb = _num(a), _num(b)
    if na is not None and nb is not None:
        return abs(na - nb) < 0.005
    return normalize_key(a) == normalize_key(b) if a is not None and b is not None else False


# --- Odevzdání -----------------------------------------------------------------------------------


def _submission_line(src: Source, level: str, territory: Territory, expected_units: dict[str, str]) -> dict[str, Any]:
    unit = src.unit if src.unit in expected_units else None
    complete = _num(src.summary.meta.get("completeness")) if src.summary is not None else None
    return {
        "territory_code": unit or src.ident.get(_UNIT_COLUMN[level]),
        "territory_name": expected_units.get(unit or "") or _unit_name(src, level),
        "submitter_type": SUBMITTER_TYPE_LABELS.get(src.submitter_type or "", src.submitter_type),
        "submitter_code": src.submitter_code,
        "submitter_name": src.submitter_name,
        "kind": KIND_LABELS.get(src.kind_key, src.kind or KIND_LABELS[""]),
        "expected": "ano" if unit else "ne",
        "status": src.status,
        "file": src.name,
        "date_filled": src.date_filled,
        "rows_read": src.rows_read,
        "rows_merged": src.rows_merged,
        "rows_excluded": src.rows_excluded,
        "errors": src.errors,
        "warnings": src.warnings,
        "completeness": complete,
        "note": src.note or None,
        "sha256": src.sha256 or None,
    }


#: the ident field naming the unit a file belongs to, per merge level (obec / ORP / kraj)
_UNIT_COLUMN = {"orp": "kod_obce", "kraj": "kod_orp", "stat": "kod_kraje"}


def _unit_name(src: Source, level: str) -> str | None:
    code = str(src.ident.get(_UNIT_COLUMN[level]) or "")
    if level == "orp":
        m = municipalities().get(code)
        return m.name if m else None
    if level == "kraj":
        o = orps().get(code)
        return o["nazev_orp"] if o else None
    k = regions().get(code)
    return k["nazev_kraje"] if k else None


def _expected_units(level: str, territory: Territory) -> dict[str, str]:
    """code -> name of every expected submitter (obce of the ORP, ORP of the kraj, kraje
    of the country), sorted by name."""
    if level == "orp":
        units = {m.code: m.name for m in territory.municipalities}
    elif level == "kraj":
        units = {o["kod_orp"]: o["nazev_orp"] for o in orps().values() if o["kod_kraje"] == territory.code}
    else:
        units = {k["kod_kraje"]: k["nazev_kraje"] for k in regions().values()}
    return dict(sorted(units.items(), key=lambda kv: (czech_key(kv[1]), kv[0])))


_STATUS_ORDER = {"valid": 0, "warnings": 1, "errors": 2, "rejected": 3, "outside": 4, "superseded": 5, "missing": 6}
#: the kind (key of KIND_LABELS) every expected submitter is asked for, per merge level:
#: completeness counts it; a plan alone does not make an obec's services delivered
EXPECTED_KIND = {"orp": "sluzby", "kraj": "souhrn", "stat": "souhrn_kraje"}


def _counts_for_completeness(src: Source, level: str) -> bool:
    """Does ``src`` deliver what its expected submitter is asked for?  ORP merge: a
    services file; regional and national merges: any file (a consolidated workbook, or
    raw submissions of the ORP in a regional merge)."""
    return src.kind == "sluzby" if level == "orp" else True


def _submissions(
    sources: list[Source], level: str, territory: Territory
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    units = _expected_units(level, territory)
    by_unit: dict[str, list[Source]] = defaultdict(list)
    others: list[Source] = []
    for src in sources:
        if src.unit in units:
            by_unit[src.unit].append(src)
        else:
            others.append(src)
    rows: list[dict[str, Any]] = []
    delivered = 0
    expected_kind = EXPECTED_KIND[level]
    for code, name in units.items():
        mine = sorted(by_unit.get(code, []), key=lambda s: (_STATUS_ORDER.get(s.status, 9), s.kind, s.name))
        if any(s.status in ACCEPTED and _counts_for_completeness(s, level) for s in mine):
            delivered += 1
        for src in mine:
            rows.append(_submission_line(src, level, territory, units))
        if not any(_counts_for_completeness(s, level) for s in mine):
            # per kind: an obec that sent only its plan still lacks its services
            typ = {"orp": "obec", "kraj": SUMMARY_TYPE["orp"], "stat": SUMMARY_TYPE["kraj"]}[level]
            rows.append(
                {
                    "territory_code": code,
                    "territory_name": name,
                    "submitter_type": SUBMITTER_TYPE_LABELS[typ],
                    "submitter_code": code,
                    "submitter_name": f"ORP {name}" if level == "kraj" else name,
                    "kind": KIND_LABELS[expected_kind],
                    "expected": "ano",
                    "status": "missing",
                    "file": None,
                    "date_filled": None,
                    "rows_read": 0,
                    "rows_merged": 0,
                    "rows_excluded": 0,
                    "errors": 0,
                    "warnings": 0,
                    "completeness": None,
                    "note": None,
                    "sha256": None,
                }
            )
    for src in sorted(others, key=lambda s: (_STATUS_ORDER.get(s.status, 9), czech_key(s.submitter_name), czech_key(s.name))):
        rows.append(_submission_line(src, level, territory, units))
    stats = {
        "expected": len(units),
        "delivered": delivered,
        "completeness": round(100.0 * delivered / len(units), 1) if units else None,
    }
    return rows, stats


def _pct(done: int | None, total: int) -> float | None:
    return round(100.0 * done / total, 1) if total and done is not None else None


def _delivered_nested(nested: list[dict[str, Any]]) -> set[str]:
    """Codes of the expected units with an accepted file in the merged workbooks' Odevzdání."""
    return {
        str(rec["territory_code"])
        for rec in nested
        if rec.get("expected") == "ano" and rec.get("status") in ACCEPTED and rec.get("territory_code")
    }


def _lower_completeness(
    level: str, territory: Territory, sources: list[Source], nested: list[dict[str, Any]]
) -> dict[str, Any]:
    """Completeness one and two levels down (meta keys).

    Kraj: the kraj's obce with an accepted file (from the ORP workbooks and raw files).
    Stát: ORP with an accepted ORP workbook inside the merged regional workbooks, and obce
    with an accepted file by the regional workbooks' counts (None when a merged regional
    workbook has no count, i.e. was made by an older xlkpss).
    """
    if level == "kraj":
        munis = {m.code for m in territory.municipalities}
        done = _delivered_nested(nested)
        for src in sources:
            if src.kind != "souhrn" and src.status in ACCEPTED and src.submitter_type in ("obec", "orp"):
                code = str(src.ident.get("kod_obce") or "")
                if code:
                    done.add(code)
        n = len(done & munis)
        return {"completeness_obce": _pct(n, len(munis)), "expected_obce": len(munis), "delivered_obce": n}
    if level == "stat":
        orp_done = sorted(_delivered_nested(nested) & set(orps()))
        merged = [s.summary for s in sources if s.kind == "souhrn" and s.status in ACCEPTED and s.summary]
        counts = [_num(c.meta.get("delivered_obce")) for c in merged]
        obce = int(sum(counts)) if all(n is not None for n in counts) else None
        return {
            "completeness_orp": _pct(len(orp_done), len(orps())),
            "expected_orp": len(orps()),
            "delivered_orp": len(orp_done),
            "delivered_orp_codes": orp_done,
            "completeness_obce": _pct(obce, len(municipalities())),
            "expected_obce": len(municipalities()),
            "delivered_obce": obce,
        }
    return {}


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


@gc_paused
def merge_results(
    results: Sequence[Any],
    *,
    level: str,
    territory: Territory,
    year: int,
    previous: Consolidated | None = None,
    core_services: Iterable[str] | None = None,
    strict: bool = False,
    generated: dt.date | str | None = None,
    summaries: Sequence[Consolidated] = (),
    threshold: float = DEFAULT_THRESHOLD,
    registry: Any = None,
    deadline: dt.date | None = None,
    reference: Consolidated | None = None,
) -> Consolidated:
    """Merge validated submissions (and, for ``level="kraj"``, consolidated ORP workbooks;
    for ``level="stat"``, consolidated regional workbooks — submissions are refused there).

    ``territory`` is the ORP (level ``orp``), the kraj (level ``kraj``) or
    ``xlkpss.codelists.STATE`` (level ``stat``); ``previous`` a
    consolidated workbook of the previous year (read with ``read_consolidated``) for the
    year-over-year sheet; ``core_services`` the service types highlighted when missing
    (default: spec ``[gaps] core_services``); ``strict`` raises ``MergeError`` instead of
    excluding anything because of an error; ``generated`` is the date written into the
    workbook (default today — pass it for reproducible output); ``threshold`` is the
    year-over-year change in % that is flagged; ``registry`` (an
    ``xlkpss.registry.Registry``) and ``previous`` give the expected services,
    ``deadline`` the timeliness (``xlkpss.merge.expected``); ``reference`` a consolidated
    workbook whose services are peers of the queries (``xlkpss.merge.peers``).
    """
    from xlkpss.merge import expected, peers, tables

    if level not in LEVELS:
        raise MergeError(f"neznámá úroveň {level!r}; použijte orp, kraj nebo stat")
    if territory.level != level:
        raise MergeError(f"území {territory.describe()} není {LEVEL_WORDS.get(level, level)}")
    gen = _parse_iso(generated) if generated is not None else dt.date.today()
    if gen is None:
        raise MergeError(f"neplatné datum vytvoření {generated!r} (očekává se rrrr-mm-dd)")
    core = core_service_codes(core_services)

    lines = _Lines()
    sources = _make_sources(results, summaries)
    _assign_status(sources, level, territory, year, lines)
    for src in sources:
        if src.status in ACCEPTED:
            if src.kind == "souhrn":
                _summary_rows(src, lines)
            else:
                _submission_rows(src, level, territory, lines)
        else:
            _excluded_rows_of_source(src)
    _check_something_merged(sources, level, territory)
    by_name = {s.name: s for s in sources}
    if level in ("kraj", "stat"):
        lines.services = _drop_repeated_rows(lines.services, by_name, lines, "Služby")
        lines.activities = _drop_repeated_rows(lines.activities, by_name, lines, "Plán")
        lines.projects = _drop_repeated_rows(lines.projects, by_name, lines, "Projekty")
    _deduplicate_services(lines, by_name)
    if strict:
        _check_strict(sources, lines)

    services = sorted(lines.services, key=_service_order)
    # queries against peers count as warnings of their files (before the statuses are counted)
    queries = peers.raise_queries(services, sources, territory=territory, reference=reference, previous=previous)
    submissions, stats = _submissions(sources, level, territory)
    activities = tables.annotate_activities(lines.activities)
    projects = sorted(
        lines.projects,
        key=lambda r: (
            czech_key(r.get("nazev_obce") or r.get("nazev_orp") or ""),
            str(r.get("src_file")),
            r.get("src_row") or 0,
        ),
    )
    # what needs action first: excluded rows and files, warnings, then information
    errors = sorted(lines.errors, key=error_sort_key)
    conflicts = _unique(
        sorted(
            lines.conflicts,
            key=lambda r: (str(r.get("identifikator")), str(r.get("field")), str(r.get("other_submitter"))),
        )
    )

    meta: dict[str, Any] = {
        "kind": "souhrn",
        "level": level,
        "territory_code": territory.code,
        "territory_name": territory.name,
        "year": year,
        "generated": gen.isoformat(),
        "version": __version__,
        "completeness": stats["completeness"],
        "expected": stats["expected"],
        "delivered": stats["delivered"],
        "population": territory.population,
        "population_note": "počet obyvatel k 1. 1. 2019 (ČSÚ, neoficiální údaj v číselníku obcí)",
        "core_services": core,
        "threshold": float(threshold),
        "inputs": len(sources),
        "rows_read": sum(s.rows_read for s in sources),
        "rows_merged": sum(s.rows_merged for s in sources),
        "rows_excluded": sum(s.rows_excluded for s in sources),
        "resubmission_warnings": list(lines.warnings),
    }
    meta.update(_lower_completeness(level, territory, sources, lines.nested_submissions))
    if previous is not None:
        meta["previous_year"] = clean_value(previous.meta.get("year"))
        meta["previous_file"] = str(previous.meta.get("file") or "")

    service_columns = list(SHEET_COLUMNS["services"])
    if level == "stat":
        # the whole-country totals select on this column (as a kraj's on kod_kraje)
        service_columns.insert(service_columns.index("nazev_kraje") + 1, STATE_COLUMN)
        for rec in services:
            rec[STATE_COLUMN] = territory.code

    c = Consolidated(meta=meta)
    c.tables["submissions"] = _frame("submissions", submissions)
    c.tables["services"] = _frame("services", services, service_columns)
    c.tables["activities"] = _frame("activities", activities)
    c.tables["projects"] = _frame("projects", projects)
    c.tables["errors"] = _frame("errors", errors)
    c.tables["conflicts"] = _frame("conflicts", conflicts)
    c.tables["corrections"] = _frame(
        "corrections",
        sorted(lines.corrections, key=lambda r: (str(r["src_file"]), str(r["src_sheet"]), r["src_row"] or 0, str(r["field"]))),
    )
    tables.derive(c, territory=territory, level=level, core=core, previous=previous, threshold=threshold)
    expected.complete(
        c, sources, level=level, territory=territory, year=year, registry=registry, previous=previous,
        deadline=deadline, registry_file=(registry.meta.get("file") if registry is not None else None),
    )  # fmt: skip
    peers.add_sheet(c, queries, reference=reference)
    return c


def _check_something_merged(sources: list[Source], level: str, territory: Territory) -> None:
    """Nothing but inputs of another level, or not a single row inside the territory
    (a wrong --orp / --kraj): a workbook would be wrong, so the merge stops."""
    if sources and all(s.left_out for s in sources):
        raise MergeError(nothing_left_message((s.name, s.note) for s in sources))
    if any(s.rows_merged for s in sources):
        return
    outside = [s for s in sources if s.status == "outside"]
    if not outside:
        return
    homes: dict[str, str] = {}
    for s in outside:
        home = _home_of(s, level)
        if home is not None:
            homes.setdefault(home[0], home[1])
    text = f"{territory.describe()} ({territory.code})"
    raise MergeError(wrong_territory_message(level, text, [homes[k] for k in sorted(homes, key=lambda k: normalize_key(homes[k]))]))


def _home_of(src: Source, level: str) -> tuple[str, str] | None:
    """(code, ``ORP Chomutov (4203)``) of the ORP (kraj) a file belongs to: its submitter's
    obec or ORP, for a provider the ORP of its services' places."""
    obec = src.ident.get("kod_obce") if src.submitter_type != "poskytovatel" else None
    orp = None
    if obec and str(obec) in municipalities():
        orp = municipalities()[str(obec)].orp
    elif src.ident.get("kod_orp") and str(src.ident.get("kod_orp")) in orps():
        orp = str(src.ident.get("kod_orp"))
    elif src.result is not None:
        frame = (src.result.frames or {}).get("sluzby")
        codes = [str(v) for v in (frame["obec"].tolist() if frame is not None and "obec" in frame else []) if v]
        found = [municipalities()[c].orp for c in codes if c in municipalities()]
        orp = found[0] if found else None
    if orp is None:
        if level == "kraj" and src.ident.get("kod_kraje") in regions():
            k = regions()[src.ident["kod_kraje"]]
            return k["kod_kraje"], f"{k['nazev_kraje']} ({k['kod_kraje']})"
        return None
    o = orps()[orp]
    if level == "orp":
        return o["kod_orp"], f"ORP {o['nazev_orp']} ({o['kod_orp']})"
    return o["kod_kraje"], f"{o['nazev_kraje']} ({o['kod_kraje']})"


def _unique(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen = set()
    out = []
    for r in rows:
        key = tuple(sorted((k, str(v)) for k, v in r.items()))
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out


def _service_order(r: dict[str, Any]) -> tuple:
    position = codelist("druhy_sluzeb").position(r.get("druh")) if r.get("druh") else None
    return (
        czech_key(r.get("nazev_orp") or ""),
        czech_key(r.get("nazev_obce") or ""),
        999 if position is None else position,
        str(r.get("identifikator") or ""),
        czech_key(r.get("nazev_sluzby") or ""),
        str(r.get("forma") or ""),
        str(r.get("src_file") or ""),
        r.get("src_row") or 0,
    )


def _check_strict(sources: list[Source], lines: _Lines) -> None:
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
            f"režim --strict: {plural_cs(len(problems), ('chyba', 'chyby', 'chyb'))}, souhrn nebyl vytvořen. Opravte soubory nebo spusťte bez --strict "
            f"(chybné řádky se pak vyřadí a vypíší na list Chyby).\n  {shown}{more}"
        )


# ---------------------------------------------------------------------------
# From paths
# ---------------------------------------------------------------------------


def merge_paths(
    paths: Iterable[str | os.PathLike],
    *,
    level: str | None = None,
    territory: Territory | None = None,
    year: int | None = None,
    previous: str | os.PathLike | None = None,
    core_services: Iterable[str] | None = None,
    strict: bool = False,
    generated: dt.date | str | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    exclude: Iterable[str | os.PathLike] = (),
    progress: Callable[[int, int], None] | None = None,
    engine: str = "calamine",
    registry: str | os.PathLike | None = None,
    deadline: dt.date | None = None,
    reference: str | os.PathLike | None = None,
) -> Consolidated:
    """The whole merge from files and folders: consolidated workbooks are recognised
    (cheaply, by their ``_xlkpss`` sheet) before anything is validated; the level, the
    territory and the year are inferred from the files when not given and unique (ORP
    workbooks → kraj, regional workbooks → stat, submissions only → orp)."""
    from xlkpss.merge.workbook import ConsolidatedReadError, is_consolidated, read_consolidated
    from xlkpss.validate.engine import collect_paths, validate_paths

    skip = {Path(p).resolve() for p in exclude}
    files = [p for p in collect_paths(paths) if p.resolve() not in skip]
    if not files:
        raise MergeError("nenalezen žádný soubor .xlsx, .xlsm, .xls ani .ods ke sloučení")
    summary_paths = [p for p in files if is_consolidated(p)]
    raw = [p for p in files if p not in summary_paths]
    summaries: list[Consolidated] = []
    for p in summary_paths:
        try:
            summaries.append(read_consolidated(p, tables=MERGE_INPUT_TABLES))
        except ConsolidatedReadError as exc:
            raise MergeError(f"{p}: {exc}") from None
    if level is None:
        if territory is not None and territory.level in LEVELS:
            level = territory.level
        elif summaries and raw:
            # never guess: an old workbook in the folder must not turn an ORP merge regional
            raise MergeUsageError(mixed_inputs_message(raw, summary_paths))
        else:
            level = _level_of_inputs(summaries, summary_paths)
    if level not in LEVELS:
        raise MergeError(f"neznámá úroveň {level!r}; použijte orp, kraj nebo stat")
    # inputs of another level are not an abort: merge_results leaves each out with a line
    results = validate_paths(raw, expected_year=year, engine=engine, progress=progress) if raw else []
    if territory is None:
        territory = infer_territory(level, results, summaries)
    elif territory.level != level:
        raise MergeError(f"území {territory.describe()} neodpovídá úrovni {level} (použijte --{level} KÓD)")
    if year is None:
        year = infer_year(results, summaries)
    prev = None
    if previous is not None:
        if not is_consolidated(previous):
            raise MergeError(f"--previous: {previous} není souhrnný sešit xlkpss (vytvořený příkazem xlkpss merge)")
        try:
            prev = read_consolidated(previous, tables=("services", "submitter_completeness"))
        except ConsolidatedReadError as exc:
            raise MergeError(f"--previous: {exc}") from None
    ref = None
    if reference is not None:
        from xlkpss.merge.peers import ReferenceError, read_reference

        try:
            ref = read_reference(reference)
        except ReferenceError as exc:
            raise MergeError(str(exc)) from None
    reg = None
    if registry is not None:
        from xlkpss.registry import RegistryError, read_registry

        try:
            reg = read_registry(registry)
        except RegistryError as exc:
            raise MergeError(f"--registry: {exc}") from None
    return merge_results(
        results,
        level=level,
        territory=territory,
        year=year,
        previous=prev,
        core_services=core_services,
        strict=strict,
        generated=generated,
        summaries=summaries,
        threshold=threshold,
        registry=reg,
        deadline=deadline,
        reference=ref,
    )


def _file_list(paths: Sequence[Path], shown: int = 5) -> str:
    """``a.xlsx, b.xlsx`` or ``a.xlsx, … e.xlsx a dalších 5 souborů``"""
    names = ", ".join(p.name for p in paths[:shown])
    more = len(paths) - shown
    if more <= 0:
        return names
    return f"{names} a {'další' if more < 5 else 'dalších'} {plural_cs(more, ('soubor', 'soubory', 'souborů'))}"


def _level_of_inputs(summaries: Sequence[Consolidated], paths: Sequence[Path]) -> str:
    """The merge level the consolidated workbooks among the inputs call for: ORP workbooks
    → kraj, regional workbooks → stat; no workbook → orp."""
    levels = {str(c.meta.get("level") or "") for c in summaries}
    into = {SUMMARY_INTO[lv] for lv in levels if lv in SUMMARY_INTO}
    if len(into) > 1:
        raise MergeError(
            "mezi vstupy jsou souhrny ORP i souhrny krajů; zvolte úroveň: --level kraj (souhrny ORP do souhrnu kraje) "
            "nebo --level stat (souhrny krajů do souhrnu za Českou republiku)"
        )
    if into:
        return into.pop()
    if summaries:
        national = [p for c, p in zip(summaries, paths) if str(c.meta.get("level") or "") == "stat"]
        if national and len(national) == len(summaries):
            raise MergeError(
                f"{_file_list(national)}: souhrn za Českou republiku je nejvyšší úroveň, dále ho slučovat nelze"
            )
        return "kraj"
    return "orp"


def infer_territory(level: str, results: Sequence[Any], summaries: Sequence[Consolidated]) -> Territory:
    """The ORP / kraj of the files when it is unique (obce and ORP files first, then
    providers); for a national merge the Czech Republic."""
    from xlkpss.codelists import territory as make_territory

    if level == "stat":
        return STATE
    primary: set[str] = set()
    fallback: set[str] = set()
    for r in results:
        if r.rejected or not r.ident:
            continue
        ident = r.ident
        orp = clean_value(ident.get("kod_orp"))
        obec = clean_value(ident.get("kod_obce"))
        if obec and str(obec) in municipalities():
            orp = municipalities()[str(obec)].orp
        if not orp or str(orp) not in orps():
            continue
        code = str(orp) if level == "orp" else orps()[str(orp)]["kod_kraje"]
        (primary if ident.get("typ_predkladatele") in ("obec", "orp") else fallback).add(code)
    for c in summaries:
        code = str(c.meta.get("territory_code") or "")
        if code in orps():
            primary.add(code if level == "orp" else orps()[code]["kod_kraje"])
    found = primary or fallback
    what = "ORP" if level == "orp" else "kraj"
    option = f"--{level}"
    if not found:
        raise MergeError(f"z dodaných souborů nelze určit {what}; zadejte ho volbou {option} KÓD")
    if len(found) > 1:
        names = ", ".join(
            sorted(
                f"{orps()[c]['nazev_orp']} ({c})" if level == "orp" else f"{regions()[c]['nazev_kraje']} ({c})"
                for c in found
            )
        )
        raise MergeError(f"soubory jsou z více území ({names}); zadejte slučované území volbou {option} KÓD")
    code = found.pop()
    return make_territory(orp=code) if level == "orp" else make_territory(kraj=code)


def infer_year(results: Sequence[Any], summaries: Sequence[Consolidated]) -> int:
    """The year of the usable files when it is unique; ``MergeError`` otherwise."""
    years: set[int] = set()
    for r in results:
        if not r.rejected and r.ident and clean_value(r.ident.get("rok")):
            years.add(int(clean_value(r.ident.get("rok"))))
    for c in summaries:
        y = clean_value(c.meta.get("year"))
        if y:
            years.add(int(y))
    if not years:
        raise MergeError("z dodaných souborů nelze určit rok; zadejte ho volbou --year RRRR")
    if len(years) > 1:
        raise MergeError(
            f"soubory jsou za více let ({', '.join(map(str, sorted(years)))}); zadejte slučovaný rok volbou --year RRRR"
        )
    return years.pop()
