"""What a consolidated workbook keeps between writing and reading it back: the hidden
``_xlkpss`` sheet and its format version, the rows above each sheet's header, where each
column sits (``SheetLayout``), the column headings, and the metadata as JSON."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any

from xlkpss.merge.clean import clean_value
from xlkpss.merge.model import column_label
from xlkpss.read.recognise import col_letter

__all__ = [
    "FORMAT_VERSION",
    "META_KIND",
    "META_SHEET",
    "OVERVIEW_TITLE_ROWS",
    "TITLE_ROWS",
    "SheetLayout",
    "column_labels",
    "jsonable",
]


META_SHEET = "_xlkpss"


META_KIND = "souhrn"


#: version of the consolidated workbook layout (``_xlkpss`` row ``format_version``)
FORMAT_VERSION = 1


OVERVIEW_TITLE_ROWS = 3  # title, subtitle, blank; the table header is on row 4


#: rows above the table header: Přehled has a title, Chyby a title and the group counts
TITLE_ROWS = {"overview": OVERVIEW_TITLE_ROWS, "errors": 2}


@dataclass
class SheetLayout:
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


def column_labels(key: str, columns: list[str]) -> list[str]:
    return [column_label(key, col) for col in columns]


def jsonable(meta: dict[str, Any]) -> dict[str, Any]:
    skip = {"file", "source_path", "sha256", "mtime"}
    out = {}
    for k, v in meta.items():
        if k in skip:
            continue
        v = clean_value(v)
        out[k] = v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v
    return out
