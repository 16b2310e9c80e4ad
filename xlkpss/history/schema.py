"""The tables of the history store and of the Parquet export: names, columns, types, labels.

One schema serves both: the DuckDB store (``xlkpss history add``) and the Parquet files
(``xlkpss export``) have the same tables and columns.  Columns are the consolidated
workbook's column keys (``xlkpss.merge.model.SHEET_COLUMNS``: spec field keys where a
column is a field, e.g. ``kapacita``, ``naklady``, ``zdroj_obec``), preceded by the keys of
the workbook the row came from:

* ``year`` – the year of the data (the partition column of the Parquet export),
* ``workbook_level`` – ``orp`` / ``kraj`` / ``stat``,
* ``workbook_territory`` – the code of the workbook's territory (ORP code, NUTS 3 code of
  the kraj, ``CZ``),
* ``workbook_sha256`` – SHA-256 of the consolidated workbook (provenance).

Types come from the spec (``integer`` → BIGINT, ``money`` and ``decimal`` → DOUBLE,
``date`` → DATE, everything else text) and, for computed columns, from the list below.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache

from xlkpss.merge.model import SHEET_COLUMNS, SHEETS, column_label
from xlkpss.spec import load_spec

__all__ = ["KEY_COLUMNS", "TABLES", "WORKBOOK_COLUMNS", "Column", "Table", "table", "tables"]

#: consolidated sheet key -> stored table name (the sheets with rows worth a history)
TABLES: dict[str, str] = {
    "submissions": "submissions",
    "services": "services",
    "capacities": "capacities",
    "funding": "funding",
    "plan_summary": "plan_summary",
    "activities": "activities",
    "projects": "projects",
}

#: the columns every stored row starts with (which workbook it came from)
KEY_COLUMNS = ("year", "workbook_level", "workbook_territory", "workbook_sha256")

_KEY_LABELS = {
    "year": "Rok",
    "workbook_level": "Úroveň souhrnu",
    "workbook_territory": "Kód území souhrnu",
    "workbook_sha256": "SHA-256 souhrnu",
}

#: computed (non-spec) columns with a number or date type
_COMPUTED_TYPES = {
    "services": "BIGINT",
    "capacity": "BIGINT",
    "population": "BIGINT",
    "rows_read": "BIGINT",
    "rows_merged": "BIGINT",
    "rows_excluded": "BIGINT",
    "errors": "BIGINT",
    "warnings": "BIGINT",
    "items": "BIGINT",
    "src_row": "BIGINT",
    "per_1000": "DOUBLE",
    "funding_total": "DOUBLE",
    "completeness": "DOUBLE",
    "share": "DOUBLE",
    "pct_done": "DOUBLE",
    "pct_spent": "DOUBLE",
    "date_filled": "DATE",
}

_SPEC_TYPES = {"integer": "BIGINT", "money": "DOUBLE", "decimal": "DOUBLE", "date": "DATE"}

#: the catalogue of loaded workbooks (one row per workbook kept in the store)
WORKBOOK_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("year", "INTEGER", "Rok"),
    ("workbook_level", "VARCHAR", "Úroveň souhrnu"),
    ("workbook_territory", "VARCHAR", "Kód území souhrnu"),
    ("territory_name", "VARCHAR", "Území"),
    ("workbook_sha256", "VARCHAR", "SHA-256 souhrnu"),
    ("file", "VARCHAR", "Soubor"),
    ("source_path", "VARCHAR", "Cesta k souboru při načtení"),
    ("generated", "VARCHAR", "Souhrn vytvořen"),
    ("mtime", "DOUBLE", "Čas změny souboru (s od 1. 1. 1970)"),
    ("loaded_at", "TIMESTAMP", "Načteno do historie"),
    ("expected", "BIGINT", "Očekávaní předkladatelé"),
    ("delivered", "BIGINT", "Odevzdali"),
    ("completeness", "DOUBLE", "Úplnost odevzdání (%)"),
    ("population", "BIGINT", "Počet obyvatel"),
    ("rows_read", "BIGINT", "Řádků přečteno"),
    ("rows_merged", "BIGINT", "Řádků sloučeno"),
    ("rows_excluded", "BIGINT", "Řádků vyřazeno"),
    ("version", "VARCHAR", "Verze xlkpss"),
)


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # DuckDB type: VARCHAR, BIGINT, DOUBLE, DATE, INTEGER
    label: str  # Czech heading (the consolidated workbook's)


@dataclass(frozen=True)
class Table:
    sheet: str  # consolidated sheet key
    name: str  # stored table / Parquet folder name
    sheet_name: str  # Czech sheet name
    columns: tuple[Column, ...]

    @property
    def data_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.name not in KEY_COLUMNS)


@lru_cache(maxsize=1)
def _spec_types() -> dict[str, str]:
    out: dict[str, str] = {}
    for f in load_spec().all_fields():
        out.setdefault(f.key, _SPEC_TYPES.get(f.type, "VARCHAR"))
    return out


def _type(sheet: str, col: str) -> str:
    if col in _COMPUTED_TYPES:
        return _COMPUTED_TYPES[col]
    if col.startswith("n_"):
        return "BIGINT"
    if col.startswith("share_"):
        return "DOUBLE"
    if sheet in ("submissions",):
        return "VARCHAR"
    return _spec_types().get(col, "VARCHAR")


@cache
def table(sheet: str) -> Table:
    keys = (
        Column("year", "INTEGER", _KEY_LABELS["year"]),
        *(Column(k, "VARCHAR", _KEY_LABELS[k]) for k in KEY_COLUMNS[1:]),
    )
    data = tuple(Column(c, _type(sheet, c), column_label(sheet, c)) for c in SHEET_COLUMNS[sheet])
    return Table(sheet, TABLES[sheet], SHEETS[sheet], keys + data)


def tables() -> list[Table]:
    """Every stored table, in workbook sheet order."""
    return [table(s) for s in TABLES]

