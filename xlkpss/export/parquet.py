"""Parquet export: the history store's tables (or one consolidated workbook's) as open data.

Layout (Hive partitioning by year, which DuckDB, Spark, Polars and pyarrow read as is)::

    DIR/
      services/year=2025/services.parquet
      services/year=2026/services.parquet
      capacities/year=2026/capacities.parquet
      …                                     (one folder per table of xlkpss.history.schema)
      workbooks/year=2026/workbooks.parquet  (which consolidated workbooks the rows came from)
      sloupce.csv                            (table, column, type, Czech label)

Columns are the keys of ``xlkpss.history.schema`` (the spec's field keys, e.g. ``kapacita``,
``naklady``); ``year`` is the partition column (in the folder name, not inside the file).
Each Parquet field carries its Czech label in the field metadata (``label``).

The whole folder is written next to DIR first and moved into place at the end, so a
failure leaves DIR as it was.  An existing DIR is replaced only when an earlier export
made it (it holds ``sloupce.csv``) — never a folder of other files.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

from xlkpss.fsutil import atomic_dir
from xlkpss.history.schema import WORKBOOK_COLUMNS, tables
from xlkpss.history.store import HistoryError, add_consolidated, arrow_schema, arrow_type, connect

__all__ = ["COLUMNS_FILE", "ExportResult", "export_parquet", "export_workbook_parquet"]

COLUMNS_FILE = "sloupce.csv"


@dataclass
class ExportResult:
    folder: Path
    #: table -> {year: rows}
    rows: dict[str, dict[int, int]]

    @property
    def files(self) -> int:
        return sum(len(v) for v in self.rows.values())


def _check_target(folder: Path) -> None:
    if folder.exists():
        if not folder.is_dir():
            raise HistoryError(f"{folder} není složka")
        if any(folder.iterdir()) and not (folder / COLUMNS_FILE).is_file():
            raise HistoryError(
                f"složka {folder} není prázdná a není to dřívější export xlkpss; zvolte prázdnou nebo novou složku"
            )


def _write(con, folder: Path) -> ExportResult:
    import pyarrow.parquet as pq

    folder = Path(folder)
    _check_target(folder)
    counts: dict[str, dict[int, int]] = {}
    with atomic_dir(folder) as tmp:
        specs = [(t.name, arrow_schema(t), [c.name for c in t.columns]) for t in tables()]
        wb_schema = _workbook_schema()
        specs.append(("workbooks", wb_schema, [n for n, _, _ in WORKBOOK_COLUMNS]))
        years = [r[0] for r in con.execute("SELECT DISTINCT year FROM workbooks ORDER BY year").fetchall()]
        for name, schema, columns in specs:
            file_schema = schema.remove(schema.get_field_index("year"))
            counts[name] = {}
            cols = ", ".join(f'"{c}"' for c in columns if c != "year")
            for y in years:
                arrow = con.sql(f'SELECT {cols} FROM "{name}" WHERE year = {int(y)} ORDER BY ALL').to_arrow_table()
                arrow = arrow.cast(file_schema)
                part = tmp / name / f"year={y}"
                part.mkdir(parents=True)
                pq.write_table(arrow, part / f"{name}.parquet", compression="zstd")
                counts[name][y] = arrow.num_rows
        with open(tmp / COLUMNS_FILE, "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["tabulka", "sloupec", "typ", "popis"])
            for name, schema, _ in specs:
                for f in schema:
                    w.writerow([name, f.name, (f.metadata or {}).get(b"duckdb_type", b"").decode(),
                                (f.metadata or {}).get(b"label", b"").decode()])
    return ExportResult(folder, counts)


def _workbook_schema():
    import pyarrow as pa

    return pa.schema([pa.field(n, arrow_type(t), metadata={"label": label, "duckdb_type": t})
                      for n, t, label in WORKBOOK_COLUMNS])


def export_parquet(db_path: str | os.PathLike, folder: str | os.PathLike) -> ExportResult:
    """Every table of the history store at ``db_path`` as Parquet files under ``folder``."""
    con = connect(db_path, read_only=True)
    try:
        return _write(con, Path(folder))
    finally:
        con.close()


def export_workbook_parquet(consolidated, folder: str | os.PathLike) -> ExportResult:
    """One consolidated workbook (read with ``read_consolidated``) as Parquet files."""
    con = connect(None)
    try:
        add_consolidated(con, consolidated)
        return _write(con, Path(folder))
    finally:
        con.close()
