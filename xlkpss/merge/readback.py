"""Reading a consolidated workbook back: ``is_consolidated`` (cheaply, from the sheet list),
``read_consolidated`` (the same ``Consolidated`` the merge produced) and ``as_written``
(what reading would return, without writing and reading)."""

from __future__ import annotations

import html
import json
import os
import re
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from xlkpss.fsutil import sha256_file
from xlkpss.merge.bookformat import FORMAT_VERSION, META_KIND, META_SHEET, OVERVIEW_TITLE_ROWS, column_labels, jsonable
from xlkpss.merge.clean import clean_values
from xlkpss.merge.model import OPTIONAL_SHEETS, SHEET_COLUMNS, SHEETS, STATUS_LABELS, Consolidated
from xlkpss.perf import gc_paused

__all__ = ["ConsolidatedReadError", "as_written", "is_consolidated", "read_consolidated"]


#: headings of earlier versions of the workbook, still read
_OLD_LABELS = {("overview", "metric"): ("Klíč",)}


class ConsolidatedReadError(ValueError):
    """A file is not a readable consolidated workbook (Czech message)."""


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
        from xlkpss.spec import load_spec

        template = load_spec().templates.get(kv.get("kind") or "")
        if template is not None:  # a returned template given where a merge's output is wanted
            raise ConsolidatedReadError(
                f"{path.name} je vyplněná šablona „{template.title}“, ne souhrnný sešit; ten vytvoří z vyplněných "
                "šablon příkaz xlkpss merge"
            )
        raise ConsolidatedReadError(f"{path.name} není souhrnný sešit xlkpss (ten vytvoří příkaz xlkpss merge)")
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
            header_row = int(kv.get(f"header:{key}") or (OVERVIEW_TITLE_ROWS if key == "overview" else 0))
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
        labels = column_labels(key, columns)
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
    meta = json.loads(json.dumps(jsonable(c.meta), ensure_ascii=False))  # as the workbook keeps it
    return Consolidated(meta={**meta, **_file_meta(path)}, tables=dict(c.tables))
