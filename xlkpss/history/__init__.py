"""Years of history: consolidated workbooks of many years and territories in one embedded
DuckDB store (``store``), the trends page (``report``) and the tables' schema (``schema``)."""

from xlkpss.history.store import DEFAULT_DB, AddResult, HistoryError, add_paths, connect

__all__ = ["DEFAULT_DB", "AddResult", "HistoryError", "add_paths", "connect"]
