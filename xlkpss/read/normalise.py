"""Cell values normalised to the contract of :mod:`xlkpss.read.model`, identically for every
engine: trimmed text, whole floats as int, midnight datetimes as dates, trailing blanks
dropped, the row limit kept, formula-error cells blanked and recorded."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from xlkpss.read.model import RawSheet

__all__ = ["SheetBuilder", "merged_from_xml", "merged_ranges", "norm_row", "norm_value", "set_errors", "trim_row"]

_MIDNIGHT = dt.time(0, 0)
_EXACT_INT = 2**53


def norm_value(v: Any) -> Any:
    """One cell value, normalised identically for every engine."""
    t = type(v)
    if t is str:
        s = v.strip()
        return s or None
    if t is float:
        if v.is_integer():
            return int(v)
        return v
    if v is None or t is bool:
        return v
    if t is int:
        # Excel stores doubles: an integer text beyond 2**53 means the nearest double
        return v if -_EXACT_INT <= v <= _EXACT_INT else int(float(v))
    if t is dt.datetime:
        if v.tzinfo is None and v.time() == _MIDNIGHT:
            return v.date()
        return v
    return v  # date, time, timedelta


def norm_row(raw: list[Any]) -> list[Any]:
    """``trim_row([norm_value(v) for v in raw])``, without a call per cell (calamine pads rows
    with ``''``, the most common value by far)."""
    n = len(raw)
    while n and raw[n - 1] == "":
        n -= 1
    if n < len(raw):
        raw = raw[:n]
    row = [
        ((v.strip() or None) if v else None)
        if type(v) is str
        else (int(v) if v.is_integer() else v)
        if type(v) is float
        else norm_value(v)
        for v in raw
    ]
    while row and row[-1] is None:
        row.pop()
    return row


def trim_row(row: list[Any]) -> list[Any]:
    while row and row[-1] is None:
        row.pop()
    return row


@dataclass
class SheetBuilder:
    """Collects normalised rows of one sheet: drops trailing empties, keeps max_rows."""

    max_rows: int
    rows: list[list[Any]] = field(default_factory=list)
    last_filled: int = -1
    seen: int = 0

    def add(self, row: list[Any]) -> None:
        i = self.seen
        self.seen += 1
        if row:
            self.last_filled = i
        if i < self.max_rows:
            self.rows.append(row)

    def finish(self) -> tuple[list[list[Any]], int | None]:
        total = self.last_filled + 1
        del self.rows[total:]
        return self.rows, (total if total > self.max_rows else None)


def set_errors(sheet: RawSheet, errors: dict[tuple[int, int], str], max_rows: int) -> None:
    """Blank the cells that hold formula errors and record the errors (kept rows only)."""
    for (r, c), text in errors.items():
        if r >= max_rows:
            continue
        if r < len(sheet.rows) and c < len(sheet.rows[r]):
            sheet.rows[r][c] = None
            trim_row(sheet.rows[r])
        sheet.errors[(r, c)] = text
    if errors:
        _drop_trailing_rows(sheet.rows)


def _drop_trailing_rows(rows: list[list[Any]]) -> None:
    while rows and not rows[-1]:
        rows.pop()


def merged_ranges(ranges: Any, max_rows: int) -> list[tuple[int, int, int, int]]:
    """python-calamine's ``merged_cell_ranges`` (``[((r0, c0), (r1, c1)), …]`` or None) as
    ``RawSheet.merged``: ranges of more than one cell beginning within the kept rows, the
    last row cut at the limit."""
    out = []
    for (r0, c0), (r1, c1) in ranges or ():
        if r0 < max_rows and (r1 > r0 or c1 > c0):
            out.append((r0, c0, min(r1, max_rows - 1), c1))
    return out


_MERGE_CELL = re.compile(rb"""<(?:\w+:)?mergeCell\b[^>]*?\bref\s*=\s*["']\$?([A-Z]+)\$?(\d+):\$?([A-Z]+)\$?(\d+)["']""")


def _col0(letters: bytes) -> int:
    n = 0
    for b in letters:
        n = n * 26 + b - 64
    return n - 1


def merged_from_xml(data: bytes, max_rows: int) -> list[tuple[int, int, int, int]]:
    """``RawSheet.merged`` from a worksheet part's ``<mergeCell ref="D2:D4"/>`` elements — what
    python-calamine reports, for the engine that has no such list (openpyxl, read-only)."""
    if b"mergeCell" not in data:
        return []
    ranges = [
        ((int(r0) - 1, _col0(c0)), (int(r1) - 1, _col0(c1))) for c0, r0, c1, r1 in _MERGE_CELL.findall(data)
    ]
    return merged_ranges(ranges, max_rows)
