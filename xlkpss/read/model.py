"""What the file readers return, whatever engine parsed the file.

Both engines (python-calamine, the fast default; openpyxl, the reference) must return
the same ``RawWorkbook`` for the same file: blank → None, strings stripped of
surrounding whitespace (empty → None), whole floats → int, dates as ``datetime.date``
(or ``datetime.datetime`` when there is a time part), booleans as bool, formula
errors recorded in ``RawSheet.errors`` (and the cell value None).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class ReadError(Exception):
    """The file cannot be read at all.  ``code`` is an issue code from xlkpss.i18n.ISSUES
    (file-empty, file-not-spreadsheet, file-encrypted, file-corrupt, file-unsafe,
    file-too-large, file-timeout, file-memory, file-not-found)."""

    def __init__(self, code: str, value: str = "", expected: str = ""):
        super().__init__(code, value)
        self.code = code
        self.value = value
        self.expected = expected


@dataclass
class RawSheet:
    name: str
    #: rows[i][j] is the cell in Excel row i+1, column j+1.  Trailing empty rows and
    #: columns are dropped; rows may have different lengths.
    rows: list[list[Any]]
    #: (row0, col0) -> error text such as "#REF!", "#N/A", "#DIV/0!", "Err:502"
    errors: dict[tuple[int, int], str] = field(default_factory=dict)
    hidden: bool = False
    #: merged cell ranges as the file has them: (first row0, first col0, last row0, last
    #: col0), those of more than one cell that begin within the kept rows, in file order
    #: (an ods: only when one of them spans more than one row, the kind the tables use)
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)

    def cell(self, row0: int, col0: int) -> Any:
        if row0 < len(self.rows) and col0 < len(self.rows[row0]):
            return self.rows[row0][col0]
        return None


@dataclass
class RawWorkbook:
    path: Path
    #: detected from content: "xlsx" | "xlsm" | "xls" | "ods"
    format: str
    sheets: list[RawSheet]
    #: the application that last saved the file, when known ("Microsoft Excel", "LibreOffice/7.4…")
    application: str | None = None
    #: sheets that were cut because they exceeded the row limit: name -> total rows
    truncated: dict[str, int] = field(default_factory=dict)

    def sheet(self, name: str) -> RawSheet | None:
        for s in self.sheets:
            if s.name == name:
                return s
        return None
