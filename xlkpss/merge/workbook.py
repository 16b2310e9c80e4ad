"""The consolidated workbook: write a ``Consolidated`` to .xlsx and read it back.

Writing (xlsxwriter): Czech sheet names, one Excel table per sheet (filters, frozen
header), Czech number formats that survive a Czech LibreOffice (spaces only inside
quotes: ``#,##0" Kč"``), print setup (A4 landscape, fit to width, header row repeated).
Totals are live formulas (SUMIFS/COUNTIFS over Služby and Aktivity) *with their computed
value cached*, so a program that never recalculates reads the right numbers and a
LibreOffice or Excel recalculation gives the same ones.  Text from submissions is always
written as text (``strings_to_formulas`` off and ``write_string``): a provider called
``=HYPERLINK(…)`` stays a name.  A hidden sheet ``_xlkpss`` (kind ``souhrn``) makes the
workbook recognisable, so it can be an input of a regional merge.  The bytes depend only
on the data and ``meta["generated"]`` (fixed document dates).  The file is written
atomically and never over an input.

Reading: ``read_consolidated`` (python-calamine through the safe reader, cached values)
returns the same ``Consolidated`` the merge produced.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import json
import math
import os
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xlkpss import __version__
from xlkpss.fsutil import OutputError, atomic_path, sha256_file
from xlkpss.merge.clean import clean_value, clean_values
from xlkpss.merge.errorgroups import ERROR_GROUPS, error_group
from xlkpss.merge.model import OPTIONAL_SHEETS, SHEET_COLUMNS, SHEETS, STATUS_LABELS, Consolidated, column_label
from xlkpss.merge.tables import TOTAL_LABEL, criteria_column
from xlkpss.merge.xlsxrows import Formula, RowsWorksheet
from xlkpss.perf import gc_paused
from xlkpss.read.recognise import col_letter
from xlkpss.spec import load_spec

__all__ = [
    "FORMAT_VERSION",
    "META_SHEET",
    "NUMBER_FORMATS",
    "TABLE_NAMES",
    "ConsolidatedReadError",
    "as_written",
    "is_consolidated",
    "read_consolidated",
    "write_consolidated",
]

META_SHEET = "_xlkpss"
META_KIND = "souhrn"
#: version of the consolidated workbook layout (``_xlkpss`` row ``format_version``)
FORMAT_VERSION = 1

#: Excel table name per sheet (ASCII: table names cannot contain spaces or most symbols)
TABLE_NAMES = {
    "overview": "TabPrehled",
    "submissions": "TabOdevzdani",
    "submitter_completeness": "TabUplnostPredkladatelu",
    "service_comparison": "TabPorovnaniSluzeb",
    "services": "TabSluzby",
    "capacities": "TabKapacity",
    "coverage": "TabCiloveSkupiny",
    "gaps": "TabChybejiciSluzby",
    "funding": "TabFinancovani",
    "plan_summary": "TabPlneniPlanu",
    "activities": "TabAktivity",
    "carryover": "TabPokracuje",
    "projects": "TabProjekty",
    "conflicts": "TabKonflikty",
    "corrections": "TabOpravy",
    "changes": "TabMezirocniZmeny",
    "queries": "TabNeobvykleHodnoty",
    "errors": "TabChyby",
}

#: number formats; every space sits inside quotes (a Czech LibreOffice reads an unquoted
#: space after a digit as a thousands scaler and shows 12 500 Kč as "13Kč")
NUMBER_FORMATS = {
    "int": "#,##0",
    "money": '#,##0" Kč"',
    "pct": '0.0" %"',
    "dec": "#,##0.0#",
    "per1000": "#,##0.00",
    "date": "d.m.yyyy",
    "year": "0",
    "dec1": "0.0",
    "int_blank0": "#,##0;-#,##0;",  # a zero shows as an empty cell
}

#: column widths (characters) that fit one A4 landscape page at no less than ~75 % of
#: the 11-point default (LibreOffice fits about 125 at 100 %); a wider sheet prints
#: several pages wide, its naming columns repeated on each
_PRINT_WIDTH = 165
#: columns repeated on every printed page of a sheet wider than one page
_PRINT_REPEAT = {
    "submissions": ("territory_code", "territory_name"),
    "services": ("nazev_sluzby", "nazev_sluzby"),
    "activities": ("cislo", "nazev"),
    "carryover": ("cislo", "nazev"),
    "projects": ("nazev_obce", "nazev_obce"),
    "capacities": ("territory_name", "territory_name"),
    "funding": ("territory_name", "druh"),
    "coverage": ("target_group", "target_group"),
    "errors": ("src_file", "src_file"),
    "queries": ("nazev_sluzby", "nazev_sluzby"),
}
#: columns for programs only (a hash, a metric key): hidden on screen and in print, the
#: values stay in the cells (filters, ``read_consolidated``)
_MACHINE_COLUMNS = {"sha256", "src_sha256", "metric"}
#: text columns wrapped (the row grows) instead of cut by the next column
_WRAP_COLUMNS = {
    "message", "note", "values", "reason", "label", "value", "popis", "komentar", "nazev", "file", "target_group",
}
#: the widest a wrapped text column gets (characters)
_WRAP_WIDTH = 40
#: headings of earlier versions of the workbook, still read
_OLD_LABELS = {("overview", "metric"): ("Klíč",)}
_OVERVIEW_TITLE_ROWS = 3  # title, subtitle, blank; the table header is on row 4
#: rows above the table header: Přehled has a title, Chyby a title and the group counts
_TITLE_ROWS = {"overview": _OVERVIEW_TITLE_ROWS, "errors": 2}
_FIXED_TIME = dt.time(0, 0, 0)
_MAX_TEXT = 32767
_FILLS = {
    "valid": "#C6EFCE",
    "warnings": "#FFEB9C",
    "errors": "#FCD5B4",
    "rejected": "#FFC7CE",
    "missing": "#D9D9D9",
    "superseded": "#EDEDED",
    "outside": "#E4DFEC",
    "core": "#FFC7CE",
    "flag": "#FFEB9C",
    # Chyby by group (errorgroups): excluded rows and files, warnings; information stays white
    "excluded": "#FCE4D6",
    "warning": "#FFF2CC",
}

_INT_COLS = {
    "services",
    "capacity",
    "population",
    "rows_read",
    "rows_merged",
    "rows_excluded",
    "errors",
    "warnings",
    "items",
    "src_row",
    "prev_capacity",
    "curr_capacity",
    "total",
    "n_bez_stavu",
    "reg_kapacita",
    "peers",
}
_MONEY_COLS = {"funding_total", "prev_costs", "curr_costs"}
_PCT_COLS = {"completeness", "share", "pct_done", "pct_spent", "capacity_change_pct", "costs_change_pct"}
_DATE_COLS = {"date_filled"}
#: decimals (Neobvyklé hodnoty: a ratio, its peers' median and MAD, value ÷ median, z-score)
_DEC_COLS = {"ratio_value", "peer_median", "peer_mad", "ratio_to_median", "z_score"}


class ConsolidatedReadError(ValueError):
    """A file is not a readable consolidated workbook (Czech message)."""


# ---------------------------------------------------------------------------
# Recognising a consolidated workbook cheaply
# ---------------------------------------------------------------------------

_SHEET_NAME = re.compile(r'<(?:\w+:)?sheet\b[^>]*?\bname="([^"]*)"')


def _sheet_names_of_zip(path: str | os.PathLike) -> set[str]:
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("xl/workbook.xml")
        if info.file_size > 5_000_000:
            return set()
        text = z.read(info).decode("utf-8", "replace")
    return {html.unescape(n) for n in _SHEET_NAME.findall(text)}


def is_consolidated(path: str | os.PathLike) -> bool:
    """True for an .xlsx that looks like a consolidated workbook (its sheet list has
    ``_xlkpss``, Odevzdání and Služby).  Reads only the zip directory and
    ``xl/workbook.xml``; ``read_consolidated`` then checks the metadata."""
    try:
        names = _sheet_names_of_zip(path)
    except (OSError, zipfile.BadZipFile, KeyError, RuntimeError, ValueError):
        return False
    return META_SHEET in names and SHEETS["submissions"] in names and SHEETS["services"] in names


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _field_types() -> dict[str, str]:
    """field key -> spec type (the first definition wins; keys are unique per meaning)."""
    out: dict[str, str] = {}
    for f in load_spec().all_fields():
        out.setdefault(f.key, f.type)
    return out


def _kind_of(sheet: str, col: str) -> str:
    """Which number format a column gets: int, money, pct, dec, per1000, date, year, text."""
    if sheet == "coverage" and col != "target_group":
        return "int"
    if col in _INT_COLS or col.startswith("n_"):
        return "int"
    if col in _MONEY_COLS:
        return "money"
    if col in _PCT_COLS or col.startswith("share"):
        return "pct"
    if col == "per_1000":
        return "per1000"
    if col in _DEC_COLS:
        return "dec"
    if col in _DATE_COLS:
        return "date"
    if col in ("prevzato_z_roku", "rok"):
        return "year"
    ftype = _field_types().get(col)
    if sheet in ("submissions", "errors", "conflicts", "corrections", "overview") and col not in ("date_filled",):
        ftype = None
    return {"integer": "int", "money": "money", "decimal": "dec", "date": "date"}.get(ftype or "", "text")


@dataclass
class _SheetLayout:
    name: str
    columns: list[str]
    header_row: int  # 0-based
    n_rows: int  # data rows written (≥ 1: an empty table gets one blank row)

    @property
    def first(self) -> int:
        """Excel (1-based) row of the first data row."""
        return self.header_row + 2

    @property
    def last(self) -> int:
        return self.header_row + 1 + self.n_rows

    @functools.cached_property
    def _letters(self) -> dict[str, str]:
        return {col: col_letter(j) for j, col in enumerate(self.columns)}

    @functools.cached_property
    def _ranges(self) -> dict[tuple[str, str | None], str]:
        return {}

    def letter(self, col: str) -> str:
        return self._letters[col]

    def rng(self, col: str, to: str | None = None) -> str:
        """Absolute reference to a data column (or columns col..to) on this sheet."""
        key = (col, to)
        if key not in self._ranges:
            a, b = self.letter(col), self.letter(to or col)
            self._ranges[key] = f"'{self.name}'!${a}${self.first}:${b}${self.last}"
        return self._ranges[key]

    def cell(self, col: str, i: int) -> str:
        """Relative-column, absolute-free reference to data row i (0-based) on the same sheet."""
        return f"${self.letter(col)}{self.first + i}"


def _q(text: str) -> str:
    """A string literal inside a formula."""
    return '"' + str(text).replace('"', '""') + '"'


def _result(value: Any) -> Any:
    """The cached result of a formula: None (an IF that returns "") becomes ""."""
    value = clean_value(value)
    return "" if value is None else value


class _Formulas:
    """Formulas of the computed sheets, with the Python values as cached results.

    Only SUM, SUMIFS, COUNTIFS, COUNTA and IF: functions every Excel and LibreOffice
    reads without an ``_xlfn.`` prefix (the cells are written as ``Formula(classic=True)``).
    """

    def __init__(self, c: Consolidated, layouts: dict[str, _SheetLayout]):
        self.c = c
        self.L = layouts
        self.sources = [f.key for f in load_spec().template("sluzby").sheet("sluzby").fields if f.funding]
        self.statuses = [(code, label) for code, label in load_spec().codelists["stavy_planu"]["items"]]

    def for_sheet(self, key: str) -> Callable[[int, dict[str, Any]], dict[str, str]] | None:
        return {
            "capacities": self.capacities,
            "funding": self.funding,
            "plan_summary": self.plan_summary,
            "coverage": self.coverage,
            "overview": self.overview,
        }.get(key)

    def capacities(self, i: int, r: dict[str, Any]) -> dict[str, str]:
        S, me = self.L["services"], self.L["capacities"]
        if None in (r.get("territory_level"), r.get("druh"), r.get("forma"), r.get("typ_kapacity")):
            return {}
        crit = (
            f"{S.rng(criteria_column(r['territory_level']))},{me.cell('territory_code', i)},"
            f"{S.rng('druh')},{me.cell('druh', i)},{S.rng('forma')},{me.cell('forma', i)},"
            f"{S.rng('typ_kapacity')},{me.cell('typ_kapacity', i)}"
        )
        out = {"services": f"=COUNTIFS({crit})", "capacity": f"=SUMIFS({S.rng('kapacita')},{crit})"}
        if r.get("population"):
            cap, pop = me.cell("capacity", i), me.cell("population", i)
            out["per_1000"] = f'=IF({pop}>0,{cap}/{pop}*1000,"")'
        return out

    def funding(self, i: int, r: dict[str, Any]) -> dict[str, str]:
        S, me = self.L["services"], self.L["funding"]
        if r.get("territory_level") is None or r.get("druh") is None:
            return {}
        crit = f"{S.rng(criteria_column(r['territory_level']))},{me.cell('territory_code', i)}"
        scope = crit
        if r["druh"] != TOTAL_LABEL:
            crit += f",{S.rng('druh')},{me.cell('druh', i)}"
        out = {"services": f"=COUNTIFS({crit})"}
        for col in ("naklady", *self.sources):
            out[col] = f"=SUMIFS({S.rng(col)},{crit})"
        out["funding_total"] = f"=SUM({me.cell(self.sources[0], i)}:{me.cell(self.sources[-1], i)})"
        costs = me.cell("naklady", i)
        total = f"SUMIFS({S.rng('naklady')},{scope})"
        out["share"] = f'=IF({total}>0,{costs}/{total}*100,"")'
        for col in self.sources:
            out[f"share_{col}"] = f'=IF({costs}>0,{me.cell(col, i)}/{costs}*100,"")'
        return out

    def plan_summary(self, i: int, r: dict[str, Any]) -> dict[str, str]:
        A, me = self.L["activities"], self.L["plan_summary"]
        if r.get("priority") is None or r.get("src_sha256") is None:
            return {}
        crit = (
            f"{A.rng('src_sha256')},{me.cell('src_sha256', i)},{A.rng('priority')},{me.cell('priority', i)},"
            f"{A.rng('evaluated')},{_q('ano')}"
        )
        out = {"items": f"=COUNTIFS({crit})"}
        for code, label in self.statuses:
            out[f"n_{code}"] = f"=COUNTIFS({crit},{A.rng('stav')},{_q(label)})"
        first, last = f"n_{self.statuses[0][0]}", f"n_{self.statuses[-1][0]}"
        items = me.cell("items", i)
        out["n_bez_stavu"] = f"={items}-SUM({me.cell(first, i)}:{me.cell(last, i)})"
        rated = f"({items}-{me.cell('n_bez_stavu', i)})"
        out["pct_done"] = f'=IF({rated}>0,{me.cell("n_splneno", i)}/{rated}*100,"")'
        out["rozpocet"] = f"=SUMIFS({A.rng('rozpocet')},{crit})"
        out["cerpano"] = f"=SUMIFS({A.rng('cerpano')},{crit})"
        planned = me.cell("rozpocet", i)
        out["pct_spent"] = f'=IF({planned}>0,{me.cell("cerpano", i)}/{planned}*100,"")'
        return out

    def coverage(self, i: int, r: dict[str, Any]) -> dict[str, str]:
        me = self.L["coverage"]
        units = [c for c in me.columns if c not in ("target_group", "total")]
        if not units:
            return {}
        return {"total": f"=SUM({me.cell(units[0], i)}:{me.cell(units[-1], i)})"}

    def overview(self, i: int, r: dict[str, Any]) -> dict[str, str]:
        S, O = self.L["services"], self.L["submissions"]
        P, K = self.L["plan_summary"], self.L["carryover"]
        metric = str(r.get("metric") or "")
        if metric in ("rows_read", "rows_merged", "rows_excluded"):
            return {"value": f"=SUM({O.rng(metric)})"}
        if metric == "services":
            return {"value": f"=COUNTA({S.rng('nazev_sluzby')})"}
        if metric.startswith("capacity:"):
            label = next(i.display for i in _codelist("typy_kapacity") if i.code == metric.split(":", 1)[1])
            return {"value": f"=SUMIFS({S.rng('kapacita')},{S.rng('typ_kapacity')},{_q(label)})"}
        if metric == "costs":
            return {"value": f"=SUM({S.rng('naklady')})"}
        if metric == "funding":
            return {"value": f"=SUM({S.rng(self.sources[0], self.sources[-1])})"}
        if metric == "plan_items":
            return {"value": f"=SUM({P.rng('items')})"}
        if metric == "plan_done" and r.get("value") is not None:
            rated = f"(SUM({P.rng('items')})-SUM({P.rng('n_bez_stavu')}))"
            return {"value": f'=IF({rated}>0,SUM({P.rng("n_splneno")})/{rated}*100,"")'}
        if metric == "carryover":
            return {"value": f"=COUNTA({K.rng('reason')})"}
        return {}


def _codelist(name: str):
    from xlkpss.codelists import codelist

    return codelist(name)


class _Writer:
    def __init__(self, wb: Any, c: Consolidated):
        self.wb = wb
        self.c = c
        self._formats: dict[tuple, Any] = {}

    def fmt(
        self, kind: str = "text", fill: str | None = None, bold: bool = False, header: bool = False, wrap: bool = False
    ) -> Any:
        key = (kind, fill, bold, header, wrap)
        if key not in self._formats:
            props: dict[str, Any] = {"valign": "top"}
            if kind in NUMBER_FORMATS:
                props["num_format"] = NUMBER_FORMATS[kind]
            if fill:
                props["bg_color"] = _FILLS.get(fill, fill)
            if bold:
                props["bold"] = True
            if header:
                props.update({"bold": True, "text_wrap": True, "valign": "vcenter", "bg_color": "#DDEBF7", "border": 1})
            if wrap:
                props["text_wrap"] = True
            self._formats[key] = self.wb.add_format(props)
        return self._formats[key]


def _clean_row(values: Iterable[Any]) -> list[Any]:
    """The values of a row as cells take them: ``clean_value``, then yes/no as "ano" /
    "ne" and anything but text, a number or a date as text.  None, int and non-blank
    text are clean already (the common case, checked first)."""
    out = []
    for v in values:
        t = type(v)
        if v is None or t is int or (t is str and v and not v.isspace()):
            out.append(v)
            continue
        v = clean_value(v)
        if isinstance(v, bool):
            v = "ano" if v else "ne"
        elif v is not None and not isinstance(v, (str, int, float, dt.date)):
            v = str(v)
        out.append(v)
    return out


def _labels(key: str, columns: list[str]) -> list[str]:
    return [column_label(key, col) for col in columns]


@functools.lru_cache(maxsize=1)
def _spec_widths() -> dict[str, int]:
    """field key -> column width from the spec (the first definition with a width)."""
    out: dict[str, int] = {}
    for f in load_spec().all_fields():
        if f.width:
            out.setdefault(f.key, f.width)
    return out


def _width(key: str, col: str, label: str, values: list[Any]) -> float:
    spec_width = _spec_widths().get(col)
    longest = max((len(str(v)) for v in values[:300] if v is not None), default=0)
    if col in ("sha256", "src_sha256"):
        return 14  # for programs; the full hash is in the cell
    kind = _kind_of(key, col)
    if kind in ("int", "money", "pct", "dec", "per1000", "year", "date"):
        longest = min(longest + (4 if kind == "money" else 1), 18)
    base = spec_width or min(max(longest + 2, 8), 48)
    # the heading wraps at spaces, never inside a word ("Droužkovice", "Kapacita")
    word = max((len(part) for part in label.split()), default=0) + 2
    return max(base, min(max(len(label) / 2.2 + 2, word), 22), 7)


def _row_fill(key: str, r: dict[str, Any]) -> str | None:
    if key == "errors":
        group = error_group(r)
        return group if group in _FILLS else None
    if key == "gaps" and r.get("core") == "ano" and not r.get("note"):
        return "core"
    if key == "changes" and r.get("flag") == "ano":
        return "flag"
    return None


def _escape_header(text: str) -> str:
    return str(text).replace("&", "&&")


@gc_paused
def write_consolidated(
    c: Consolidated, path: str | os.PathLike, *, protect_inputs: Iterable[str | os.PathLike] = ()
) -> Path:
    """Write ``c`` as a consolidated workbook to ``path`` (.xlsx), atomically; refuses to
    overwrite any path in ``protect_inputs`` (``OutputError``)."""
    import xlsxwriter

    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise OutputError(path, "suffix", expected=".xlsx")
    protect = {Path(p) for p in protect_inputs}
    meta = dict(c.meta)
    generated = dt.date.fromisoformat(str(meta.get("generated") or dt.date.today().isoformat())[:10])
    title = f"Souhrn KPSS – {'ORP ' if meta.get('level') == 'orp' else ''}{meta.get('territory_name', '')}, {meta.get('year', '')}"

    written = [key for key in SHEETS if key not in OPTIONAL_SHEETS or key in c.tables]
    frames = {key: c.table(key) for key in written}
    columns = {
        key: (list(frames[key].columns) if len(frames[key].columns) else list(SHEET_COLUMNS[key])) for key in written
    }
    layouts = {
        key: _SheetLayout(
            name=SHEETS[key],
            columns=columns[key],
            header_row=_TITLE_ROWS.get(key, 0),
            n_rows=max(1, len(frames[key])),
        )
        for key in written
    }
    formulas = _Formulas(c, layouts)

    with atomic_path(path, protect=protect) as tmp:
        wb = xlsxwriter.Workbook(
            str(tmp),
            {
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
                "nan_inf_to_errors": False,
                "in_memory": True,  # no temporary file per sheet
            },
        )
        wb.set_properties(
            {
                "title": title,
                "subject": "Souhrnný sešit komunitního plánování sociálních služeb",
                "author": "xlkpss",
                "company": "",
                "created": dt.datetime.combine(generated, _FIXED_TIME),
                "comments": f"xlkpss {__version__}",
            }
        )
        wb.set_custom_property("xlkpss_kind", META_KIND)
        wb.set_custom_property("xlkpss_format_version", str(FORMAT_VERSION))
        w = _Writer(wb, c)
        for key in written:
            _write_sheet(w, key, frames[key], layouts[key], formulas, title, meta)
        _write_meta(wb, c, layouts)
        wb.worksheets()[0].activate()
        wb.close()
    return path


def _computed_cells(
    w: _Writer,
    key: str,
    i: int,
    vals: list[Any],
    cols: list[str],
    kinds: list[str],
    wraps: list[bool],
    plain: list[Any],
    plain_text: list[Any],
    status_col: int,
    make: Callable[[int, dict[str, Any]], dict[str, str]] | None,
) -> list[tuple[int, Any, Any]]:
    """The cells of row ``i`` of a sheet with formulas, fills or a status column."""
    r = dict(zip(cols, vals))
    fill = _row_fill(key, r)
    computed = make(i, r) if make else {}
    cells: list[tuple[int, Any, Any]] = []
    for j, value in enumerate(vals):
        kind, cell_fill = kinds[j], fill
        if key == "overview" and cols[j] == "value":
            kind = _overview_kind(r)
        if j == status_col and value in STATUS_LABELS:
            cell_fill, value = value, STATUS_LABELS[value]
        if computed and cols[j] in computed:
            cells.append(
                (
                    j,
                    Formula(computed[cols[j]], _result(value), classic=True),
                    w.fmt(kind, cell_fill, bold=(fill == "core")),
                )
            )
            continue
        if value is None and cell_fill is None:
            continue  # an empty cell without a fill needs no cell at all (most optional fields)
        if isinstance(value, str):
            kind = "text"
        if cell_fill is None and kind == kinds[j]:
            fmt = plain[j]
        elif cell_fill is None and kind == "text":
            fmt = plain_text[j]
        else:
            fmt = w.fmt(kind, cell_fill, bold=(fill == "core"), wrap=wraps[j])
        cells.append((j, value, fmt))
    return cells


def _write_sheet(
    w: _Writer, key: str, frame: Any, layout: _SheetLayout, formulas: _Formulas, title: str, meta: dict
) -> None:
    ws = w.wb.add_worksheet(layout.name, worksheet_class=RowsWorksheet)
    cols = layout.columns
    labels = _labels(key, cols)
    if len(set(labels)) != len(labels):  # pragma: no cover - guarded by tests of the model
        raise ValueError(f"{key}: duplicate column labels {labels}")
    # one object array for the whole frame (itertuples() costs a pandas lookup per column)
    rows = [_clean_row(vals) for vals in frame.to_numpy(dtype=object).tolist()] if len(frame) else []
    h = layout.header_row
    _write_title_rows(w, ws, key, cols, rows, title, meta)
    kinds = [_kind_of(key, col) for col in cols]
    wraps = [_wrapped(key, col) for col in cols]
    # the formats of a cell without a fill: by column, for a number and for a text
    plain = [w.fmt(kind, wrap=wrap) for kind, wrap in zip(kinds, wraps)]
    plain_text = [w.fmt("text", wrap=wrap) for wrap in wraps]
    status_col = cols.index("status") if "status" in cols else -1
    make = formulas.for_sheet(key)
    first = h + 1
    if make is None and status_col < 0 and key not in ("gaps", "changes", "overview", "errors"):
        # a record sheet (Služby, Aktivity, …): no formulas, no fills: the format follows
        # the column and whether the value is text; an empty cell needs no cell at all
        ws.write_rows(first, rows, plain, plain_text)
    else:
        for i, vals in enumerate(rows):
            ws.write_cells(
                first + i, _computed_cells(w, key, i, vals, cols, kinds, wraps, plain, plain_text, status_col, make)
            )
    if not rows:
        ws.write_cells(first, [(j, None, w.fmt(kinds[j])) for j in range(len(cols))])
    header_fmt = w.fmt(header=True)
    ws.add_table(
        h,
        0,
        layout.last - 1,
        len(cols) - 1,
        {
            "name": TABLE_NAMES[key],
            "columns": [{"header": label, "header_format": header_fmt} for label in labels],
            "style": "Table Style Light 9",
            "autofilter": True,
        },
    )
    widths = _column_widths(key, cols, labels, rows, wraps)
    for j, width in enumerate(widths):
        ws.set_column(j, j, width, None, {"hidden": True} if cols[j] in _MACHINE_COLUMNS else None)
    _row_heights(ws, first, rows, widths, wraps)
    ws.set_row(h, 45)
    ws.freeze_panes(h + 1, 1 if key == "coverage" else 0)
    if key == "coverage" and rows and len(cols) > 2:
        _coverage_highlight(w, ws, cols, layout)
    _print_setup(ws, key, cols, widths, layout, title)


def _wrapped(key: str, col: str) -> bool:
    """Whether a column's text wraps (the row grows) rather than runs into the next one."""
    return col in _WRAP_COLUMNS


#: height (points) of one line of the default 11-point font
_LINE_HEIGHT = 15
_MAX_ROW_HEIGHT = 409


def _row_heights(ws: Any, first: int, rows: list[list[Any]], widths: list[float], wraps: list[bool]) -> None:
    """Give a row with wrapped text the height of its lines: LibreOffice keeps the stored
    height of an .xlsx row, so without it a wrapped text runs over the next row."""
    wrapped = [(j, max(widths[j] - 1.5, 4)) for j, w in enumerate(wraps) if w]
    if not wrapped:
        return
    for i, vals in enumerate(rows):
        lines = 1
        for j, per_line in wrapped:
            v = vals[j]
            if isinstance(v, str) and len(v) > per_line:
                n = sum(max(1, math.ceil(len(part) / per_line)) for part in v.split("\n"))
                lines = max(lines, n)
        if lines > 1:
            ws.set_row(first + i, min(_LINE_HEIGHT * lines, _MAX_ROW_HEIGHT))


def _write_title_rows(w: _Writer, ws: Any, key: str, cols: list[str], rows: list[list[Any]], title: str, meta: dict):
    """The rows above the table: Přehled's title, Chyby's groups with their counts."""
    bold14 = w.wb.add_format({"bold": True, "font_size": 14})
    if key == "overview":
        ws.write_string(0, 0, title, bold14)
        ws.write_string(
            1,
            0,
            f"Vytvořeno {generated_text(meta)} programem xlkpss {meta.get('version', __version__)}; "
            "údaje z odevzdaných souborů, vzorce přepočítávají součty z listů Služby a Aktivity.",
        )
    elif key == "errors":
        ws.write_string(0, 0, "Chyby: nejdříve co je třeba opravit, pak upozornění, na konci informace", bold14)
        ws.write_string(1, 0, errors_summary_text([dict(zip(cols, r)) for r in rows]))


def errors_summary_text(records: list[dict[str, Any]]) -> str:
    """One line with the count of each group of Chyby (the informational lines by reason)."""
    from xlkpss.i18n import format_number

    groups: dict[str, list[dict[str, Any]]] = {g: [] for g in ERROR_GROUPS}
    for r in records:
        groups[error_group(r)].append(r)
    parts = []
    for g, heading in ERROR_GROUPS.items():
        part = f"{heading.split(' – ')[0]}: {format_number(len(groups[g]))}"
        if g == "info" and groups[g]:
            reasons: dict[str, int] = {}
            for r in groups[g]:
                reason = str(r.get("reason") or "")
                reasons[reason] = reasons.get(reason, 0) + 1
            part += " (" + ", ".join(f"{k} {format_number(n)}×" for k, n in reasons.items()) + "; na konci listu)"
        parts.append(part)
    return " · ".join(parts) if records else "Žádné chyby ani upozornění."


def _column_widths(key: str, cols: list[str], labels: list[str], rows: list[list[Any]], wraps: list[bool]) -> list[float]:
    """Column widths (characters): the longest value as shown, a wrapped text column at
    most ``_WRAP_WIDTH``; Přehled has fixed widths."""
    if key == "overview":
        fixed = {"label": 40, "value": 48, "unit": 13, "note": 60, "metric": 16}
        return [fixed.get(col, 14) for col in cols]
    out = []
    for j, col in enumerate(cols):
        values = [vals[j] for vals in rows[:300]]
        if col == "status":
            values = [STATUS_LABELS.get(v, v) if isinstance(v, str) else v for v in values]
        width = _width(key, col, labels[j], values)
        if wraps[j]:
            width = min(width, _WRAP_WIDTH)
        out.append(width)
    return out


def _coverage_highlight(w: _Writer, ws: Any, cols: list[str], layout: _SheetLayout) -> None:
    """Cílové skupiny: a target group with no service in the whole territory (Celkem = 0)
    is red; a zero of one obec is only grey (a small obec without a service is no gap of
    the territory).  The legend is to the right of the table."""
    h, last = layout.header_row, layout.last - 1
    total = cols.index("total") if "total" in cols else len(cols) - 1
    ws.conditional_format(
        h + 1, total, last, total,
        {"type": "cell", "criteria": "==", "value": 0, "format": w.wb.add_format({"bg_color": _FILLS["core"], "bold": True})},
    )  # fmt: skip
    if total > 1:  # a unit's 0 shows as an empty cell (the value stays 0 for formulas)
        ws.conditional_format(
            h + 1, 1, last, total - 1,
            {"type": "cell", "criteria": "==", "value": 0, "format": w.wb.add_format({"num_format": NUMBER_FORMATS["int_blank0"]})},
        )  # fmt: skip
    legend = len(cols) + 1
    ws.write_string(h, legend, "Vysvětlivky", w.fmt(bold=True))
    ws.write_string(h + 1, legend, "červeně: cílová skupina bez služby v celém území (Celkem 0)", w.fmt(fill="core"))
    ws.write_string(h + 2, legend, "prázdné pole: v tomto území služba pro skupinu není (0)", w.fmt())
    ws.set_column(legend, legend, 58)


def _print_setup(ws: Any, key: str, cols: list[str], widths: list[float], layout: _SheetLayout, title: str) -> None:
    """A4 landscape, header row (and on a sheet several pages wide the naming columns)
    repeated on every page, one page wide unless the text would shrink below ~75 %."""
    ws.set_landscape()
    ws.set_paper(9)
    printed = sum(wd for col, wd in zip(cols, widths) if col not in _MACHINE_COLUMNS)
    repeat = _PRINT_REPEAT.get(key)
    if repeat and not all(c in cols for c in repeat):
        repeat = None
    span = (cols.index(repeat[0]), cols.index(repeat[1])) if repeat else (0, -1)
    repeated = sum(widths[span[0] : span[1] + 1])
    pages_wide = 1
    if printed > _PRINT_WIDTH:
        # every page also carries the repeated naming columns
        pages_wide = math.ceil((printed - repeated) / max(_PRINT_WIDTH - repeated, _PRINT_WIDTH / 2))
    ws.fit_to_pages(pages_wide, 0)
    ws.repeat_rows(layout.header_row)
    if pages_wide > 1 and repeat:
        ws.repeat_columns(*span)
    ws.set_margins(left=0.4, right=0.4, top=0.7, bottom=0.6)
    ws.set_header(f"&L&B{_escape_header(layout.name)}&R{_escape_header(title)}")
    ws.set_footer("&LVytvořeno programem xlkpss&CStrana &P z &N")


def generated_text(meta: dict) -> str:
    try:
        d = dt.date.fromisoformat(str(meta.get("generated"))[:10])
    except ValueError:
        return str(meta.get("generated") or "")
    return f"{d.day}. {d.month}. {d.year}"


def _overview_kind(r: dict[str, Any]) -> str:
    value = clean_value(r.get("value"))
    unit = r.get("unit")
    if isinstance(value, dt.date):
        return "date"
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return "text"
    if unit == "%":
        return "dec1"  # the unit column says %
    if unit == "Kč":
        return "int"
    if r.get("metric") == "year":
        return "year"
    return "int" if float(value).is_integer() else "dec"


def _write_meta(wb: Any, c: Consolidated, layouts: dict[str, _SheetLayout]) -> None:
    ws = wb.add_worksheet(META_SHEET)
    m = c.meta
    rows: list[tuple[str, str]] = [
        ("kind", META_KIND),
        ("format_version", str(FORMAT_VERSION)),
        ("generator", f"xlkpss {m.get('version', __version__)}"),
        ("level", str(m.get("level", ""))),
        ("territory", f"{m.get('level', '')}:{m.get('territory_code', '')}"),
        ("territory_code", str(m.get("territory_code", ""))),
        ("territory_name", str(m.get("territory_name", ""))),
        ("year", str(m.get("year", ""))),
        ("generated", str(m.get("generated", ""))),
        ("version", str(m.get("version", __version__))),
        ("meta", json.dumps(_jsonable(m), ensure_ascii=False, sort_keys=True)),
    ]
    for key, layout in layouts.items():
        rows.append((f"columns:{key}", json.dumps(layout.columns, ensure_ascii=False)))
        rows.append((f"header:{key}", str(layout.header_row)))
    for r, (k, v) in enumerate(rows):
        ws.write_string(r, 0, k)
        ws.write_string(r, 1, v[:_MAX_TEXT])
    ws.hide()


def _jsonable(meta: dict[str, Any]) -> dict[str, Any]:
    skip = {"file", "source_path", "sha256", "mtime"}
    out = {}
    for k, v in meta.items():
        if k in skip:
            continue
        v = clean_value(v)
        out[k] = v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v
    return out


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------


@gc_paused
def read_consolidated(
    path: str | os.PathLike, *, sandbox: bool = True, tables: Iterable[str] | None = None
) -> Consolidated:
    """Read a consolidated workbook back (cached values; no recalculation needed).

    The result equals what ``merge_results`` returned for it (values as in the
    workbook, ``status`` as keys); ``meta`` also gets ``file``, ``source_path``,
    ``sha256`` and ``mtime`` of the file read.  ``tables``: read only these sheets
    (keys of ``SHEETS``; the others are never parsed and absent from the result) —
    a merge of the next level needs only ``MERGE_INPUT_TABLES``.  Raises
    ``ConsolidatedReadError``.
    """
    import pandas as pd

    from xlkpss.i18n import issue_text
    from xlkpss.read.model import ReadError

    path = Path(path)
    if not path.is_file():
        raise ConsolidatedReadError(f"soubor {path} neexistuje")
    wanted = list(SHEETS) if tables is None else [k for k in SHEETS if k in set(tables)]
    names = None if tables is None else [META_SHEET, *(SHEETS[k] for k in wanted)]
    try:
        if sandbox:
            from xlkpss.read.sandbox import read_safely

            raw = read_safely(path, sheets=names)
        else:
            from xlkpss.read.files import read_workbook

            raw = read_workbook(path, lazy=names is not None)
    except ReadError as exc:
        raise ConsolidatedReadError(
            f"{path.name}: {issue_text(exc.code, value=exc.value, expected=exc.expected)}"
        ) from None
    meta_sheet = raw.sheet(META_SHEET)
    kv: dict[str, str] = {}
    if meta_sheet is not None:
        for row in meta_sheet.rows:
            if len(row) >= 2 and row[0] is not None:
                kv[str(row[0]).strip()] = "" if row[1] is None else str(row[1])
    if kv.get("kind") != META_KIND:
        raise ConsolidatedReadError(
            f"{path.name} není souhrnný sešit xlkpss (chybí skrytý list {META_SHEET} s kind=souhrn)"
        )
    try:
        version = int(kv.get("format_version") or "0")
    except ValueError:
        version = 0
    if version > FORMAT_VERSION:
        raise ConsolidatedReadError(f"{path.name} je v novějším formátu souhrnu ({version}); aktualizujte xlkpss")
    try:
        meta = json.loads(kv.get("meta") or "{}")
    except json.JSONDecodeError:
        raise ConsolidatedReadError(f"{path.name}: poškozená metadata na listu {META_SHEET}") from None
    status_keys = {v: k for k, v in STATUS_LABELS.items()}
    tables: dict[str, Any] = {}
    for key in wanted:
        name = SHEETS[key]
        try:
            columns = json.loads(kv.get(f"columns:{key}") or "null") or list(SHEET_COLUMNS[key])
            header_row = int(kv.get(f"header:{key}") or (_OVERVIEW_TITLE_ROWS if key == "overview" else 0))
        except (json.JSONDecodeError, ValueError):
            raise ConsolidatedReadError(f"{path.name}: poškozená metadata listu {name}") from None
        sheet = raw.sheet(name)
        if sheet is None:
            if key not in OPTIONAL_SHEETS:  # an optional sheet the merge did not compute stays absent
                tables[key] = pd.DataFrame({c: [] for c in columns}, dtype=object)
            continue
        header = [
            str(v).strip() if v is not None else ""
            for v in (sheet.rows[header_row] if header_row < len(sheet.rows) else [])
        ]
        labels = _labels(key, columns)
        positions: dict[str, int | None] = {}
        for col, label in zip(columns, labels):
            found_label = next((x for x in (label, *_OLD_LABELS.get((key, col), ())) if x in header), None)
            positions[col] = header.index(found_label) if found_label is not None else None
        if all(p is None for p in positions.values()):
            raise ConsolidatedReadError(f"{path.name}: list {name} nemá záhlaví souhrnu (řádek {header_row + 1})")
        data = sheet.rows[header_row + 1 :]
        found = {
            col: clean_values([row[p] if p < len(row) else None for row in data])
            for col, p in positions.items()
            if p is not None
        }
        # rows with no value in any column of the table are not records (e.g. a trailing blank)
        width = len(found)
        keep = [i for i, t in enumerate(zip(*found.values())) if t.count(None) != width]
        if len(keep) != len(data):
            found = {col: [vals[i] for i in keep] for col, vals in found.items()}
        if "status" in found:
            found["status"] = [status_keys.get(v, v) if isinstance(v, str) else v for v in found["status"]]
        empty = [None] * len(keep)
        tables[key] = pd.DataFrame(
            {c: found[c] if c in found else list(empty) for c in columns}, columns=columns, dtype=object
        )
    meta.update(_file_meta(path))
    return Consolidated(meta=meta, tables=tables)


def _file_meta(path: Path) -> dict[str, Any]:
    return {"file": path.name, "source_path": str(path), "sha256": sha256_file(path), "mtime": path.stat().st_mtime}


def as_written(c: Consolidated, path: str | os.PathLike) -> Consolidated:
    """``c`` as ``read_consolidated(path)`` returns it once ``write_consolidated(c, path)``
    has written it: the same tables, plus the file's name, path, SHA-256 and mtime in
    ``meta``.  A pipeline that merges all levels in one run passes this on to the next
    level instead of reading the workbook back (tests check that both are equal)."""
    path = Path(path)
    meta = json.loads(json.dumps(_jsonable(c.meta), ensure_ascii=False))  # as the workbook keeps it
    return Consolidated(meta={**meta, **_file_meta(path)}, tables=dict(c.tables))
