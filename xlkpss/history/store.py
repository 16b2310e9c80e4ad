"""The history store: consolidated workbooks of many years in one embedded DuckDB file.

``add_paths(db, paths)`` loads consolidated workbooks (any level, any year) read through
the public reader ``xlkpss.merge.workbook.read_consolidated``.  A workbook is identified
by its *slot* — level + territory + year — and by its SHA-256:

* the same workbook added again changes nothing (``unchanged``);
* another workbook of the same slot replaces the stored one when it is newer (the merge
  date ``generated``, then the file's modification time), and the result says which one
  it replaced (``replaced``); an older one is not loaded and the result says so (``older``);
* each workbook is loaded in one transaction: a failure leaves the store as it was.

Tables and columns: ``xlkpss.history.schema``.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xlkpss.history.schema import KEY_COLUMNS, WORKBOOK_COLUMNS, Table, tables

__all__ = [
    "DEFAULT_DB",
    "AddResult",
    "HistoryError",
    "add_consolidated",
    "add_paths",
    "arrow_schema",
    "arrow_type",
    "connect",
    "describe_slot",
    "load_into",
]

#: the store's file name when ``--db`` is not given (in the current folder)
DEFAULT_DB = "kpss.duckdb"


class HistoryError(Exception):
    """The store cannot be opened or a workbook cannot be stored (Czech message)."""


@dataclass
class AddResult:
    path: Path
    #: added | unchanged | replaced | older | error
    status: str
    message: str
    year: int | None = None
    level: str | None = None
    territory: str | None = None
    rows: int = 0


def describe_slot(level: str, territory_name: str, year: Any) -> str:
    """``ORP Chomutov, rok 2026`` / ``Ústecký kraj, rok 2026`` / ``Česká republika, rok 2026``."""
    place = f"ORP {territory_name}" if level == "orp" else str(territory_name)
    return f"{place}, rok {year}"


def connect(db_path: str | os.PathLike | None, *, read_only: bool = False):
    """Open (or create) the store and make sure every table exists.  ``None`` = in memory."""
    import duckdb

    if db_path is not None:
        path = Path(db_path)
        if read_only and not path.is_file():
            raise HistoryError(f"databáze historie {path} neexistuje (nejdřív: xlkpss history add … --db {path})")
        if path.is_dir():
            raise HistoryError(f"{path} je složka, ne soubor databáze historie")
    try:
        con = duckdb.connect(":memory:" if db_path is None else str(db_path), read_only=read_only)
    except duckdb.Error as exc:
        raise HistoryError(
            f"{db_path}: soubor nelze otevřít jako databázi historie (DuckDB): {str(exc).splitlines()[0]}"
        ) from None
    if not read_only:
        _ensure_schema(con)
    return con


def _ensure_schema(con) -> None:
    cols = ", ".join(f'"{n}" {t}' for n, t, _ in WORKBOOK_COLUMNS)
    con.execute(f"CREATE TABLE IF NOT EXISTS workbooks ({cols}, PRIMARY KEY (year, workbook_level, workbook_territory))")
    for t in tables():
        cols = ", ".join(f'"{c.name}" {c.type}' for c in t.columns)
        con.execute(f'CREATE TABLE IF NOT EXISTS "{t.name}" ({cols})')
        existing = {r[0] for r in con.execute(f"DESCRIBE \"{t.name}\"").fetchall()}
        for c in t.columns:  # a newer xlkpss added a column: older rows get NULL
            if c.name not in existing:
                con.execute(f'ALTER TABLE "{t.name}" ADD COLUMN "{c.name}" {c.type}')


# ---------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------


class _BadValue(ValueError):
    pass


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and not v.strip())


def _to_int(v: Any) -> int:
    if isinstance(v, bool):
        raise _BadValue
    if isinstance(v, int):
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, str):
        f = float(v.replace(",", ".").replace(" ", "").replace("\u00a0", ""))
        if f.is_integer():
            return int(f)
    raise _BadValue


def _to_float(v: Any) -> float:
    if isinstance(v, bool):
        raise _BadValue
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        return float(v.replace(",", ".").replace(" ", "").replace("\u00a0", ""))
    raise _BadValue


def _to_date(v: Any) -> dt.date:
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if isinstance(v, str):
        return dt.date.fromisoformat(v.strip()[:10])
    raise _BadValue


def _to_text(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    return str(v)


_CONVERT: dict[str, Callable[[Any], Any]] = {
    "BIGINT": _to_int,
    "INTEGER": _to_int,
    "DOUBLE": _to_float,
    "DATE": _to_date,
    "VARCHAR": _to_text,
}


def arrow_type(duck: str):
    """The pyarrow type of a DuckDB column type of the schema."""
    import pyarrow as pa

    return {"BIGINT": pa.int64(), "INTEGER": pa.int32(), "DOUBLE": pa.float64(), "DATE": pa.date32()}.get(
        duck, pa.string()
    )


def arrow_schema(t: Table, *, without: Iterable[str] = ()):
    """The pyarrow schema of a stored table; each field carries its Czech label as metadata."""
    import pyarrow as pa

    skip = set(without)
    return pa.schema(
        [
            pa.field(c.name, arrow_type(c.type), metadata={"label": c.label, "duckdb_type": c.type})
            for c in t.columns
            if c.name not in skip
        ]
    )


def _frame_to_arrow(t: Table, frame, keys: dict[str, Any], file: str):
    """One consolidated sheet (DataFrame of objects) as a typed arrow table; a value that
    does not fit its column stops the load with its position (nothing is silently dropped)."""
    import pyarrow as pa

    n = len(frame)
    data: dict[str, list[Any]] = {}
    for c in t.columns:
        if c.name in KEY_COLUMNS:
            data[c.name] = [keys[c.name]] * n
            continue
        if c.name not in frame.columns:
            data[c.name] = [None] * n
            continue
        convert = _CONVERT[c.type]
        out: list[Any] = []
        for i, v in enumerate(frame[c.name].tolist()):
            if _blank(v):
                out.append(None)
                continue
            try:
                out.append(convert(v))
            except (_BadValue, ValueError, TypeError, OverflowError):
                raise HistoryError(
                    f"{file}: list {t.sheet_name}, řádek {i + 2}, sloupec „{c.label}“: hodnotu „{v}“ nelze uložit "
                    f"({'číslo' if c.type in ('BIGINT', 'DOUBLE', 'INTEGER') else 'datum'} očekáváno)"
                ) from None
        data[c.name] = out
    return pa.table(data, schema=arrow_schema(t))


# ---------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------


def _slot(c) -> tuple[int, str, str]:
    meta = c.meta
    try:
        year = int(meta.get("year"))
    except (TypeError, ValueError):
        raise HistoryError(f"{meta.get('file', 'souhrn')}: souhrnný sešit neuvádí rok") from None
    level = str(meta.get("level") or "orp")
    code = meta.get("territory_code")
    if level == "stat" and not code:
        code = "CZ"
    if not code:
        raise HistoryError(f"{meta.get('file', 'souhrn')}: souhrnný sešit neuvádí území")
    return year, level, str(code)


def _workbook_row(c, year: int, level: str, code: str) -> dict[str, Any]:
    m = c.meta
    row = {
        "year": year,
        "workbook_level": level,
        "workbook_territory": code,
        "territory_name": m.get("territory_name") or code,
        "workbook_sha256": m.get("sha256") or "",
        "file": m.get("file") or "",
        "source_path": m.get("source_path") or "",
        "generated": str(m.get("generated") or ""),
        "mtime": m.get("mtime"),
        "loaded_at": dt.datetime.now().replace(microsecond=0),
        "version": m.get("version"),
    }
    for k in ("expected", "delivered", "completeness", "population", "rows_read", "rows_merged", "rows_excluded"):
        v = m.get(k)
        row[k] = None if _blank(v) or isinstance(v, (list, dict)) else v
    return row


def _newer(new: dict[str, Any], old: tuple[str, float | None]) -> bool:
    """Is the incoming workbook newer than the stored one?  Merge date, then file time;
    a tie counts as newer (the one added last wins)."""
    old_gen, old_mtime = old
    if new["generated"] != (old_gen or ""):
        return new["generated"] > (old_gen or "")
    return (new["mtime"] or 0) >= (old_mtime or 0)


def load_into(con, c) -> int:
    """Insert every table of consolidated data ``c`` (no slot check); rows inserted."""
    year, level, code = _slot(c)
    keys = {"year": year, "workbook_level": level, "workbook_territory": code, "workbook_sha256": c.meta.get("sha256") or ""}
    file = str(c.meta.get("file") or "souhrn")
    total = 0
    for t in tables():
        arrow = _frame_to_arrow(t, c.table(t.sheet), keys, file)
        if arrow.num_rows:
            con.register("_incoming", arrow)
            con.execute(f'INSERT INTO "{t.name}" SELECT * FROM _incoming')
            con.unregister("_incoming")
        if t.sheet == "services":
            total = arrow.num_rows
    row = _workbook_row(c, year, level, code)
    names = [n for n, _, _ in WORKBOOK_COLUMNS]
    con.execute(
        f"INSERT INTO workbooks ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
        [row[n] for n in names],
    )
    return total


def add_consolidated(con, c, path: Path | None = None) -> AddResult:
    """Store consolidated data ``c`` (read with ``read_consolidated``) under its slot."""
    path = Path(path or c.meta.get("source_path") or c.meta.get("file") or "souhrn.xlsx")
    year, level, code = _slot(c)
    slot = describe_slot(level, c.meta.get("territory_name") or code, year)
    sha = c.meta.get("sha256") or ""
    stored = con.execute(
        "SELECT workbook_sha256, file, generated, mtime FROM workbooks WHERE year = ? AND workbook_level = ? "
        "AND workbook_territory = ?",
        [year, level, code],
    ).fetchone()
    base = {"year": year, "level": level, "territory": code}
    if stored is not None and stored[0] == sha:
        return AddResult(path, "unchanged", f"beze změny: {path.name} ({slot}) už v historii je", **base)
    new = _workbook_row(c, year, level, code)
    if stored is not None and not _newer(new, (stored[2], stored[3])):
        return AddResult(
            path,
            "older",
            f"nenačteno: {path.name} ({slot}) je starší než uložený souhrn {stored[1]} "
            f"(vytvořen {stored[2] or 'neznámo kdy'}); v historii zůstává uložený",
            **base,
        )
    con.execute("BEGIN TRANSACTION")
    try:
        if stored is not None:
            for t in tables():
                con.execute(
                    f'DELETE FROM "{t.name}" WHERE year = ? AND workbook_level = ? AND workbook_territory = ?',
                    [year, level, code],
                )
            con.execute(
                "DELETE FROM workbooks WHERE year = ? AND workbook_level = ? AND workbook_territory = ?",
                [year, level, code],
            )
        rows = load_into(con, c)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    if stored is not None:
        return AddResult(
            path,
            "replaced",
            f"nahrazeno: {path.name} ({slot}, vytvořen {new['generated'] or 'neznámo kdy'}, služeb: {rows}) "
            f"nahrazuje starší souhrn {stored[1]} "
            f"(vytvořen {stored[2] or 'neznámo kdy'})",
            rows=rows,
            **base,
        )
    return AddResult(path, "added", f"načteno: {path.name} ({slot}, služeb: {rows})", rows=rows, **base)


def add_paths(db_path: str | os.PathLike, paths: Iterable[str | os.PathLike]) -> list[AddResult]:
    """Load consolidated workbooks into the store at ``db_path`` (created when missing).

    A file that is not a consolidated workbook gets an ``error`` result and the others
    are still loaded.  Raises ``HistoryError`` only when the store itself cannot be opened.
    """
    from xlkpss.merge.workbook import ConsolidatedReadError, read_consolidated

    results: list[AddResult] = []
    con = connect(db_path)
    try:
        for p in paths:
            p = Path(p)
            try:
                c = read_consolidated(p)
                results.append(add_consolidated(con, c, p))
            except ConsolidatedReadError as exc:
                results.append(AddResult(p, "error", f"chyba: {exc}"))
            except HistoryError as exc:
                results.append(AddResult(p, "error", f"chyba: {exc}"))
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return results
