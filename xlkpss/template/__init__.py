"""Stage 1: spec → blank Excel templates (xlsxwriter).

Everything in the workbook is generated from the field spec: column headers, header
comments, dropdowns (from the hidden lists sheet — inline lists break at 255
characters), numeric/date/length input rules with Czech messages, number formats that
survive a Czech LibreOffice (``#,##0" Kč"``: the space sits inside the quotes), the
instructions sheet, and a hidden metadata sheet with kind, version and spec fingerprint.

The bytes are deterministic for the same inputs (fixed document dates).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from xlkpss import __version__
from xlkpss.cells import col_letter
from xlkpss.codelists import CodeList, Territory, codelist, municipalities, orps, regions
from xlkpss.fsutil import atomic_path
from xlkpss.i18n import describe_field, format_date, format_number
from xlkpss.spec import Field, SheetSpec, TemplateSpec, get_template

__all__ = [
    "DROPDOWN_WORDS",
    "LISTS_SHEET",
    "META_SHEET",
    "NAVOD_HEADS",
    "NO_DROPDOWN_WORDS",
    "NUM_FORMATS",
    "PRINT_MIN_SCALE",
    "PrintLayout",
    "REFUSES_WORDS",
    "allowed_text",
    "example_display",
    "YEAR_FORMAT",
    "build_template",
    "field_cell",
    "field_column",
    "list_ranges",
    "num_format",
    "print_layout",
    "prefill_identification",
]

#: Hidden sheet with the dropdown lists.  "hidden", never "veryHidden": LibreOffice
#: silently downgrades veryHidden, so tests could not tell the difference.
LISTS_SHEET = "Číselníky"
#: Hidden sheet identifying the template kind, version and spec fingerprint.
META_SHEET = "_xlkpss"

#: Number format per field type.  Spaces only inside quotes: Czech LibreOffice reads an
#: unquoted space after a digit placeholder as a thousands scaler and corrupts it.
NUM_FORMATS: dict[str, str | None] = {
    "text": "@",
    "integer": "#,##0",
    "decimal": "#,##0.0#",
    "money": '#,##0" Kč"',
    "date": "d.m.yyyy",
    "code": None,
    "ico": "@",
    "email": "@",
    "phone": "@",
}

#: Four-digit whole numbers (years such as Rok 2000–2100) show no thousands separator:
#: "2026", not "2 026".
YEAR_FORMAT = "0"


def num_format(fld: Field) -> str | None:
    """The number format of a field's input cells."""
    if fld.type == "integer" and fld.min is not None and fld.max is not None and 1000 <= fld.min and fld.max <= 9999:
        return YEAR_FORMAT
    return NUM_FORMATS[fld.type]


def _format_key(fld: Field) -> str:
    return "year" if num_format(fld) == YEAR_FORMAT else fld.type


_FIXED_DATE = dt.datetime(2024, 1, 1, 0, 0, 0)
_DATE_MIN = dt.date(2000, 1, 1)
_DATE_MAX = dt.date(2100, 12, 31)
_BIG = 10**12


#: Printing on A4 landscape: no page is printed smaller than this (per cent); a sheet wider
#: than a page is split into several pages across, the identifying columns repeated.
PRINT_MIN_SCALE = 70
#: left/right and top/bottom page margins (inches) of every printed sheet
_MARGIN_LR, _MARGIN_TB = 0.4, 0.6
#: printable width of A4 landscape in pixels at 100 % (96 dpi)
_PAGE_PX = (297 / 25.4 - 2 * _MARGIN_LR) * 96
#: header and footer of every printed page: sheet name, page x of y
_PRINT_HEADER = "&L&A"
_PRINT_FOOTER = "&RStrana &P z &N"


def _col_px(width: float) -> int:
    """A column's width in pixels (Calibri 11: 7 px per character + 5 px padding)."""
    return int(width * 7 + 5)


@dataclass(frozen=True)
class PrintLayout:
    """How a table sheet prints: ``repeat`` leading columns repeated on every page (0 =
    none), the first column (0-based) of each further page across, and the print scale
    (a sheet one page wide is fitted to the page width instead)."""

    repeat: int
    breaks: tuple[int, ...]
    scale: int

    @property
    def pages_across(self) -> int:
        return len(self.breaks) + 1


def _units(fields: tuple[Field, ...], start: int) -> list[list[int]]:
    """Column indexes from ``start`` in runs printed together: a repeated group (Cílová
    skupina 1–5) and the funding sources stay on one page when they fit."""
    units: list[list[int]] = []
    prev = None
    for i in range(start, len(fields)):
        f = fields[i]
        key = f.group or ("funding" if f.funding else None)
        if units and key is not None and key == prev:
            units[-1].append(i)
        else:
            units.append([i])
        prev = key
    return units


def _breaks(sheet: SheetSpec, scale: int, keep_together: bool = True) -> tuple[int, tuple[int, ...]]:
    widths = [_col_px(f.width or 14) for f in sheet.fields]
    budget = _PAGE_PX * 100 / scale
    if sum(widths) <= budget:
        return 0, ()
    keys = [f.key for f in sheet.fields]
    repeat = keys.index(sheet.print_repeat) + 1 if sheet.print_repeat else 0
    room = budget - sum(widths[:repeat])
    breaks: list[int] = []
    used = sum(widths[:repeat])  # page 1 holds the repeated columns themselves
    room_first = budget
    units = _units(sheet.fields, repeat) if keep_together else [[i] for i in range(repeat, len(widths))]
    for unit in units:
        w = sum(widths[i] for i in unit)
        limit = room_first if not breaks else room
        if used + w <= limit:
            used += w
            continue
        if w <= room:  # the unit fits a fresh page: break before it
            breaks.append(unit[0])
            used = w
            continue
        for i in unit:  # wider than a page: split it column by column
            limit = room_first if not breaks else room
            if used + widths[i] > limit and used > 0:
                breaks.append(i)
                used = 0
            used += widths[i]
    return repeat, tuple(breaks)


def print_layout(sheet: SheetSpec) -> PrintLayout:
    """The print layout of a table sheet: the fewest pages across at no less than
    ``PRINT_MIN_SCALE`` per cent, at the largest scale that needs no more pages; related
    columns (a repeated group, the funding sources) kept on one page when that costs no page."""
    options = [(s, together, *_breaks(sheet, s, together)) for s in range(100, PRINT_MIN_SCALE - 1, -5) for together in (True, False)]
    fewest = min(len(o[3]) for o in options)
    scale, _, repeat, breaks = next(o for o in options if len(o[3]) == fewest)
    return PrintLayout(repeat if breaks else 0, breaks, scale)


def _page_setup(ws) -> None:
    """A4 landscape with the shared margins, header and footer."""
    ws.set_landscape()
    ws.set_paper(9)
    ws.set_margins(left=_MARGIN_LR, right=_MARGIN_LR, top=_MARGIN_TB, bottom=_MARGIN_TB)
    ws.set_header(_PRINT_HEADER)
    ws.set_footer(_PRINT_FOOTER)


#: the Návod's column heads
NAVOD_HEADS = ("Sloupec / údaj", "Povinné", "Co vyplnit", "Povolené hodnoty a buňka", "Příklad")
#: how the Návod says that a cell has a dropdown / refuses other values (tests look for these words)
DROPDOWN_WORDS = "rozbalovací nabídka"
REFUSES_WORDS = "buňka nepřijme"
NO_DROPDOWN_WORDS = "bez rozbalovací nabídky"


def allowed_text(fld: Field, validation: dict | None, cl: CodeList | None = None) -> str:
    """The Návod's (and the header comment's) „Povolené hodnoty“ of a field: what the
    check accepts (``describe_field``) and what the cell's data validation does."""
    kind = (validation or {}).get("validate")
    if fld.type == "code" and cl is not None:
        if kind == "list":
            values = ", ".join(cl.displays()) if len(cl) <= 8 else f"seznam „{cl.title}“ ({format_number(len(cl))} položek)"
            return f"{DROPDOWN_WORDS}: {values}"
        return f"{NO_DROPDOWN_WORDS}: napište kód nebo název ze seznamu „{cl.title}“ ({format_number(len(cl))} položek)"
    words = describe_field(fld)
    if kind in ("integer", "decimal"):
        lo, hi = validation["minimum"], validation["maximum"]
        if (lo, hi) != (fld.min if fld.min is not None else -_BIG, fld.max if fld.max is not None else _BIG):
            raise ValueError(f"{fld.key}: the cell's rule and the field's bounds differ")  # one source: the spec
        return f"{words} – jiné {REFUSES_WORDS}"
    if kind == "date":
        return f"{words} od {format_date(validation['minimum'])} do {format_date(validation['maximum'])} – jiné {REFUSES_WORDS}"
    if kind == "length":
        if validation["criteria"] == "==":
            return f"{words} – jinou délku než {validation['value']} znaků {REFUSES_WORDS}"
        limit = validation.get("maximum", validation.get("value"))
        return f"{words} – delší než {format_number(limit)} znaků {REFUSES_WORDS}"
    return words


def example_display(fld: Field, cl: CodeList | None = None) -> str:
    """A field's spec example as its cell shows it (dropdown text, Czech number format)."""
    raw = str(fld.example or "")
    if not raw or (fld.group_index or 1) > 1:  # a repeated column (Cílová skupina 2–5): the first one shows it
        return ""
    if fld.type == "code" and fld.codelist and fld.dropdown:
        item = (cl or codelist(fld.codelist)).resolve(raw) or codelist(fld.codelist).resolve(raw)
        return item.display if item is not None else raw
    if fld.type in ("integer", "money") and num_format(fld) != YEAR_FORMAT:
        try:
            number = format_number(float(raw.replace(",", ".").replace(" ", "")))
        except ValueError:
            return raw
        return f"{number} Kč" if fld.type == "money" else number
    return raw


@dataclass(frozen=True)
class ListRange:
    name: str  # code list name
    column: int  # 0-based on the lists sheet
    count: int

    def ref(self) -> str:
        col = col_letter(self.column)
        return f"='{LISTS_SHEET}'!${col}$2:${col}${self.count + 1}"


def _scoped_lists(t: TemplateSpec, scope: Territory) -> dict[str, CodeList]:
    """The code lists used by dropdowns of this template, limited to the territory."""
    names: list[str] = []
    for s in t.data_sheets:
        for f in s.fields:
            if f.type == "code" and f.dropdown and f.codelist not in names:
                names.append(f.codelist)
    return {n: codelist(n, scope) for n in names}


def list_ranges(t: TemplateSpec, scope: Territory) -> dict[str, ListRange]:
    lists = _scoped_lists(t, scope)
    return {name: ListRange(name, i, len(cl)) for i, (name, cl) in enumerate(lists.items())}


def prefill_identification(t: TemplateSpec, scope: Territory, year: int | None) -> dict[str, object]:
    """Values written into Identifikace for a territory (codes shown as their dropdown text)."""
    values: dict[str, object] = {}
    submitter = codelist("typ_predkladatele")
    if year:
        values["rok"] = year
    if scope.level == "obec":
        m = municipalities()[scope.code]
        values.update(typ_predkladatele=submitter.get("obec").display, kod_obce=m.code, nazev=m.name, kod_orp=m.orp_name, kod_kraje=m.kraj_name)
    elif scope.level == "orp":
        o = orps()[scope.code]
        values.update(
            typ_predkladatele=submitter.get("orp").display,
            kod_obce=o["kod_obce_sidla"],
            nazev=o["nazev_orp"],
            kod_orp=o["nazev_orp"],
            kod_kraje=o["nazev_kraje"],
        )
    elif scope.level == "kraj":
        values.update(kod_kraje=regions()[scope.code]["nazev_kraje"])
    keys = {f.key for s in t.data_sheets for f in s.fields}
    return {k: v for k, v in values.items() if k in keys}


def field_column(kind: str, sheet_key: str, field_key: str) -> str:
    """Column letter of a field on a table sheet of the template (header in row 1)."""
    keys = [f.key for f in get_template(kind).sheet(sheet_key).fields]
    return col_letter(keys.index(field_key))


def field_cell(kind: str, sheet_key: str, field_key: str, excel_row: int | None = None) -> str:
    """Where a field's value goes: on a key–value sheet the cell in column B of its row
    (labels in A from row 2), on a table sheet the field's column in ``excel_row``."""
    sheet = get_template(kind).sheet(sheet_key)
    if sheet.layout == "keyvalue":
        keys = [f.key for f in sheet.fields]
        return f"B{keys.index(field_key) + 2}"
    if excel_row is None:
        raise ValueError("a table field needs a row")
    return f"{field_column(kind, sheet_key, field_key)}{excel_row}"


def _row_height(texts: tuple[str, ...], widths: tuple[float, ...]) -> float:
    """Height for wrapped text: LibreOffice does not grow rows of a generated file by
    itself, so without this the printed Návod overlaps (about 1.1 characters per width unit)."""
    import math

    lines = max(max(1, math.ceil(len(t) / max(1.0, w * 1.1))) for t, w in zip(texts, widths))
    return 15.0 * lines


class _Writer:
    def __init__(self, wb, t: TemplateSpec, scope: Territory, year: int | None):
        self.wb = wb
        self.t = t
        self.scope = scope
        self.year = year
        self.lists = _scoped_lists(t, scope)
        self.ranges = list_ranges(t, scope)
        f = wb.add_format
        self.fmt_title = f({"bold": True, "font_size": 14, "font_color": "#1F3864"})
        self.fmt_sub = f({"bold": True, "font_size": 11, "font_color": "#1F3864"})
        self.fmt_wrap = f({"text_wrap": True, "valign": "top"})
        self.fmt_bold = f({"bold": True, "valign": "top", "text_wrap": True})
        head = {"bold": True, "text_wrap": True, "valign": "top", "border": 1, "locked": True}
        self.fmt_head = f({**head, "bg_color": "#DDEBF7"})
        self.fmt_head_req = f({**head, "bg_color": "#FCE4D6"})
        self.fmt_key = f({"bold": True, "valign": "top", "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
        self.fmt_key_req = f({"bold": True, "valign": "top", "bg_color": "#FCE4D6", "border": 1, "text_wrap": True})
        self.fmt_help = f({"italic": True, "font_color": "#595959", "text_wrap": True, "valign": "top"})
        self.cell_formats = {}
        for typ, nf in NUM_FORMATS.items():
            props = {"locked": False}
            if nf:
                props["num_format"] = nf
            self.cell_formats[typ] = f(props)
        self.fmt_kv_value = {typ: f({**({"num_format": nf} if nf else {}), "locked": False, "border": 1, "bg_color": "#FFFFFF"}) for typ, nf in NUM_FORMATS.items()}
        self.cell_formats["year"] = f({"locked": False, "num_format": YEAR_FORMAT})
        self.fmt_kv_value["year"] = f({"num_format": YEAR_FORMAT, "locked": False, "border": 1, "bg_color": "#FFFFFF"})

    # -- validations -----------------------------------------------------------------
    def validation(self, fld: Field) -> dict | None:
        title = fld.label[:32]
        message = (fld.help or describe_field(fld))[:255]
        base = {
            "input_title": title,
            "input_message": message,
            "error_title": "Neplatná hodnota"[:32],
            "error_message": f"{fld.label}: očekává se {describe_field(fld)}."[:255],
            "ignore_blank": True,
        }
        if fld.type == "code":
            if not fld.dropdown:
                return None
            return {**base, "validate": "list", "source": self.ranges[fld.codelist].ref()}
        if fld.type in ("integer", "decimal", "money"):
            lo = fld.min if fld.min is not None else -_BIG
            hi = fld.max if fld.max is not None else _BIG
            kind = "integer" if fld.type == "integer" else "decimal"
            return {**base, "validate": kind, "criteria": "between", "minimum": lo, "maximum": hi}
        if fld.type == "date":
            return {**base, "validate": "date", "criteria": "between", "minimum": _DATE_MIN, "maximum": _DATE_MAX}
        if fld.digits:
            return {**base, "validate": "length", "criteria": "==", "value": fld.digits}
        if fld.type == "ico":
            return {**base, "validate": "length", "criteria": "between", "minimum": 1, "maximum": 8}
        limit = fld.max_length or {"email": 254, "phone": 30}.get(fld.type)
        if limit:
            return {**base, "validate": "length", "criteria": "<=", "value": limit}
        return {**base, "validate": "any"}

    # -- sheets ------------------------------------------------------------------------
    #: columns of the Návod: label, required, help, allowed values and the cell's rule, example
    _NAVOD_WIDTHS = (24, 8, 50, 38, 24)

    def write_instructions(self, sheet: SheetSpec) -> None:
        ws = self.wb.add_worksheet(sheet.name)
        widths = self._NAVOD_WIDTHS
        for c, w in enumerate(widths):
            ws.set_column(c, c, w)
        last = len(widths) - 1
        ws.write(0, 0, self.t.title, self.fmt_title)
        ws.merge_range(1, 0, 1, last, self.t.description, self.fmt_wrap)
        ws.set_row(1, _row_height((self.t.description,), (sum(widths),)))
        row = 3
        ws.write(row, 0, "Jak vyplnit", self.fmt_sub)
        row += 1
        for line in self.general_lines():
            ws.merge_range(row, 0, row, last, f"• {line}", self.fmt_wrap)
            ws.set_row(row, _row_height((f"• {line}",), (sum(widths),)))
            row += 1
        for s in self.t.data_sheets:
            row += 1
            ws.write(row, 0, f"List „{s.name}“", self.fmt_sub)
            row += 1
            intro = " ".join(x for x in (s.help, self.example_line(s)) if x)
            if intro:
                ws.merge_range(row, 0, row, last, intro, self.fmt_wrap)
                ws.set_row(row, _row_height((intro,), (sum(widths),)))
                row += 1
            for col, text in enumerate(NAVOD_HEADS):
                ws.write(row, col, text, self.fmt_head)
            row += 1
            for fld in s.fields:
                texts = (fld.label, "ano" if self._required(fld) else "", fld.help, self._allowed(fld), self.example_text(fld))
                ws.write_string(row, 0, texts[0], self.fmt_bold)
                for col in range(1, len(texts)):
                    ws.write_string(row, col, texts[col], self.fmt_wrap)
                ws.set_row(row, _row_height(texts, widths))
                row += 1
        ws.protect("", {"select_locked_cells": True, "select_unlocked_cells": True})
        _page_setup(ws)
        ws.fit_to_pages(1, 0)

    def general_lines(self) -> list[str]:
        """The „Jak vyplnit“ bullets; what they say about dropdowns, rules, colours and the
        example is true of this workbook (generated from the same fields)."""
        fields = [f for s in self.t.data_sheets for f in s.fields]
        lines = ["Vyplňujte jen bílé buňky; nadpisy a skryté listy neměňte a listy nepřejmenovávejte."]
        if any(self.validation(f) and self.validation(f)["validate"] == "list" for f in fields):
            lines.append(f"Kde je ve sloupci {NAVOD_HEADS[3]} „{DROPDOWN_WORDS}“, vyberte hodnotu ze seznamu "
                         "(šipka vpravo od buňky); jinde hodnotu napište.")  # fmt: skip
        if any(self.validation(f) and self.validation(f)["validate"] not in ("list", "any") for f in fields):
            lines.append(f"Kde sloupec {NAVOD_HEADS[3]} píše „… {REFUSES_WORDS}“, Excel i LibreOffice jinou hodnotu "
                         "odmítnou hned při psaní a napíšou proč.")  # fmt: skip
        lines.append("Čísla pište bez textu („20“, ne „cca 20“); částky v Kč bez „Kč“ a „,-“.")
        if any(self._required(f) for f in fields):
            lines.append("Oranžově označené sloupce a údaje jsou povinné (ve sloupci Povinné „ano“).")
        lines.append(f"Sloupec {NAVOD_HEADS[4]} ukazuje u každého listu jeden celý, správně vyplněný řádek. Příklad je jen "
                     "tady v Návodu, na listy jej neopisujte a nic z něj nemažte; do kontroly ani souhrnu se nepočítá.")  # fmt: skip
        lines.append("Soubor uložte jako .xlsx (Excel) nebo .ods (LibreOffice) a pošlete koordinátorovi.")
        lines.append(f"Šablona „{self.t.kind}“, verze {self.t.version} (otisk {self.t.fingerprint}), vytvořeno programem xlkpss.")
        return lines

    @staticmethod
    def example_line(sheet: SheetSpec) -> str:
        if sheet.layout != "table":
            return ""
        return f"Příklad jednoho řádku listu „{sheet.name}“ je ve sloupci {NAVOD_HEADS[4]}."

    def example_text(self, fld: Field) -> str:
        """The spec's example as the cell shows it: a code as its dropdown text, numbers in
        Czech format (``48 500 000 Kč``)."""
        return example_display(fld, self.lists.get(fld.codelist or ""))

    def _allowed(self, fld: Field) -> str:
        """What the field accepts and what its cell does — from the very data validation
        the cell gets (``validation``), so the Návod cannot promise a dropdown or a rule
        that is not there."""
        return allowed_text(fld, self.validation(fld), self.lists.get(fld.codelist or "") or (
            codelist(fld.codelist, self.scope) if fld.codelist else None))  # fmt: skip

    def write_keyvalue(self, sheet: SheetSpec, values: dict[str, object]) -> None:
        ws = self.wb.add_worksheet(sheet.name)
        ws.set_column(0, 0, 26)
        ws.set_column(1, 1, 42)
        ws.set_column(2, 2, 70)
        for col, text in enumerate(["Údaj", "Hodnota", "Nápověda"]):
            ws.write_string(0, col, text, self.fmt_head)
        for i, fld in enumerate(sheet.fields, start=1):
            ws.write_string(i, 0, fld.label, self.fmt_key_req if self._required(fld) else self.fmt_key)
            fmt = self.fmt_kv_value[_format_key(fld)]
            value = values.get(fld.key)
            self._write_value(ws, i, 1, value, fmt)
            ws.write_string(i, 2, fld.help, self.fmt_help)
            ws.set_row(i, _row_height((fld.label, fld.help), (26, 70)))
            v = self.validation(fld)
            if v:
                ws.data_validation(i, 1, i, 1, v)
        ws.freeze_panes(1, 0)
        ws.protect("", {"select_locked_cells": True, "select_unlocked_cells": True, "format_columns": True, "format_rows": True})
        ws.activate()
        _page_setup(ws)  # one page: the help column printed next to its value
        ws.print_area(0, 0, len(sheet.fields), 2)
        ws.fit_to_pages(1, 1)

    @staticmethod
    def _write_value(ws, row: int, col: int, value: object, fmt) -> None:
        """A pre-filled value: numbers and dates typed, everything else as text (a name
        starting with ``=`` stays text, never a formula)."""
        if value is None:
            ws.write_blank(row, col, None, fmt)
        elif isinstance(value, bool):
            ws.write_string(row, col, "ano" if value else "ne", fmt)
        elif isinstance(value, (int, float)):
            ws.write_number(row, col, value, fmt)
        elif isinstance(value, (dt.date, dt.datetime)):
            ws.write_datetime(row, col, value, fmt)
        else:
            ws.write_string(row, col, str(value), fmt)

    def write_table(
        self,
        sheet: SheetSpec,
        rows: list[dict[str, object]] | None = None,
        comments: dict[tuple[int, str], str] | None = None,
    ) -> None:
        ws = self.wb.add_worksheet(sheet.name)
        rows = rows or []
        last_row = max(sheet.rows, len(rows))  # header on row 0, data rows 1..rows
        columns = []
        for c, fld in enumerate(sheet.fields):
            ws.set_column(c, c, fld.width or 14, self.cell_formats[_format_key(fld)])
            columns.append({"header": fld.label, "header_format": self.fmt_head_req if self._required(fld) else self.fmt_head})
        ws.add_table(
            0,
            0,
            last_row,
            len(sheet.fields) - 1,
            {"name": sheet.table, "columns": columns, "style": "Table Style Light 9", "autofilter": True},
        )
        for c, fld in enumerate(sheet.fields):
            ws.write_comment(0, c, f"{fld.label}\n{fld.help}\nPovolené: {self._allowed(fld)}", {"author": "xlkpss", "x_scale": 2.2, "y_scale": 1.6})
            v = self.validation(fld)
            if v:
                ws.data_validation(1, c, last_row, c, v)
        for r, values in enumerate(rows, start=1):
            for c, fld in enumerate(sheet.fields):
                if values.get(fld.key) is not None:
                    self._write_value(ws, r, c, values[fld.key], self.cell_formats[_format_key(fld)])
        keys = [f.key for f in sheet.fields]
        for (i, key), text in sorted((comments or {}).items()):
            ws.write_comment(i + 1, keys.index(key), text, {"author": "xlkpss", "x_scale": 2.0, "y_scale": 1.4})
        ws.set_row(0, 45)
        ws.freeze_panes(1, 0)
        ws.protect(
            "",
            {
                "select_locked_cells": True,
                "select_unlocked_cells": True,
                "format_columns": True,
                "format_rows": True,
                "insert_rows": True,
                "delete_rows": True,
                "sort": True,
                "autofilter": True,
            },
        )
        _page_setup(ws)
        layout = print_layout(sheet)
        # only the table's columns print, whole columns: as many rows as are filled (Excel and
        # LibreOffice print no empty rows below), nothing placed to the right of the table
        ws.print_area(0, 0, 1_048_575, len(sheet.fields) - 1)
        ws.repeat_rows(0)
        if layout.repeat:
            ws.repeat_columns(0, layout.repeat - 1)
        if layout.breaks:
            ws.set_v_pagebreaks(list(layout.breaks))
            ws.set_print_scale(layout.scale)
        else:  # one page across in any font (LibreOffice without Calibri prints wider)
            ws.fit_to_pages(1, 0)

    @staticmethod
    def _required(fld: Field) -> bool:
        return fld.required or bool(fld.min_count and fld.group_index == 1)

    def write_lists(self) -> None:
        ws = self.wb.add_worksheet(LISTS_SHEET)
        bold = self.wb.add_format({"bold": True})
        for name, cl in self.lists.items():
            col = self.ranges[name].column
            ws.write_string(0, col, cl.title, bold)
            ws.set_column(col, col, 30)
            for r, text in enumerate(cl.displays(), start=1):
                ws.write_string(r, col, text)
            rng = self.ranges[name]
            self.wb.define_name(f"seznam_{name}", rng.ref())
        ws.hide()
        ws.protect("")

    def write_meta(self, extra: dict[str, str] | None = None) -> None:
        ws = self.wb.add_worksheet(META_SHEET)
        rows = [
            ("kind", self.t.kind),
            ("version", str(self.t.version)),
            ("fingerprint", self.t.fingerprint),
            ("generator", f"xlkpss {__version__}"),
            ("year", str(self.year or "")),
            ("territory", f"{self.scope.level}:{self.scope.code}"),
        ]
        taken = {k for k, _ in rows}
        rows += [(k, v) for k, v in (extra or {}).items() if k not in taken]
        for r, (k, v) in enumerate(rows):
            ws.write_string(r, 0, k)
            ws.write_string(r, 1, v)
        ws.hide()
        ws.protect("")


def build_template(
    kind: str,
    path: str | Path,
    *,
    year: int | None = None,
    scope: Territory | None = None,
    prefill: dict[str, object] | None = None,
    rows: dict[str, list[dict[str, object]]] | None = None,
    comments: dict[str, dict[tuple[int, str], str]] | None = None,
    meta: dict[str, str] | None = None,
) -> Path:
    """Write a blank (or pre-filled) template of ``kind`` to ``path`` atomically.

    ``prefill`` sets identification values (field key → value as a person would type
    it: code-list values as their dropdown text).  ``rows`` pre-fills table sheets
    (sheet key → rows of field key → value); ``xlkpss rollover`` uses it for next
    year's plan.  Numbers and dates are written typed, everything else as text.
    ``comments`` adds cell comments to those rows (sheet key → (row index in ``rows``,
    field key) → text); ``meta`` adds key–value lines to the hidden metadata sheet
    (the built-in keys cannot be overridden).  ``xlkpss.template.prefill`` uses both.
    """
    import xlsxwriter

    from xlkpss.codelists import STATE

    t = get_template(kind)
    scope = scope or STATE
    values = prefill_identification(t, scope, year)
    if prefill:
        values.update(prefill)
    path = Path(path)
    with atomic_path(path) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False})
        wb.set_properties(
            {
                "title": t.title,
                "subject": f"xlkpss {t.kind} v{t.version}",
                "author": "xlkpss",
                "company": "",
                "created": _FIXED_DATE,
                "comments": t.description,
            }
        )
        wb.set_custom_property("xlkpss_kind", t.kind)
        wb.set_custom_property("xlkpss_version", str(t.version))
        w = _Writer(wb, t, scope, year)
        for sheet in t.sheets:
            if sheet.layout == "instructions":
                w.write_instructions(sheet)
            elif sheet.layout == "keyvalue":
                w.write_keyvalue(sheet, values)
            else:
                w.write_table(sheet, (rows or {}).get(sheet.key), (comments or {}).get(sheet.key))
        w.write_lists()
        w.write_meta(meta)
        wb.close()
    return path
