"""How a sheet of the consolidated workbook looks: the number format, fill, width, wrapping
and row height of each column and cell (``Writer`` keeps the xlsxwriter formats), the
highlight of Cílové skupiny, and the print setup."""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Iterable, Sequence
from typing import Any

from xlkpss.merge import network
from xlkpss.merge.bookformat import SheetLayout
from xlkpss.merge.clean import clean_value
from xlkpss.merge.errorgroups import error_group
from xlkpss.merge.model import STATUS_LABELS, Consolidated
from xlkpss.spec import load_spec

__all__ = [
    "MACHINE_COLUMNS",
    "NUMBER_FORMATS",
    "Writer",
    "clean_row",
    "clean_rows",
    "column_widths",
    "coverage_highlight",
    "head_columns",
    "kind_of",
    "overview_kind",
    "print_setup",
    "row_fill",
    "row_heights",
    "wrap_cut_text",
    "wraps_text",
]


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
    network.SHEET_KEY: ("nazev_orp", "nazev_orp"),
}


#: columns for programs only (a hash, a metric key): hidden on screen and in print, the
#: values stay in the cells (filters, ``read_consolidated``)
MACHINE_COLUMNS = {"sha256", "src_sha256", "metric"}


#: text columns wrapped (the row grows) instead of cut by the next column
_WRAP_COLUMNS = {
    "message", "note", "values", "reason", "label", "value", "popis", "komentar", "nazev", "file", "target_group",
}


#: the widest a wrapped text column gets (characters)
_WRAP_WIDTH = 40


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


@functools.lru_cache(maxsize=1)
def _field_types() -> dict[str, str]:
    """field key -> spec type (the first definition wins; keys are unique per meaning)."""
    out: dict[str, str] = {}
    for f in load_spec().all_fields():
        out.setdefault(f.key, f.type)
    return out


@functools.lru_cache(maxsize=4096)
def kind_of(sheet: str, col: str) -> str:
    """Which number format a column gets: int, money, pct, dec, per1000, date, year, text."""
    if sheet == "coverage" and col != "target_group":
        return "int"
    if sheet == network.SHEET_KEY and col in network.NUMBER_KINDS:
        return network.NUMBER_KINDS[col]
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


class Writer:
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


def clean_row(values: Iterable[Any]) -> list[Any]:
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


#: the types ``clean_row`` leaves as they are (text only when not blank, a float only
#: when not whole and not NaN)
_CLEAN_TYPES = frozenset({type(None), int, str, dt.date, float})


def clean_rows(table: Any) -> list[list[Any]]:
    """``clean_row`` of every row of a 2-D object array (``frame.to_numpy(dtype=object)``),
    column by column: a column of only None, int, dates, non-blank text and fractions
    (nearly all) is checked by its set of types, of distinct texts and of floats, without
    a Python call per value."""
    if not len(table):
        return []
    rows = table.tolist()
    for j in range(table.shape[1]):
        col = table[:, j].tolist()
        types = set(map(type, col))
        if (
            types <= _CLEAN_TYPES
            and (str not in types or not _has_blank(col))
            and (float not in types or not _has_whole(col))
        ):
            continue
        for vals, v in zip(rows, clean_row(col)):
            vals[j] = v
    return rows


def _has_blank(col: list[Any]) -> bool:
    """Whether a column of None, int and text has an empty or whitespace-only text."""
    return any(type(v) is str and not v.strip() for v in set(col))


def _has_whole(col: list[Any]) -> bool:
    """Whether a column has a float that ``clean_value`` changes (NaN, a whole number)."""
    return any(v != v or v.is_integer() for v in col if type(v) is float)


@functools.lru_cache(maxsize=1)
def _spec_widths() -> dict[str, int]:
    """field key -> column width from the spec (the first definition with a width)."""
    out: dict[str, int] = {}
    for f in load_spec().all_fields():
        if f.width:
            out.setdefault(f.key, f.width)
    return out


def _width(key: str, col: str, label: str, values: list[Any]) -> float:
    if col in ("sha256", "src_sha256"):
        return 14  # for programs; the full hash is in the cell
    base = _spec_widths().get(col)
    if not base:  # as wide as the longest value
        kind = kind_of(key, col)
        if kind in ("int", "money", "pct", "dec", "per1000", "year", "date"):
            extra = 4 if kind == "money" else 1
            longest = min(_longest(values[:300], 18 - extra) + extra, 18)
        else:
            longest = _longest(values[:300], 46)
        base = min(max(longest + 2, 8), 48)
    return max(base, _heading_width(label), 7)


def _longest(values: Sequence[Any], enough: int) -> int:
    """The length of the longest value as text (None is no value), or any length of at
    least ``enough`` (what is wider counts no more): for a column of only text, only
    whole numbers or only dates without a call per value."""
    types = set(map(type, values))
    types.discard(type(None))
    if types == {str}:
        return max(map(len, filter(None, values)), default=0)
    if types == {int}:  # the longest text of an int is that of the largest or of the smallest
        numbers = [v for v in values if v is not None]
        return max(len(str(max(numbers))), len(str(min(numbers))))
    if types == {dt.date}:
        return 10  # 2026-01-31
    longest = 0
    for v in values:
        if v is not None and (n := len(str(v))) > longest:
            longest = n
            if n >= enough:
                break
    return longest


@functools.lru_cache(maxsize=4096)
def _heading_width(label: str) -> float:
    """The width a column heading needs: it wraps at spaces, never inside a word
    ("Droužkovice", "Kapacita"), at most 22 characters."""
    word = max((len(part) for part in label.split()), default=0) + 2
    return min(max(len(label) / 2.2 + 2, word), 22)


def row_fill(key: str, r: dict[str, Any]) -> str | None:
    if key == "errors":
        group = error_group(r)
        return group if group in _FILLS else None
    if key == "gaps" and r.get("core") == "ano" and not r.get("note"):
        return "core"
    if key == "changes" and r.get("flag") == "ano":
        return "flag"
    if key == network.SHEET_KEY and r.get("finding") not in (None, network.MATCH):
        return "flag"
    return None


def _escape_header(text: str) -> str:
    return str(text).replace("&", "&&")


def wraps_text(key: str, col: str) -> bool:
    """Whether a column's text wraps (the row grows) rather than runs into the next one."""
    return col in _WRAP_COLUMNS


#: height (points) of one line of the default 11-point font
_LINE_HEIGHT = 15


_MAX_ROW_HEIGHT = 409

_TEXT_OR_NONE = frozenset({str, type(None)})


def head_columns(rows: list[list[Any]], n: int) -> list[tuple[Any, ...]]:
    """The values of the first 300 rows (what widths are measured on), column by column."""
    head = list(zip(*rows[:300]))
    return head if head else [()] * n


def wrap_cut_text(head: list[tuple[Any, ...]], kinds: list[str], wraps: list[bool], widths: list[float]) -> list[bool]:
    """Wrap also a text column whose longest value (of the first 300 rows, ``head``: as
    the width is measured) is wider than the column: otherwise the next column cuts it on
    screen."""
    out = list(wraps)
    for j, kind in enumerate(kinds):
        if out[j] or kind != "text":
            continue
        values = head[j]
        if set(map(type, values)) <= _TEXT_OR_NONE:
            longest = max(map(len, filter(None, values)), default=0)
        else:
            longest = max(map(len, [v for v in values if isinstance(v, str)]), default=0)
        out[j] = longest > widths[j] - 1
    return out


def row_heights(first: int, rows: list[list[Any]], widths: list[float], wraps: list[bool]) -> dict[int, float]:
    """The height (points) of each row with a wrapped text of more than one line, by
    sheet row (from ``first``): LibreOffice keeps the stored height of an .xlsx row, so
    without it a wrapped text runs over the next row."""
    lines: dict[int, int] = {}  # row -> lines, only rows with a text longer than one line
    for j, w in enumerate(wraps):
        if not w:
            continue
        per_line = max(widths[j] - 1.5, 4)
        for i, v in [(i, v) for i, vals in enumerate(rows) if isinstance(v := vals[j], str) and len(v) > per_line]:
            if "\n" in v:
                n = sum(max(1, math.ceil(len(part) / per_line)) for part in v.split("\n"))
            else:
                n = math.ceil(len(v) / per_line)
            if n > lines.get(i, 1):
                lines[i] = n
    return {first + i: min(_LINE_HEIGHT * lines[i], _MAX_ROW_HEIGHT) for i in sorted(lines)}


def column_widths(
    key: str, cols: list[str], labels: list[str], head: list[tuple[Any, ...]], wraps: list[bool]
) -> list[float]:
    """Column widths (characters): the longest value as shown (of the first 300 rows,
    ``head_columns``), a wrapped text column at most ``_WRAP_WIDTH``; Přehled has fixed
    widths."""
    if key == "overview":
        fixed = {"label": 40, "value": 48, "unit": 13, "note": 60, "metric": 16}
        return [fixed.get(col, 14) for col in cols]
    out = []
    for j, (col, values) in enumerate(zip(cols, head)):
        if col == "status":
            values = tuple(STATUS_LABELS.get(v, v) if isinstance(v, str) else v for v in values)
        width = _width(key, col, labels[j], values)
        if wraps[j]:
            width = min(width, _WRAP_WIDTH)
        out.append(width)
    return out


def coverage_highlight(w: Writer, ws: Any, cols: list[str], layout: SheetLayout) -> None:
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


def print_setup(ws: Any, key: str, cols: list[str], widths: list[float], layout: SheetLayout, title: str) -> None:
    """A4 landscape, header row (and on a sheet several pages wide the naming columns)
    repeated on every page, one page wide unless the text would shrink below ~75 %."""
    ws.set_landscape()
    ws.set_paper(9)
    printed = sum(wd for col, wd in zip(cols, widths) if col not in MACHINE_COLUMNS)
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


def overview_kind(r: dict[str, Any]) -> str:
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
