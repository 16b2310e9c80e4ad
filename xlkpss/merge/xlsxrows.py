"""Whole rows of cells for xlsxwriter, at a fraction of its per-cell cost.

A consolidated workbook of the whole country has millions of cells.  xlsxwriter's cell
API (``write_string`` / ``write_number`` / ``write_formula`` …) costs about 14 µs a cell
here, most of it generic work we do not need: argument conversion, a dimension check, a
cell object, attribute escaping, and for every formula some thirty regular expressions
that add ``_xlfn.`` prefixes to functions newer than Excel 2007.

``RowsWorksheet.write_cells(row, cells)`` takes one row as ``(column, value, format)``
triples and does that work once per row: strings go to the shared-string table at once
(so the string numbering is what the cell API gives), each cell becomes its finished XML
right away, and at ``close()`` xlsxwriter's own row loop emits each row in one piece.
Formulas that use only classic functions (``SUM``, ``SUMIFS``, ``IF`` …) skip the prefix
rewriting; any other formula goes through ``write_formula`` unchanged.

The result is byte for byte the workbook the cell API writes when formats get their
style numbers in the same order (``tests/test_merge_xlsx.py`` checks this on real merges
with ``fast=False``).  At ``close()`` the same holds for what is written faster: the row
loop (only the stored rows and cells, rows as write_rows stored them in one piece), the
row spans, row heights set in bulk (``set_row_heights``) and the shared strings without
xlsxwriter's five checks when a string needs none (``fast_close``); and for the zip
(``FastZipFile``): a part over ``THREAD_PART`` is deflated in a worker thread from the
moment its XML is complete while the next parts are built, a small part once per process
and distinct content — the same compressor calls as zipfile's, each part written through
zipfile's own write handle, so the same bytes.

The class relies on xlsxwriter internals that have been stable for years — the cell table
(``table``, ``_check_dimensions``, ``_write_cell``, ``_write_row``, ``row_info`` /
``row_sizes`` / ``RowInfo``, the ``String`` cell tuple), ``str_table`` and its dict,
``Format._get_xf_index``, the packager's ``SharedStrings`` and ``StringIO`` and the
workbook's ``ZipFile`` (whose write handle's ``_compressor`` / ``_file_size`` / ``_crc`` /
``_compress_size`` take a part deflated ahead) — and falls back to the cell API (or
zipfile's own path) where it can tell that they are missing; a release that changes them
in another way shows up as a failing byte-for-byte test, not as a wrong file unnoticed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import math
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, NamedTuple

import xlsxwriter.worksheet
from xlsxwriter.sharedstrings import SharedStrings
from xlsxwriter.utility import xl_cell_to_rowcol, xl_col_to_name, xl_range, xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

__all__ = ["Formula", "FormulaRow", "RowsWorksheet"]

#: the longest text a cell holds, in UTF-16 code units (Excel's limit)
MAX_TEXT_UNITS = 32767

#: functions xlsxwriter writes unchanged (no ``_xlfn.`` prefix in any Excel version)
_CLASSIC_FUNCTIONS = frozenset({"SUM", "SUMIFS", "COUNTIFS", "COUNTA", "COUNT", "IF", "AND", "OR", "ROUND"})
_FUNCTION_CALL = re.compile(r"([A-Za-z_][A-Za-z0-9_.]*)\(")
_INTERNALS = ("_check_dimensions", "_write_cell", "str_table")
#: text up to this many characters always fits in a cell (two UTF-16 units a character at most)
_SHORT_TEXT = MAX_TEXT_UNITS // 2
#: xlsxwriter's cell of a shared string (``write_string``) and its row properties (``set_row``),
#: when it has them by these names
_STRING_CELL = getattr(xlsxwriter.worksheet, "CellStringTuple", None)
_ROW_INFO = getattr(xlsxwriter.worksheet, "RowInfo", None)
_COLUMN_INFO = getattr(xlsxwriter.worksheet, "ColumnInfo", None)
#: column letters, shared by all sheets, extended as needed
_LETTERS: list[str] = []


class Formula(NamedTuple):
    """A formula (``=…``) with the value it evaluates to, cached in the file.

    ``classic=True``: the writer of the formula vouches that it uses only functions
    that need no ``_xlfn.`` prefix (saves checking every formula; the tests comparing
    with the cell API would show a wrong claim)."""

    text: str
    value: Any = 0
    classic: bool = False


class FormulaRow(NamedTuple):
    """The formulas of every row of a table that differs from another only in its row
    number: ``texts[k]`` (``=…``, classic functions only, see ``Formula``) is the formula
    of column ``columns[k]``, with ``placeholder`` wherever the row's own Excel row number
    goes.  The cell's cached result is the row's value in that column ("" for None).
    ``write_rows`` escapes and splits each text once per ``FormulaRow``, then puts each
    row's number in; the cells are those of ``Formula(text, value, classic=True)``."""

    columns: tuple[int, ...]
    texts: tuple[str, ...]
    placeholder: str

    def formulas(self, row: int, vals: Sequence[Any]) -> list[tuple[int, Formula]]:
        """The cells of Excel row ``row`` (1-based) with values ``vals``, as ``Formula``s."""
        number = str(row)
        return [(j, self.formula(text, number, vals[j])) for j, text in zip(self.columns, self.texts)]

    def formula(self, text: str, number: str, value: Any) -> Formula:
        """One of ``texts`` in the row numbered ``number``, with its cached result."""
        return Formula(text.replace(self.placeholder, number), "" if value is None else value, True)


class _Row:
    """The finished XML of consecutive cells of one row (one string: ~45 bytes a cell)."""

    __slots__ = ("xml",)

    def __init__(self, xml: str):
        self.xml = xml

    def split(self) -> list[tuple[int, _Row]]:
        """One ``(column, _Row)`` per cell.  Cell XML never contains ``<c r="`` inside:
        text lives in the shared-string table and ``<`` in a formula is escaped."""
        out = []
        for piece in self.xml.split('<c r="')[1:]:
            ref = piece[: piece.index('"')]
            out.append((xl_cell_to_rowcol(ref)[1], _Row('<c r="' + piece)))
        return out


class _Nothing:
    """Marks the last column of a row so that xlsxwriter computes the row's span."""

    __slots__ = ()


_NOTHING = _Nothing()


def _escape(text: str) -> str:
    """XML text content (what xlsxwriter's ``_escape_data`` does)."""
    if "&" in text or "<" in text or ">" in text:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


def _truncate(text: str) -> str:
    """At most 32,767 UTF-16 units, never half a surrogate pair (as xlsxwriter does)."""
    if len(text) <= _SHORT_TEXT:
        return text
    units = text.encode("utf-16-le")
    if len(units) <= 2 * MAX_TEXT_UNITS:
        return text
    return units[: 2 * MAX_TEXT_UNITS].decode("utf-16-le", "ignore")


def is_classic(formula: str) -> bool:
    """True when every function of the formula is one xlsxwriter writes as it is."""
    return _CLASSIC_FUNCTIONS.issuperset(map(str.upper, _FUNCTION_CALL.findall(formula)))


class RowsWorksheet(Worksheet):
    """An xlsxwriter worksheet with ``write_cells`` for whole rows (see the module)."""

    #: False: ``write_cells`` uses the plain cell API (the reference in tests)
    fast = True

    def __init__(self) -> None:
        super().__init__()
        self._xf: dict[int, str] = {}

    # --- writing ------------------------------------------------------------------------
    def write_cells(self, row: int, cells: Iterable[tuple[int, Any, Any]]) -> None:
        """Write one row: ``(column, value, format)`` per cell, columns ascending.

        ``value`` is None (an empty cell, written only with a format), a str, an int or
        float, a date or datetime, a bool (Excel TRUE/FALSE) or a ``Formula``.  Text is
        always text, never a formula or a number.  A format gets its style number when
        it is first written (the cell API gives it at ``close()``, so ``fast=False``
        does the same here to stay comparable byte for byte).
        """
        if not self.fast or not all(hasattr(self, name) for name in _INTERNALS):
            for col, value, fmt in cells:
                if fmt is not None:
                    fmt._get_xf_index()
                self._write_plain(row, col, value, fmt)
            return
        cells = cells if isinstance(cells, list) else list(cells)
        if not cells:
            return
        letters, r = _LETTERS, row + 1
        if cells[-1][0] >= len(letters):
            letters.extend(xl_col_to_name(c) for c in range(len(letters), max(c for c, _v, _f in cells) + 1))
        out: list[tuple[int, str]] = []
        sst = self.str_table._get_shared_string_index
        xf = self._xf
        for col, value, fmt in cells:
            style = xf.get(id(fmt)) if fmt is not None else ""
            if style is None:
                style = self._style(fmt)
            head = f'<c r="{letters[col]}{r}"{style}'
            kind = type(value)
            if kind is str:
                if len(value) > _SHORT_TEXT:
                    value = _truncate(value)
                out.append((col, f'{head} t="s"><v>{sst(value)}</v></c>'))
            elif kind is int or kind is float:
                if kind is float and not math.isfinite(value):
                    raise TypeError("NAN/INF not supported in write_cells()")
                out.append((col, f"{head}><v>{value:.16G}</v></c>"))
            elif value is None:
                if fmt is not None:
                    out.append((col, f"{head}/>"))
            elif kind is Formula:
                if not (value.classic or is_classic(value.text)):
                    self._flush(row, out)
                    out = []
                    self.write_formula(row, col, value.text, fmt, value.value)
                    continue
                result = value.value
                if type(result) is int or type(result) is float:  # the common case, inline
                    out.append((col, f"{head}><f>{_escape(value.text.removeprefix('='))}</f><v>{result}</v></c>"))
                else:
                    out.append((col, head + self._formula_xml(value)))
            elif kind is bool:
                out.append((col, f'{head} t="b"><v>{int(value)}</v></c>'))
            elif isinstance(value, (dt.date, dt.datetime)):
                out.append((col, f"{head}><v>{self._date_number(value):.16G}</v></c>"))
            else:
                raise TypeError(f"write_cells: unsupported value {value!r}")
        self._flush(row, out)

    def write_rows(
        self,
        first_row: int,
        rows: Iterable[Sequence[Any]],
        formats: Sequence[Any],
        text_formats: Sequence[Any],
        formula_formats: Sequence[Any] | None = None,
        formula_rows: Callable[[int, Sequence[Any]], FormulaRow | None] | None = None,
    ) -> None:
        """Rows of a table whose format follows the column: value ``j`` of row ``i``
        goes to ``(first_row + i, j)`` with ``formats[j]``, or ``text_formats[j]`` when
        it is text, or ``formula_formats[j]`` when it is a ``Formula``; None is no cell.
        Values are str, int, float, date, datetime or ``Formula``.  ``formula_rows(i,
        values)``: the ``FormulaRow`` of row ``i`` (or None), whose columns are formulas
        with the row's values as their cached results.

        The same cells as ``write_cells`` row by row (and exactly that with
        ``fast = False``), with the work per cell reduced to its XML.
        """
        formula_formats = formula_formats if formula_formats is not None else formats

        def fmt_of(j: int, v: Any) -> Any:
            kind = type(v)
            return text_formats[j] if kind is str else formula_formats[j] if kind is Formula else formats[j]

        if not self.fast or not all(hasattr(self, name) for name in _INTERNALS):
            for i, vals in enumerate(rows):
                template = formula_rows(i, vals) if formula_rows is not None else None
                if template is not None and template.columns:
                    vals = list(vals)
                    for j, formula in template.formulas(first_row + i + 1, vals):
                        vals[j] = formula
                self.write_cells(first_row + i, [(j, v, fmt_of(j, v)) for j, v in enumerate(vals) if v is not None])
            return
        width = len(formats)
        letters = _LETTERS
        if width > len(letters):
            letters.extend(xl_col_to_name(c) for c in range(len(letters), width))
        heads = ['<c r="' + letter for letter in letters[:width]]
        # '"' + ' s="N"' + the rest of the opening tag, by column; the style is given at
        # its first use, as the cell API gives it
        text_mid: list[str | None] = [None] * width
        number_mid: list[str | None] = [None] * width
        formula_mid: list[str | None] = [None] * width
        table = self.str_table
        strings = table.string_table
        inline_strings = type(strings) is dict and len(strings) == table.unique_count
        sst = table._get_shared_string_index
        n_strings = 0
        cells = self.table
        dates: dict[Any, float] = {}  # date -> Excel number (dates repeat: date_filled)
        low_row = low_col = high_row = high_col = -1  # the block written, checked against the sheet at the end
        # id(FormulaRow) -> (it, {column: its formula's XML text split at the row number},
        # {column: its formula})
        compiled: dict[int, tuple[FormulaRow, dict[int, list[str]], dict[int, str]]] = {}
        split: dict[int, list[str]] | None = None
        for i, vals in enumerate(rows):
            r = first_row + i + 1
            parts = []
            first = last = -1
            if formula_rows is not None:
                template = formula_rows(i, vals)
                if template is None or not template.columns:
                    split = None
                else:
                    entry = compiled.get(id(template))
                    if entry is None or entry[0] is not template:
                        texts = dict(zip(template.columns, template.texts))
                        escaped = {j: _escape(text.removeprefix("=")).split(template.placeholder) for j, text in texts.items()}
                        entry = compiled[id(template)] = template, escaped, texts
                    split, texts, row_number = entry[1], entry[2], str(r)
            for j, v in enumerate(vals):
                if split is not None and j in split:
                    mid = formula_mid[j]
                    if mid is None:
                        mid = formula_mid[j] = f'"{self._style(formula_formats[j])}'
                    if type(v) is int or type(v) is float:
                        parts.append(f"{heads[j]}{r}{mid}><f>{row_number.join(split[j])}</f><v>{v}</v></c>")
                    else:  # a text, a date or nothing as the result: what Formula() gives
                        formula = template.formula(texts[j], row_number, v)
                        parts.append(f"{heads[j]}{r}{mid}{self._formula_xml(formula)}")
                    if first < 0:
                        first = j
                    last = j
                    continue
                if v is None:
                    continue
                kind = type(v)
                if kind is str:
                    mid = text_mid[j]
                    if mid is None:
                        mid = text_mid[j] = f'"{self._style(text_formats[j])} t="s"><v>'
                    if len(v) > _SHORT_TEXT:
                        v = _truncate(v)
                    if inline_strings:  # what _get_shared_string_index does, without a call
                        index = strings.setdefault(v, len(strings))
                        n_strings += 1
                    else:
                        index = sst(v)
                    parts.append(f"{heads[j]}{r}{mid}{index}</v></c>")
                elif kind is Formula:
                    if not (v.classic or is_classic(v.text)):
                        if parts:
                            self._flush_row(r - 1, first, last, "".join(parts))
                            parts, first = [], -1
                        self.write_formula(r - 1, j, v.text, formula_formats[j], v.value)
                        continue
                    mid = formula_mid[j]
                    if mid is None:
                        mid = formula_mid[j] = f'"{self._style(formula_formats[j])}'
                    result = v.value
                    if type(result) is int or type(result) is float:
                        parts.append(f"{heads[j]}{r}{mid}><f>{_escape(v.text.removeprefix('='))}</f><v>{result}</v></c>")
                    else:
                        parts.append(f"{heads[j]}{r}{mid}{self._formula_xml(v)}")
                else:
                    mid = number_mid[j]
                    if mid is None:
                        mid = number_mid[j] = f'"{self._style(formats[j])}><v>'
                    if kind is int or (kind is float and math.isfinite(v)):
                        parts.append(f"{heads[j]}{r}{mid}{v:.16G}</v></c>")
                    elif kind is dt.date or kind is dt.datetime:
                        number = dates.get(v)
                        if number is None:
                            number = dates[v] = self._date_number(v)
                        parts.append(f"{heads[j]}{r}{mid}{number:.16G}</v></c>")
                    else:
                        raise TypeError(f"write_rows: unsupported value {v!r}")
                if first < 0:
                    first = j
                last = j
            if not parts:
                continue
            if cells.get(r - 1):  # the row has cells already: merged cell by cell
                self._flush_row(r - 1, first, last, "".join(parts))
                continue
            cells[r - 1] = {first: _Row("".join(parts)), last: _NOTHING} if last != first else {first: _Row(parts[0])}
            if low_row < 0:
                low_row, low_col = r - 1, first
            if first < low_col:
                low_col = first
            if last > high_col:
                high_col = last
            high_row = r - 1
        if high_row >= 0 and (self._check_dimensions(low_row, low_col) or self._check_dimensions(high_row, high_col)):
            raise IndexError(f"cells {low_row},{low_col}–{high_row},{high_col} are outside the worksheet")
        if inline_strings:
            table.count += n_strings
            table.unique_count = len(strings)

    def set_row_heights(self, heights: dict[int, float]) -> None:
        """``set_row(row, height)`` for every row of ``heights`` (points, ascending rows),
        the sheet's dimensions checked once for all of them."""
        if not heights:
            return
        min_col = self.dim_colmin if self.dim_colmin is not None else 0
        if (
            not self.fast
            or _ROW_INFO is None
            or not hasattr(self, "row_sizes")
            or self._check_dimensions(min(heights), min_col)
            or self._check_dimensions(max(heights), min_col)
        ):
            for row, height in heights.items():
                self.set_row(row, height)
            return
        info, sizes = self.row_info, self.row_sizes
        for row, height in heights.items():
            pixels = int(height * 4.0 / 3.0 + 0.5)  # what set_row does
            if pixels == 0:
                self.set_row(row, height)  # a hidden row
                continue
            info[row] = _ROW_INFO(height=pixels, row_format=None, hidden=False, level=0, collapsed=False)
            sizes[row] = [pixels, False]

    def set_column_widths(self, widths: Sequence[float], hidden: Sequence[bool]) -> None:
        """``set_column(j, j, widths[j], None, {"hidden": True} if hidden[j] else None)``
        for every column ``j`` (widths in characters, each at least 1), the columns checked
        once for all of them."""
        if (
            not self.fast
            or _COLUMN_INFO is None
            or not widths
            or min(widths) < 1.0
            or self._check_dimensions(0, len(widths) - 1, True, True)
        ):
            for j, width in enumerate(widths):
                self.set_column(j, j, width, None, {"hidden": True} if hidden[j] else None)
            return
        digit, padding, info = self.max_digit_width, self.cell_padding, self.col_info
        for j, width in enumerate(widths):
            pixels = int(width * digit + 0.5) + padding  # what set_column does for a width >= 1
            if hidden[j]:  # a hidden column with a width is stored in the dimensions
                self._check_dimensions(0, j, True, False)
            info[j] = _COLUMN_INFO(width=pixels, column_format=None, hidden=hidden[j], level=0, collapsed=False)
        self.col_size_changed = True

    def _style(self, fmt: Any) -> str:
        """`` s="N"`` for a format (nothing for None); N is given at first use."""
        if fmt is None:
            return ""
        style = self._xf.get(id(fmt))
        if style is None:
            style = self._xf[id(fmt)] = f' s="{fmt._get_xf_index()}"'
        return style

    def _flush_row(self, row: int, first: int, last: int, xml: str) -> None:
        """Store the XML of the cells ``first``..``last`` of ``row``."""
        line = self.table.get(row)
        if line:  # the row already has cells: merge cell by cell
            self._flush(row, [(col, one.xml) for col, one in _Row(xml).split()])
            return
        if self._check_dimensions(row, first) or self._check_dimensions(row, last):
            raise IndexError(f"cell {row},{first}–{last} is outside the worksheet")
        line = self.table[row]
        line[first] = _Row(xml)
        if last != first:
            line[last] = _NOTHING

    def _flush(self, row: int, cells: list[tuple[int, str]]) -> None:
        if not cells:
            return
        first, last = cells[0][0], cells[-1][0]
        if self._check_dimensions(row, first) or self._check_dimensions(row, last):
            raise IndexError(f"cell {row},{first}–{last} is outside the worksheet")
        line = self.table[row]
        if line:  # the row already has cells: keep one entry per cell so none is lost
            for col in [c for c, entry in line.items() if type(entry) is _Nothing]:
                del line[col]
            for entry in [e for e in line.values() if type(e) is _Row]:
                line.update(entry.split())
            for col, xml in cells:
                line[col] = _Row(xml)
            return
        line[first] = _Row("".join([xml for _col, xml in cells]))
        if last != first:
            line[last] = _NOTHING

    @staticmethod
    def _formula_xml(f: Formula) -> str:
        text = f.text.removeprefix("=")
        value = f.value
        if isinstance(value, bool):
            return f' t="b"><f>{_escape(text)}</f><v>{int(value)}</v></c>'
        if value is None or value == "":
            return f"><f>{_escape(text)}</f><v></v></c>"
        if isinstance(value, str):
            return f' t="str"><f>{_escape(text)}</f><v>{_escape(value)}</v></c>'
        return f"><f>{_escape(text)}</f><v>{_escape(str(value))}</v></c>"

    def _date_number(self, value: dt.date) -> float:
        if not isinstance(value, dt.datetime):
            value = dt.datetime.combine(value, dt.time(0, 0, 0))
        return self._convert_date_time(value)

    def _write_plain(self, row: int, col: int, value: Any, fmt: Any) -> None:
        """The same cell through xlsxwriter's cell API."""
        if value is None:
            self.write_blank(row, col, None, fmt)
        elif isinstance(value, Formula):
            self.write_formula(row, col, value.text, fmt, "" if value.value is None else value.value)
        elif isinstance(value, bool):
            self.write_boolean(row, col, value, fmt)
        elif isinstance(value, str):
            self.write_string(row, col, value, fmt)
        elif isinstance(value, (int, float)):
            self.write_number(row, col, value, fmt)
        elif isinstance(value, dt.datetime):
            self.write_datetime(row, col, value, fmt)
        elif isinstance(value, dt.date):
            self.write_datetime(row, col, dt.datetime.combine(value, dt.time(0, 0, 0)), fmt)
        else:
            raise TypeError(f"write_cells: unsupported value {value!r}")

    def add_table(
        self, first_row: int, first_col: int, last_row: int, last_col: int, options: dict | None = None
    ) -> Any:
        """``Worksheet.add_table`` in time independent of the number of rows.

        xlsxwriter visits every cell of a new table to record it in a registry that
        refuses overlapping tables and merged ranges (about 0.5 µs and 100 bytes a cell).
        The first table of a sheet without merged cells can overlap nothing, so it is
        added over its header and first data row and then given its full range.  Tables
        with a total row, column formulas or data, later tables and ``fast = False`` take
        xlsxwriter's own path — but a later table or merged range is then checked only
        against those first two rows of the first table: this class is for sheets with
        one table (every sheet of a consolidated workbook).
        """
        options = options or {}
        plain = (
            not self.fast
            or self.tables
            or self.merged_cells
            or last_row <= first_row + 1
            or any(k in options for k in ("data", "total_row"))
            or any(isinstance(c, dict) and c.get("formula") for c in options.get("columns", []))
        )
        if plain:
            return super().add_table(first_row, first_col, last_row, last_col, options)
        result = super().add_table(first_row, first_col, first_row + 1, last_col, options)
        if result == 0:
            table = self.tables[-1]
            full = xl_range(first_row, first_col, last_row, last_col)
            table["range"] = table["a_range"] = full
            if table.get("autofilter"):
                table["autofilter"] = full
                for col in range(first_col, last_col + 1):
                    self.filter_cells[(first_row, col)] = ("table", full)
        return result

    # --- at close() ---------------------------------------------------------------------
    def _calculate_spans(self) -> None:
        """xlsxwriter's row spans (the first and last column with a cell, per block of 16
        rows) from each row's first and last column instead of a look-up per column."""
        if not self.fast or self.comments:
            return super()._calculate_spans()
        blocks: dict[int, tuple[int, int]] = {}
        low, high = self.dim_rowmin, self.dim_rowmax
        for row, line in self.table.items():
            if line and low <= row <= high:
                first, last = min(line), max(line)
                seen = blocks.get(row >> 4)
                if seen is not None:
                    if seen[0] < first:
                        first = seen[0]
                    if seen[1] > last:
                        last = seen[1]
                blocks[row >> 4] = (first, last)
        self.row_spans = {block: f"{first + 1}:{last + 1}" for block, (first, last) in blocks.items()}

    def _write_rows(self) -> None:
        """xlsxwriter's loop over the rows (``Worksheet._write_rows``), visiting only the
        rows with cells or attributes and, in a row, only its stored cells."""
        if not self.fast or self.comments:
            return super()._write_rows()
        self._calculate_spans()
        low, high = self.dim_rowmin, self.dim_rowmax
        table, info, spans, write = self.table, self.row_info, self.row_spans, self.fh.write
        # rows with no attribute but a height: their tags made here (_row_tag)
        plain_rows = self.default_row_height == self.original_row_height and self.excel_version != 2010
        rows = sorted(table.keys() | info.keys())
        if rows and (rows[0] < low or rows[-1] > high):  # never seen: every stored row is inside
            rows = [r for r in rows if low <= r <= high]
        for row in rows:
            line = table.get(row)
            if line:
                span = spans.get(row >> 4)
                tag = self._row_tag(row, span, info.get(row)) if plain_rows else None
                if tag is not None:
                    cells = list(line.values())
                    # one row as write_rows stores it (its XML, then the end marker): one write
                    if type(cells[0]) is _Row and (len(cells) == 1 or (len(cells) == 2 and cells[1] is _NOTHING)):
                        write(f"{tag}{cells[0].xml}</row>")
                        continue
                    write(tag)
                else:
                    self._write_row(row, span, info.get(row))
                for col in sorted(line):
                    cell = line[col]
                    kind = type(cell)
                    if kind is _Row:
                        write(cell.xml)
                    elif kind is _STRING_CELL and cell.format is not None:  # a heading: what _write_cell writes
                        ref = xl_rowcol_to_cell(row, col)
                        write(f'<c r="{ref}"{self._style(cell.format)} t="s"><v>{cell.string}</v></c>')
                    elif kind is not _Nothing:
                        super()._write_cell(row, col, cell)
                write("</row>")
            elif row in info:
                self._write_empty_row(row, spans.get(row >> 4), info[row])

    def _row_tag(self, row: int, span: str | None, info: Any) -> str | None:
        """The ``<row>`` tag ``_write_row`` writes for a row with no attribute but a
        height (on a sheet with the default row height), None for any other row."""
        head = f'<row r="{row + 1}" spans="{span}"' if span else f'<row r="{row + 1}"'
        if info is None:
            return head + ">"
        if info.row_format is not None or info.hidden or info.level or info.collapsed or info.height is None:
            return None
        if info.height == self.original_row_height:
            return head + ">"
        return f'{head} ht="{info.height * 0.75:.16g}" customHeight="1">'

    # xlsxwriter's row loop calls this for every stored cell (fast = False, comments)
    def _write_cell(self, row: int, col: int, cell: Any) -> None:
        kind = type(cell)
        if kind is _Row:
            self.fh.write(cell.xml)
        elif kind is not _Nothing:
            super()._write_cell(row, col, cell)

    def _assemble_xml_file(self) -> None:
        super()._assemble_xml_file()
        if type(self.fh) is _Part:  # in fast_close(): a large sheet is deflated from now on
            self.fh.hand_over()


#: parts up to this size are deflated once per process and distinct content (the theme,
#: content types, relationships, tables, docProps repeat from workbook to workbook)
MEMO_PART = 1 << 14
#: parts of a workbook larger than this — those deflated anew in every workbook (the memo
#: keeps the smaller ones): the record sheets and shared strings of every consolidated
#: workbook — are deflated at ``LARGE_PART_LEVEL`` instead of zlib's default 6; the smaller
#: ones (styles, theme, package parts, small sheets) at 6, byte for byte as xlsxwriter.
#: Measured on 40 ORP workbooks: 1 MB → 16 KB took the write 2.62 → 2.28 CPU s and the
#: files 10.8 → 12.7 MB (README, issue 19)
LARGE_PART = MEMO_PART
#: zlib level 1: ~3.5× faster to deflate than 6, the file ~25 % larger; any deflate
#: level is plain deflate to a reader (Excel, LibreOffice, calamine, openpyxl)
LARGE_PART_LEVEL = 1


#: parts larger than this are deflated in worker threads (zlib releases the GIL) while the
#: main thread encodes the next parts (and, the national workbook, while the other core
#: is free); smaller ones in the main thread, where a hand-over would cost more than it saves
THREAD_PART = 1 << 20
#: worker threads of one ``close()``
DEFLATE_THREADS = 2
_MEMO_ENTRIES = 1024
_deflated: dict[tuple[int | None, bytes], tuple[bytes, int]] = {}


def forget_deflated() -> None:
    """Empty the memo of deflated small parts (for benchmarks: a run's first workbook)."""
    _deflated.clear()


def _deflate(data: bytes, level: int | None) -> tuple[bytes, int]:
    """What zipfile writes for ``data`` (its compressor, one ``compress`` then ``flush``)
    and the CRC-32."""
    co = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION if level is None else level, zlib.DEFLATED, -15)
    return co.compress(data) + co.flush(), zlib.crc32(data)


def _level_of(size: int) -> int | None:
    """The zlib level of a part of ``size`` bytes (None: zipfile's default, 6)."""
    return LARGE_PART_LEVEL if size > LARGE_PART else None


class _Deflating:
    """The worker threads of one ``fast_close()``, started at the first large part."""

    def __init__(self) -> None:
        self.pool: Any = None

    def submit(self, data: bytes, level: int | None) -> Any:
        if self.pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self.pool = ThreadPoolExecutor(DEFLATE_THREADS, thread_name_prefix="xlkpss-deflate")
        return self.pool.submit(_deflate, data, level)

    def shutdown(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


#: the threads of the ``fast_close()`` under way (None outside one)
_DEFLATING: _Deflating | None = None


class _HandedBytes(bytes):
    """What a handed-over part's ``getvalue().encode()`` gives the zip: no bytes, but the
    part's bytes and their deflate job."""

    data: bytes
    job: Any


class _HandedText(str):
    """What a handed-over part's ``getvalue()`` gives: ``encode()`` is ``_HandedBytes``."""

    handed: _HandedBytes

    def encode(self, encoding: str = "utf-8", errors: str = "strict") -> bytes:  # type: ignore[override]
        return self.handed


class _Part(io.StringIO):
    """The packager's in-memory file of one part.  ``hand_over()``, when the part's XML
    is complete and large: its bytes encoded and their deflate started in a worker thread
    at once, while the packager goes on with the next parts; xlsxwriter's
    ``getvalue().encode("utf-8")`` then yields them (``_HandedBytes``) to the zip."""

    _handed: _HandedText | None = None

    def hand_over(self) -> None:
        deflating = _DEFLATING
        if deflating is None or self._handed is not None or self.tell() <= THREAD_PART:
            return
        data = super().getvalue().encode("utf-8")
        handed = _HandedBytes()
        handed.data, handed.job = data, deflating.submit(data, _level_of(len(data)))
        self._handed = _HandedText()
        self._handed.handed = handed
        self.close()  # the text is not needed any more (truncate() would copy it first)

    def getvalue(self) -> str:
        return self._handed if self._handed is not None else super().getvalue()


class _Deflated:
    """Stands in for the compressor of zipfile's write handle: the data went in already."""

    __slots__ = ()

    @staticmethod
    def flush() -> bytes:
        return b""


class FastZipFile(zipfile.ZipFile):
    """xlsxwriter's zip, with the level chosen by the size of each part, large parts
    deflated in worker threads and small ones once per distinct content.

    The archive is byte for byte what ``ZipFile.writestr`` gives for the same parts and
    levels: each part is written in order through zipfile's own write handle (header,
    checks, sizes and CRC written back), only its deflate stream and CRC computed ahead —
    with the same compressor calls, so the same bytes.  Anything unusual (a name instead
    of a ``ZipInfo``, another compression, an unseekable file, a zipfile without the
    handle's fields) goes through ``writestr`` as it is."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._queued: list[tuple[zipfile.ZipInfo, bytes, Any]] = []  # parts not yet written, in order

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        job: Any = None
        if type(data) is _HandedBytes:  # deflating already (_Part.hand_over)
            data, job = data.data, data.job
        if compresslevel is None:
            compresslevel = _level_of(len(data))
        if not (
            isinstance(zinfo_or_arcname, zipfile.ZipInfo)
            and type(data) is bytes
            and (compress_type or zinfo_or_arcname.compress_type) == zipfile.ZIP_DEFLATED
            and self._seekable
            and self.fp
        ):
            self._write_queued()
            return super().writestr(zinfo_or_arcname, data, compress_type=compress_type, compresslevel=compresslevel)
        zinfo = zinfo_or_arcname
        if compress_type is not None:
            zinfo.compress_type = compress_type
        if compresslevel is not None:
            zinfo._compresslevel = compresslevel
        if job is None and len(data) > THREAD_PART and _DEFLATING is not None:
            job = _DEFLATING.submit(data, zinfo._compresslevel)
        self._queued.append((zinfo, data, job))
        # write what is ready, in order (a part waits for the large ones before it)
        while self._queued and (self._queued[0][2] is None or self._queued[0][2].done()):
            self._write_one(*self._queued.pop(0))

    def _write_queued(self) -> None:
        queued, self._queued = self._queued, []
        for zinfo, data, job in queued:
            self._write_one(zinfo, data, job)

    def _write_one(self, zinfo: zipfile.ZipInfo, data: bytes, job: Any) -> None:
        level = zinfo._compresslevel
        if job is not None:
            compressed, crc = job.result()
        elif len(data) <= MEMO_PART:
            key = (level, data)
            done = _deflated.get(key)
            if done is None:
                if len(_deflated) >= _MEMO_ENTRIES:
                    _deflated.clear()
                done = _deflated[key] = _deflate(data, level)
            compressed, crc = done
        else:
            compressed, crc = _deflate(data, level)
        zinfo.file_size = len(data)
        with self._lock, self.open(zinfo, mode="w") as dest:
            if not all(hasattr(dest, name) for name in ("_compressor", "_file_size", "_crc", "_compress_size")):
                dest.write(data)  # a zipfile of another shape: its own path, the same bytes
                return
            # what dest.write(data) does, with the deflate stream and CRC made ahead
            dest._compressor = _Deflated()
            dest._file_size, dest._crc, dest._compress_size = len(data), crc, len(compressed)
            self.fp.write(compressed)

    def close(self) -> None:
        try:
            if self.fp is not None and self.mode in ("w", "x", "a"):
                self._write_queued()
        finally:
            super().close()


#: a shared string that xlsxwriter writes as it is, ``<si><t>…</t></si>``, has none of these:
#: XML specials, control characters (or their ``_xHHHH_`` escapes), non-characters, and
#: whitespace at either end (``xml:space``); the rest go through xlsxwriter's ``_write_si``
_SPECIAL_STRING = re.compile(r"[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_|^\s|\s$")


class _SharedStrings(SharedStrings):
    """xlsxwriter's shared-string part, a plain string written without its five checks."""

    def _write_sst_strings(self) -> None:
        special, write = _SPECIAL_STRING.search, self.fh.write
        for string in self.string_table.string_array:
            if special(string) is None:
                write(f"<si><t>{string}</t></si>")
            else:
                self._write_si(string)

    def _assemble_xml_file(self) -> None:
        super()._assemble_xml_file()
        if type(self.fh) is _Part:
            self.fh.hand_over()


@contextlib.contextmanager
def fast_close(threads: bool = True) -> Iterator[None]:
    """Around ``Workbook.close()``: large parts deflated at ``LARGE_PART_LEVEL`` (the
    others as before, byte for byte) and, ``threads``, in worker threads, the large
    worksheets and shared strings from the moment their XML is complete (``_Part``); the
    small parts once per distinct content; and (``RowsWorksheet.fast``) the shared strings
    written by ``_SharedStrings``.  Threads shorten the wall time when a core is free and
    cost a little CPU (~2 %) when none is.  xlsxwriter takes ``ZipFile``, ``StringIO`` and ``SharedStrings``
    from its modules' namespaces when it stores the workbook; they are swapped for the
    duration only."""
    import xlsxwriter.packager as xp
    import xlsxwriter.workbook as xw

    global _DEFLATING
    old = xw.ZipFile, xp.SharedStrings, xp.StringIO, _DEFLATING
    xw.ZipFile = FastZipFile
    if RowsWorksheet.fast:
        xp.SharedStrings = _SharedStrings
        xp.StringIO = _Part
    _DEFLATING = deflating = _Deflating() if threads else None
    try:
        yield
    finally:
        xw.ZipFile, xp.SharedStrings, xp.StringIO, _DEFLATING = old
        if deflating is not None:
            deflating.shutdown()
