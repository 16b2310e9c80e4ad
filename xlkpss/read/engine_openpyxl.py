"""The reference engine: openpyxl reads xlsx / xlsm (read-only, values only) into exactly the
``RawWorkbook`` the calamine engine gives for the same file."""

from __future__ import annotations

import re
import warnings
import zipfile
from pathlib import Path
from typing import Any

from xlkpss.read.model import RawSheet, RawWorkbook
from xlkpss.read.normalise import SheetBuilder, merged_from_xml, norm_value, trim_row
from xlkpss.read.safety import ReadLimits, check_xml_safety
from xlkpss.read.sniff import Probe

__all__ = ["read_openpyxl", "read_openpyxl_sheet"]

def read_openpyxl(path: Path, probe: Probe, limits: ReadLimits) -> RawWorkbook:
    import openpyxl

    # openpyxl parses more parts than the probe checks (which are those calamine and
    # this package parse): every XML part is checked before openpyxl sees it
    with zipfile.ZipFile(path) as zf:
        check_xml_safety(zf, zf.namelist())
        merged = {name: _merged(zf, part, limits) for name, part in probe.sheet_parts.items()}
    wb = RawWorkbook(path=path, format=probe.format, sheets=[], application=probe.application)
    # A file object, not the path: openpyxl refuses by *extension* otherwise, and we
    # have already decided the format by content.
    with path.open("rb") as fh, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "extension not supported" etc.: irrelevant for values
        owb = openpyxl.load_workbook(fh, read_only=True, data_only=True, keep_links=False)
        try:
            for ws in owb.worksheets:
                # The declared <dimension> may be stale (silently truncates data) or
                # huge (LibreOffice's A1:AMJ1048576 takes 40 s): ignore it.
                ws.reset_dimensions()
                sheet, total = _openpyxl_sheet(ws, limits.max_rows)
                sheet.merged = merged.get(sheet.name, [])
                wb.sheets.append(sheet)
                if total is not None:
                    wb.truncated[sheet.name] = total
        finally:
            owb.close()
    return wb


def _merged(zf: zipfile.ZipFile, part: str, limits: ReadLimits) -> list[tuple[int, int, int, int]]:
    """A worksheet's merged ranges from its XML (read-only openpyxl keeps none), as calamine
    gives them."""
    try:
        info = zf.getinfo(part)
    except KeyError:
        return []
    if info.file_size > limits.max_uncompressed:
        return []
    return merged_from_xml(zf.read(part), limits.max_rows)


_OOXML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _ooxml_unescape_char(m: re.Match[str]) -> str:
    code = int(m.group(1), 16)
    # a lone surrogate cannot be a str character: keep the text, as calamine does
    return m.group(0) if 0xD800 <= code <= 0xDFFF else chr(code)


def _ooxml_unescape(text: str) -> str:
    """Decode ``_xHHHH_`` escapes (Excel writes CR as ``_x000D_``).  calamine decodes
    them; openpyxl leaves them in the text."""
    return _OOXML_ESCAPE.sub(_ooxml_unescape_char, text) if "_x" in text else text


def _openpyxl_sheet(ws: Any, max_rows: int) -> tuple[RawSheet, int | None]:
    builder = SheetBuilder(max_rows)
    errors: dict[tuple[int, int], str] = {}
    for r, cells in enumerate(ws.iter_rows()):
        row = []
        for c, cell in enumerate(cells):
            value = cell.value
            if cell.data_type == "e" and value is not None:
                if isinstance(value, str) and value.strip():
                    errors[(r, c)] = value.strip()
                value = None
            elif type(value) is str:
                value = _ooxml_unescape(value)
            row.append(norm_value(value))
        builder.add(trim_row(row))
    rows, total = builder.finish()
    sheet = RawSheet(ws.title, rows, hidden=ws.sheet_state != "visible")
    sheet.errors = {rc: e for rc, e in errors.items() if rc[0] < max_rows}
    return sheet, total


def read_openpyxl_sheet(
    path: Path, name: str, limits: ReadLimits, part: str | None = None
) -> tuple[RawSheet, int | None]:
    """One sheet of an xlsx / xlsm through openpyxl: what :func:`read_openpyxl` gives for
    it (rows normalised, formula errors recorded) and its row total when over the limit.

    The calamine engine reads a sheet this way when calamine refuses one of its cells —
    the error values of Excel 365 (``#SPILL!``, ``#CALC!`` …) are unknown to it — so that
    the cell becomes one formula error on its row instead of a rejected file."""
    import openpyxl

    with zipfile.ZipFile(path) as zf:
        check_xml_safety(zf, zf.namelist())
        merged = _merged(zf, part, limits) if part else []
    with path.open("rb") as fh, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        owb = openpyxl.load_workbook(fh, read_only=True, data_only=True, keep_links=False)
        try:
            ws = owb[name]
            ws.reset_dimensions()
            sheet, total = _openpyxl_sheet(ws, limits.max_rows)
            sheet.merged = merged
            return sheet, total
        finally:
            owb.close()
