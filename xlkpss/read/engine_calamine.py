"""The fast engine: python-calamine reads xlsx / xlsm / xls / ods (eagerly, or an xlsx sheet
at first use), and the formula errors it cannot see are added — for xlsx from the sheet
XML, for xls and ods by :mod:`xlkpss.read.engine_xlrd_ods`."""

from __future__ import annotations

import os
import re
import tempfile
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from xlkpss.read.engine_openpyxl import read_openpyxl, read_openpyxl_sheet
from xlkpss.read.engine_xlrd_ods import apply_ods_marks, apply_xls_errors
from xlkpss.read.failures import as_read_errors, short_error
from xlkpss.read.model import RawSheet, RawWorkbook, ReadError
from xlkpss.read.normalise import SheetBuilder, merged_ranges, norm_row, norm_value, set_errors
from xlkpss.read.safety import ReadLimits, check_xml_bytes, check_xml_safety, local_name, member_matches
from xlkpss.read.sniff import Probe

__all__ = ["read_calamine"]

def read_calamine(path: Path, probe: Probe, limits: ReadLimits, lazy: bool = False) -> RawWorkbook:
    try:
        return _read_calamine(path, probe, limits, lazy)
    except _OpenFailed as failed:
        # calamine cannot open the workbook at all (its XML in UTF-16, a sheet without its
        # relationship id …): openpyxl may; if it cannot either, calamine's reason is reported
        if probe.format in ("xlsx", "xlsm") and not probe.strict:
            try:
                return read_openpyxl(path, probe, limits)
            except (ReadError, MemoryError, RecursionError):
                raise
            except Exception:  # noqa: BLE001, S110 - openpyxl cannot either
                pass
        raise failed.exc from None


class _OpenFailed(Exception):
    """calamine failed to open the workbook (``exc``: its exception)."""

    def __init__(self, exc: Exception):
        super().__init__(str(exc))
        self.exc = exc


def _open_workbook(calamine_path: str) -> Any:
    import python_calamine as pc

    try:
        return pc.CalamineWorkbook.from_path(calamine_path)
    except (pc.PasswordError, MemoryError, RecursionError):
        raise
    except Exception as exc:
        raise _OpenFailed(exc) from exc


def _read_calamine(path: Path, probe: Probe, limits: ReadLimits, lazy: bool) -> RawWorkbook:
    import python_calamine as pc

    wb = RawWorkbook(path=path, format=probe.format, sheets=[], application=probe.application)
    if lazy and probe.format in ("xlsx", "xlsm") and not probe.strict:
        book = _LazyBook(path, probe, limits, wb.truncated)
        data_types = (pc.SheetTypeEnum.WorkSheet, pc.SheetTypeEnum.DialogSheet, pc.SheetTypeEnum.MacroSheet)
        for meta in book.cwb.sheets_metadata:
            if meta.typ in data_types:
                wb.sheets.append(_LazySheet(meta.name, meta.visible != pc.SheetVisibleEnum.Visible, book))
        return wb
    if probe.format in ("xlsx", "xlsm") and probe.sheet_parts:
        # every worksheet is parsed below: the DTD check the probe left to the engine
        with zipfile.ZipFile(path) as zf:
            check_xml_safety(zf, list(probe.sheet_parts.values()))
    scanned: set[str] = set()  # sheets read by openpyxl, their formula errors with them
    with _with_suffix(path, probe.format) as calamine_path, _open_workbook(calamine_path) as cwb:
        metas = cwb.sheets_metadata
        data_types = (pc.SheetTypeEnum.WorkSheet, pc.SheetTypeEnum.DialogSheet, pc.SheetTypeEnum.MacroSheet)
        for meta in metas:
            if meta.typ not in data_types:
                continue
            hidden = meta.visible != pc.SheetVisibleEnum.Visible
            try:
                sheet = cwb.get_sheet_by_name(meta.name)
                rows, total = _calamine_rows(sheet, limits.max_rows)
            except pc.PasswordError:
                raise
            except Exception as exc:  # noqa: BLE001 - name the sheet that failed
                fallback = _openpyxl_sheet(path, meta.name, limits, probe, exc)
                if fallback is not None:
                    raw, total = fallback
                    wb.sheets.append(RawSheet(meta.name, raw.rows, raw.errors, hidden, raw.merged))
                    scanned.add(meta.name)
                    if total is not None:
                        wb.truncated[meta.name] = total
                    continue
                what = "Strict Open XML, uložte jej jako běžný .xlsx; " if probe.strict else ""
                raise ReadError("file-corrupt", f"{what}list „{meta.name}“: {short_error(exc, 120)}") from None
            wb.sheets.append(RawSheet(meta.name, rows, hidden=hidden, merged=_merged(sheet, limits.max_rows)))
            if total is not None:
                wb.truncated[meta.name] = total
    if probe.format in ("xlsx", "xlsm"):
        _apply_xlsx_errors(path, probe, wb, limits.max_rows, scanned)
    elif probe.format == "ods" and probe.content_part:
        apply_ods_marks(path, probe, wb, limits.max_rows)
    elif probe.format == "xls":
        apply_xls_errors(path, wb, limits.max_rows)
    if probe.strict and not wb.sheets:
        raise ReadError("file-corrupt", "formát Strict Open XML nelze přečíst; uložte sešit jako běžný .xlsx")
    return wb


class _LazyBook:
    """An open calamine workbook whose sheets are parsed on demand (see ``lazy``)."""

    def __init__(self, path: Path, probe: Probe, limits: ReadLimits, truncated: dict[str, int]):
        self.path, self.probe, self.limits, self.truncated = path, probe, limits, truncated
        self._tmp = None
        self._zf: zipfile.ZipFile | None = None  # for the formula-error scan, opened once
        calamine_path = str(path)
        if path.suffix.lower() not in _SUFFIXES[probe.format]:
            self._tmp = tempfile.TemporaryDirectory(prefix="xlkpss-")  # removed when the book is collected
            link = Path(self._tmp.name) / f"file{_SUFFIXES[probe.format][0]}"
            link.symlink_to(path.resolve())
            calamine_path = str(link)
        self.cwb = _open_workbook(calamine_path)

    def load(self, name: str) -> RawSheet:
        """The sheet's rows and formula errors, exactly as eager reading gives them."""
        import python_calamine as pc

        with as_read_errors():
            # the sheet part's bytes, once: the DTD check before calamine parses it (the
            # probe leaves worksheets to the engine) and the formula-error scan after
            part = self.probe.sheet_parts.get(name)
            data = _sheet_bytes(self.path, self.probe.part_spans.get(part), self.probe.data) if part else None
            if part is not None:
                if data is not None:
                    check_xml_bytes(part, data)
                else:
                    check_xml_safety(self._zipfile(), [part])
            try:
                sheet = self.cwb.get_sheet_by_name(name)
                rows, total = _calamine_rows(sheet, self.limits.max_rows)
            except (pc.PasswordError, MemoryError, RecursionError):
                raise
            except Exception as exc:  # noqa: BLE001 - name the sheet that failed
                fallback = _openpyxl_sheet(self.path, name, self.limits, self.probe, exc)
                if fallback is None:
                    raise ReadError("file-corrupt", f"list „{name}“: {short_error(exc, 120)}") from None
                raw, total = fallback
                if total is not None:
                    self.truncated[name] = total
                return RawSheet(name, raw.rows, raw.errors, merged=raw.merged)
            out = RawSheet(name, rows, merged=_merged(sheet, self.limits.max_rows))
            if total is not None:
                self.truncated[name] = total
            if part is not None and not (data is not None and _no_t_e(data)):
                set_errors(out, _xlsx_errors(self._zipfile(), part), self.limits.max_rows)
        return out

    def _zipfile(self) -> zipfile.ZipFile:
        if self._zf is None:
            self._zf = zipfile.ZipFile(self.path)
        return self._zf


class _LazySheet(RawSheet):
    """A :class:`RawSheet` whose cells are read at first use (pickles as a plain one)."""

    def __init__(self, name: str, hidden: bool, book: _LazyBook):
        self.name = name
        self.hidden = hidden
        self._book: _LazyBook | None = book
        self._loaded: RawSheet | None = None

    def _load(self) -> RawSheet:
        if self._loaded is None:
            assert self._book is not None
            self._loaded = self._book.load(self.name)
            self._book = None
        return self._loaded

    @property  # type: ignore[override]
    def rows(self) -> list[list[Any]]:
        return self._load().rows

    @property  # type: ignore[override]
    def errors(self) -> dict[tuple[int, int], str]:
        return self._load().errors

    @property  # type: ignore[override]
    def merged(self) -> list[tuple[int, int, int, int]]:
        return self._load().merged

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RawSheet):
            return NotImplemented
        mine = (self.name, self.rows, self.errors, self.hidden, self.merged)
        return mine == (other.name, other.rows, other.errors, other.hidden, other.merged)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        state = "loaded" if self._loaded is not None else "not loaded"
        return f"_LazySheet({self.name!r}, hidden={self.hidden}, {state})"

    def __reduce__(self):
        return (RawSheet, (self.name, self.rows, self.errors, self.hidden, self.merged))


@contextmanager
def _with_suffix(path: Path, fmt: str) -> Iterator[str]:
    """A path to the file whose extension matches its sniffed format.

    calamine picks its parser by the extension of a path (an xlsx named .xls fails).
    Its content detection (``from_filelike``) tries every parser and reports only
    "Cannot detect file format", losing PasswordError and the real cause; so a
    misnamed file is read through a symlink with the right extension instead.
    """
    if path.suffix.lower() in _SUFFIXES[fmt]:
        yield str(path)
        return
    with tempfile.TemporaryDirectory(prefix="xlkpss-") as tmp:
        link = Path(tmp) / f"file{_SUFFIXES[fmt][0]}"
        link.symlink_to(path.resolve())
        yield str(link)


_SUFFIXES = {"xlsx": (".xlsx", ".xlsm"), "xlsm": (".xlsm", ".xlsx"), "xls": (".xls",), "ods": (".ods",)}


def _calamine_rows(sheet: Any, max_rows: int) -> tuple[list[list[Any]], int | None]:
    """Normalised rows from A1 (``skip_empty_area=False``: keep Excel coordinates)."""
    end = sheet.end
    builder = SheetBuilder(max_rows)
    if end is None:
        return builder.finish()
    if end[0] < max_rows:
        for raw in sheet.to_python(skip_empty_area=False):
            builder.add(norm_row(raw))
        return builder.finish()
    # Too many rows: convert only the kept ones; the rest is just checked for content
    # to report the true total.  (iter_rows does not pad leading columns, so it is only
    # used for that check.)
    for raw in sheet.to_python(skip_empty_area=False, nrows=max_rows):
        builder.add(norm_row(raw))
    for i, raw in enumerate(sheet.iter_rows()):
        if i >= max_rows and any(norm_value(v) is not None for v in raw):
            builder.last_filled = i
    return builder.finish()


def _merged(sheet: Any, max_rows: int) -> list[tuple[int, int, int, int]]:
    """The sheet's merged ranges (``RawSheet.merged``); none where calamine has no list (ods)."""
    try:
        ranges = sheet.merged_cell_ranges
    except Exception:  # noqa: BLE001 - a format calamine keeps none for
        return []
    return merged_ranges(ranges, max_rows)


def _sheet_bytes(path: Path, span: Any, file_data: bytes | None = None) -> bytes | None:
    """A sheet part's bytes read directly (``xlkpss.read.zipparts``; from ``file_data``, the
    file the probe read, when given), or None: then use zipfile."""
    if span is None:
        return None
    from xlkpss.read.zipparts import read_member

    if file_data is not None:
        return read_member(file_data, span)
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        return read_member(fd, span)
    finally:
        os.close(fd)


def _no_t_e(data: bytes) -> bool:
    """True when the part's bytes certainly have no error cell (no ``t="e"``)."""
    # every match of _T_E contains a quote, e, a quote: _QEQ finds those 4× faster than
    # searching the four byte strings (it scans for the literal "e", then looks around)
    return _QEQ.search(data) is None or _T_E.search(data) is None


def _no_errors(path: Path, span: Any, file_data: bytes | None = None) -> bool:
    """True when the sheet part certainly has no error cell.  False means: scan it with zipfile."""
    data = _sheet_bytes(path, span, file_data)
    return data is not None and _no_t_e(data)


def _apply_xlsx_errors(path: Path, probe: Probe, wb: RawWorkbook, max_rows: int, scanned: set[str]) -> None:
    scan = [
        (s, probe.sheet_parts[s.name])
        for s in wb.sheets
        if probe.sheet_parts.get(s.name) is not None and s.name not in scanned
    ]
    scan = [(s, part) for s, part in scan if not _no_errors(path, probe.part_spans.get(part), probe.data)]
    if not scan:
        return
    with zipfile.ZipFile(path) as zf:
        for sheet, part in scan:
            set_errors(sheet, _xlsx_errors(zf, part), max_rows)


def _openpyxl_sheet(
    path: Path, name: str, limits: ReadLimits, probe: Probe, exc: Exception
) -> tuple[RawSheet, int | None] | None:
    """The sheet calamine failed to parse (``exc``), read by openpyxl instead — the same
    values the reference engine gives — or None when openpyxl cannot read it either (the
    caller then reports calamine's failure).

    calamine refuses a whole sheet over one cell it does not understand: the error values
    Excel 365 added (``#SPILL!``, ``#CALC!``, ``#FIELD!`` …: with openpyxl the cell is a
    formula error on its row, as ``#DIV/0!`` is), a number written with line breaks
    around it (pretty-printed XML), a cell reference without its column.  Only xlsx /
    xlsm that is not Strict (what openpyxl reads), and never calamine's own guard against
    repeated-cell bombs."""
    if probe.format not in ("xlsx", "xlsm") or probe.strict or "Cell limit exceeded" in str(exc):
        return None
    try:
        return read_openpyxl_sheet(path, name, limits, probe.sheet_parts.get(name))
    except (ReadError, MemoryError, RecursionError):
        raise
    except Exception:  # noqa: BLE001 - openpyxl cannot either: calamine's failure is reported
        return None


_T_E = re.compile(rb"""\st\s*=\s*["']e["']""")
_QEQ = re.compile(rb"""e["'](?<=["']e["'])""")


def _col_index(ref: str) -> tuple[int, int] | None:
    """'AB12' -> (row0, col0); None when the reference is not of that shape."""
    col = 0
    i = 0
    n = len(ref)
    while i < n and "A" <= ref[i] <= "Z":
        col = col * 26 + ord(ref[i]) - 64
        i += 1
    if i == 0 or i == n or not ref[i:].isdigit():
        return None
    return int(ref[i:]) - 1, col - 1


def _xlsx_errors(zf: zipfile.ZipFile, part: str) -> dict[tuple[int, int], str]:
    """Cells with ``t="e"`` in a worksheet part: (row0, col0) -> error text.

    Most sheets have none, so a byte scan decides first; only sheets with error cells
    are parsed (iterparse, memory flat).  Positions follow the ``r`` attributes, or
    count on when a generator omits them, as Excel does.
    """
    if not member_matches(zf, part, _T_E):
        return {}
    errors: dict[tuple[int, int], str] = {}
    row0, col0 = -1, -1
    parent: ET.Element | None = None
    with zf.open(part) as fh:
        for event, el in ET.iterparse(fh, events=("start", "end")):
            tag = local_name(el.tag)
            if event == "start":
                if tag == "row":
                    r = el.get("r")
                    row0 = int(r) - 1 if r and r.isdigit() else row0 + 1
                    col0 = -1
                elif tag == "sheetData":
                    parent = el
                continue
            if tag == "c":
                ref = _col_index(el.get("r") or "")
                if ref is not None:
                    row0, col0 = ref
                else:
                    col0 += 1
                if el.get("t") == "e":
                    v = next((ch for ch in el if local_name(ch.tag) == "v"), None)
                    text = (v.text or "").strip() if v is not None else ""
                    if text:
                        errors[(row0, col0)] = text
            elif tag == "row" and parent is not None:
                parent.clear()  # processed rows are not needed: keep memory flat
    return errors
