"""What calamine does not say about ``.xls`` and ``.ods``: formula errors of a binary
``.xls`` (read with xlrd) and, from an ods ``content.xml``, formula errors, LibreOffice's
numeric ``=TRUE()`` cells and durations."""

from __future__ import annotations

import datetime as dt
import os
import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xlkpss.read.model import RawWorkbook
from xlkpss.read.normalise import merged_ranges, set_errors
from xlkpss.read.safety import local_name, member_matches
from xlkpss.read.sniff import Probe

__all__ = ["apply_ods_marks", "apply_xls_errors"]

# Formula error texts written by Excel (#…) and LibreOffice (Err:5xx).
_ERROR_TEXT = re.compile(
    r"^(?:#(?:NULL!|DIV/0!|VALUE!|REF!|NAME\?|NUM!|N/A|SPILL!|CALC!|GETTING_DATA|FIELD!|BLOCKED!|"
    r"CONNECT!|BUSY!|UNKNOWN!|EXTERNAL!)|Err:\d{3})$"
)
_ERROR_TEXT_BYTES = re.compile(
    rb">(?:#(?:NULL!|DIV/0!|VALUE!|REF!|NAME\?|NUM!|N/A|SPILL!|CALC!|GETTING_DATA|FIELD!|BLOCKED!|"
    rb"CONNECT!|BUSY!|UNKNOWN!|EXTERNAL!)|Err:\d{3})<"
)
_ODS_DURATION = re.compile(r"^-?PT(\d+)H(\d+)M(\d+(?:\.\d+)?)S$")
_ODS_NS_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_ODS_NS_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_ODS_NS_CALCEXT = "urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"
_A_FORMULA = f"{{{_ODS_NS_TABLE}}}formula"
_A_NAME = f"{{{_ODS_NS_TABLE}}}name"
_A_ROWS_REP = f"{{{_ODS_NS_TABLE}}}number-rows-repeated"
_A_COLS_REP = f"{{{_ODS_NS_TABLE}}}number-columns-repeated"
_A_ROWS_SPAN = f"{{{_ODS_NS_TABLE}}}number-rows-spanned"
_A_COLS_SPAN = f"{{{_ODS_NS_TABLE}}}number-columns-spanned"
#: a cell merged over more than one row (what the table reading uses); every LibreOffice ods
#: has cells spanned over one row only (the instructions' headings), which need no parse
_ODS_SPANNED = re.compile(rb"""number-rows-spanned=["'](?!1["'])\d+""")
_A_VTYPE = f"{{{_ODS_NS_OFFICE}}}value-type"
_A_CALC_VTYPE = f"{{{_ODS_NS_CALCEXT}}}value-type"
_ODS_BOOL_FORMULA = re.compile(rb"""table:formula="of:=(?:TRUE|FALSE)\(\)\"""")
_MAX_REPEAT_MARKS = 1024  # a repeated error cell is marked at most this many times


def apply_xls_errors(path: Path, wb: RawWorkbook, max_rows: int) -> None:
    """Formula errors of a binary .xls, which calamine returns as blanks: xlrd sees them as
    error cells.  Runs inside the sandboxed worker like every parser; if xlrd cannot open
    a file calamine could read, the file simply has no known error cells."""
    import xlrd

    try:
        with open(os.devnull, "w") as quiet:
            book = xlrd.open_workbook(str(path), on_demand=True, logfile=quiet)
    except Exception:  # noqa: BLE001 - calamine already read the values; errors stay unknown
        return
    try:
        for sheet in wb.sheets:
            try:
                xs = book.sheet_by_name(sheet.name)
            except Exception:  # noqa: BLE001, S112 - a sheet xlrd cannot parse
                continue
            errors: dict[tuple[int, int], str] = {}
            for r in range(min(xs.nrows, max_rows)):
                types = xs.row_types(r)
                if xlrd.XL_CELL_ERROR not in types:
                    continue
                for c, t in enumerate(types):
                    if t == xlrd.XL_CELL_ERROR:
                        errors[(r, c)] = xlrd.error_text_from_code.get(xs.cell_value(r, c), "#ERR!")
            set_errors(sheet, errors, max_rows)
    finally:
        book.release_resources()


@dataclass
class _OdsMarks:
    #: sheet -> (row0, col0) -> error text
    errors: dict[str, dict[tuple[int, int], str]] = field(default_factory=dict)
    #: sheet -> (row0, col0) -> bool, for ``=TRUE()``/``=FALSE()`` stored as numbers
    bools: dict[str, dict[tuple[int, int], bool]] = field(default_factory=dict)
    #: sheet -> merged ranges (``RawSheet.merged``, before the row limit), which calamine keeps none of for
    #: ods; read only from a file with a range over more than one row (``_ODS_SPANNED``)
    merged: dict[str, list[tuple[int, int, int, int]]] = field(default_factory=dict)


def _ods_marks(zf: zipfile.ZipFile, part: str) -> _OdsMarks:
    """Formula error cells and LibreOffice's numeric ``=TRUE()`` cells in content.xml.

    LibreOffice stores errors of formulas as text ("#DIV/0!", "Err:502", with
    ``calcext:value-type="error"``) or, in old files, as the number 0 with the error as
    display text; calamine returns that text or 0.  A byte scan skips the parse for the
    usual file without errors.
    """
    marks = _OdsMarks()
    has_errors = member_matches(zf, part, _ERROR_TEXT_BYTES)
    has_bools = member_matches(zf, part, _ODS_BOOL_FORMULA)
    has_spans = member_matches(zf, part, _ODS_SPANNED)
    if not (has_errors or has_bools or has_spans):
        return marks
    sheet = ""
    row0 = col0 = -1
    rows_rep = 1
    table: ET.Element | None = None
    with zf.open(part) as fh:
        for event, el in ET.iterparse(fh, events=("start", "end")):
            tag = local_name(el.tag)
            if event == "start":
                if tag == "table" and el.tag.startswith("{" + _ODS_NS_TABLE):
                    sheet = el.get(_A_NAME) or ""
                    row0, table = -1, el
                elif tag == "table-row":
                    row0 += 1
                    col0 = 0
                    rows_rep = int(el.get(_A_ROWS_REP) or 1)
                continue
            if tag in ("table-cell", "covered-table-cell"):
                cols_rep = int(el.get(_A_COLS_REP) or 1)
                spans = el.get(_A_ROWS_SPAN), el.get(_A_COLS_SPAN)
                if spans != (None, None):
                    r1, c1 = row0 + int(spans[0] or 1) - 1, col0 + int(spans[1] or 1) - 1
                    if (r1, c1) != (row0, col0):
                        marks.merged.setdefault(sheet, []).append((row0, col0, r1, c1))
                formula = el.get(_A_FORMULA)
                if formula is not None:
                    _ods_mark_cell(marks, sheet, el, formula, row0, col0, rows_rep, cols_rep)
                col0 += cols_rep
                el.clear()
            elif tag == "table-row":
                row0 += rows_rep - 1
                if table is not None:
                    table.clear()  # drop processed rows (rows may sit in row groups: harmless)
    return marks


def _ods_mark_cell(
    marks: _OdsMarks, sheet: str, el: ET.Element, formula: str, row0: int, col0: int, rows_rep: int, cols_rep: int
) -> None:
    text = "".join(el.itertext()).strip()
    value: tuple[str, Any] | None = None
    if el.get(_A_CALC_VTYPE) == "error" or _ERROR_TEXT.match(text):
        value = ("error", text or "#VALUE!")
    elif formula in ("of:=TRUE()", "of:=FALSE()") and el.get(_A_VTYPE) == "float":
        value = ("bool", formula == "of:=TRUE()")
    if value is None:
        return
    target: dict[tuple[int, int], Any] = (marks.errors if value[0] == "error" else marks.bools).setdefault(sheet, {})
    count = 0
    for r in range(row0, row0 + rows_rep):
        for c in range(col0, col0 + cols_rep):
            target[(r, c)] = value[1]
            count += 1
            if count >= _MAX_REPEAT_MARKS:
                return


def apply_ods_marks(path: Path, probe: Probe, wb: RawWorkbook, max_rows: int) -> None:
    with zipfile.ZipFile(path) as zf:
        marks = _ods_marks(zf, probe.content_part or "content.xml")
    for sheet in wb.sheets:
        for (r, c), flag in marks.bools.get(sheet.name, {}).items():
            if r < len(sheet.rows) and c < len(sheet.rows[r]) and sheet.rows[r][c] in (0, 1):
                sheet.rows[r][c] = flag
        set_errors(sheet, marks.errors.get(sheet.name, {}), max_rows)
        sheet.merged = merged_ranges([((a, b), (c, d)) for a, b, c, d in marks.merged.get(sheet.name, ())], max_rows)
        # calamine gives ods durations as ISO text ("PT36H00M00S"); xlsx gives timedelta
        for row in sheet.rows:
            for j, v in enumerate(row):
                if type(v) is str and v.startswith(("PT", "-PT")):
                    row[j] = _ods_duration(v)


def _ods_duration(text: str) -> Any:
    m = _ODS_DURATION.match(text)
    if not m:
        return text
    hours, minutes, seconds = int(m.group(1)), int(m.group(2)), float(m.group(3))
    delta = dt.timedelta(hours=hours, minutes=minutes, seconds=seconds)
    return -delta if text.startswith("-") else delta
