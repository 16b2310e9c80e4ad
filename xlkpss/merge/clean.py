"""Clean values of a ``Consolidated`` and its frames ↔ records: what every merge module
shares (``clean_value``, ``clean_values``, ``frame_records``, ``sheet_frame``, ``sheet_table``)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from xlkpss.merge.model import SHEET_COLUMNS

__all__ = ["clean_value", "clean_values", "frame_records", "sheet_frame", "sheet_table"]


def clean_value(value: Any) -> Any:
    """pandas NA/NaN → None; numpy scalars → Python; whole floats → int; datetimes at
    midnight → date; empty strings → None.  Every value in a ``Consolidated`` is clean."""
    if value is None:
        return None
    # the common, already plain values first (called for every cell of every merge)
    kind = type(value)
    if kind is str:
        return value if value.strip() else None
    if kind is int or kind is bool or kind is dt.date:
        return value
    if kind is float:
        if math.isnan(value):
            return None
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    return _clean_other(value)


def clean_values(values: Iterable[Any]) -> list[Any]:
    """``[clean_value(v) for v in values]``, without a call for None, int and non-blank
    text (by far the most common values)."""
    return [
        v if v is None or (t := type(v)) is int or (t is str and v and not v.isspace()) else clean_value(v)
        for v in values
    ]


def _clean_other(value: Any) -> Any:
    """``clean_value`` of anything but None, str, int, bool, date and float."""
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, bool):
        return value
    try:
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return None
    except ImportError:  # pragma: no cover - pandas is a dependency
        pass
    if hasattr(value, "item") and not isinstance(value, (dt.date, dt.datetime)):
        try:
            value = value.item()
        except (AttributeError, ValueError):
            pass
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer() and abs(value) < 2**53:
            return int(value)
        return value
    if isinstance(value, dt.datetime):
        if value.hour == value.minute == value.second == value.microsecond == 0:
            return value.date()
        return value
    if hasattr(value, "to_pydatetime"):
        return clean_value(value.to_pydatetime())
    return value


def frame_records(frame, *, clean: bool = True) -> list[dict[str, Any]]:
    """The rows of a frame as {column: clean value}; ``clean=False`` for a frame whose
    values are known to be clean (one ``sheet_frame`` just built)."""
    if frame is None or len(frame) == 0:
        return []
    cols = [str(c) for c in frame.columns.tolist()]
    rows = _frame_rows(frame)
    if not clean:
        return [dict(zip(cols, values)) for values in rows]
    return [dict(zip(cols, clean_values(values))) for values in rows]


def _frame_rows(frame) -> list[Sequence[Any]]:
    """The rows of ``frame.to_numpy(dtype=object).tolist()`` (as tuples): the same values,
    read block by block.

    A merge reads tens of thousands of small per-file frames (a few rows, blocks of several
    dtypes — ``validate.engine`` assembles them from blocks); ``to_numpy`` interleaves
    their blocks at ~80 µs a frame, this at a fraction.  Each column is converted as
    ``to_numpy`` converts its block (``astype(object)``); any other layout takes ``to_numpy``.
    """
    import numpy as np
    import pandas as pd
    from pandas.api.extensions import ExtensionArray

    masked = (pd.arrays.IntegerArray, pd.arrays.FloatingArray, pd.arrays.BooleanArray)
    try:
        width = frame.shape[1]
        columns: list[Any] = [None] * width
        for blk in frame._mgr.blocks:
            values = blk.values
            locs = blk.mgr_locs.as_array.tolist()
            if type(values) is np.ndarray and values.ndim == 2 and values.dtype.kind in "iufbO":
                # tolist() gives the Python numbers astype(object) gives
                for loc, col in zip(locs, values.tolist()):
                    columns[loc] = col
            elif type(values) in masked and len(locs) == 1:
                # astype(object) of a masked array: its data as Python objects, NA where masked
                na = pd.NA
                columns[locs[0]] = [na if m else v for v, m in zip(values._data.tolist(), values._mask.tolist())]
            elif isinstance(values, ExtensionArray) and values.ndim == 1 and len(locs) == 1:
                columns[locs[0]] = values.astype(object).tolist()
            else:
                raise TypeError(type(values).__name__)
        if any(col is None for col in columns):
            raise TypeError("a column without a block")
    except (AttributeError, TypeError, ValueError):  # other pandas internals: the public way
        return frame.to_numpy(dtype=object).tolist()
    return list(zip(*columns))


def sheet_frame(sheet: str, rows: list[dict[str, Any]], columns: Sequence[str] | None = None):
    """A frame of one sheet of a ``Consolidated`` (its columns from ``SHEET_COLUMNS`` unless
    given) with every value cleaned; object dtype, so nothing is coerced."""
    return sheet_table(sheet, rows, columns, records=False)[0]


def sheet_table(
    sheet: str,
    rows: list[dict[str, Any]],
    columns: Sequence[str] | None = None,
    *,
    records: bool = True,
    is_clean: Callable[[dict[str, Any]], bool] | None = None,
) -> tuple[Any, list[dict[str, Any]]]:
    """``sheet_frame`` and its rows as {column: clean value} — what ``frame_records`` of the
    frame gives, without reading the frame back (a merge derives its computed sheets from
    the record sheets it has just built).  ``records=False``: the frame only.  A row for
    which ``is_clean(row)`` is true holds clean values already (a row of a consolidated
    workbook): it is not cleaned again."""
    import pandas as pd

    cols = list(columns or SHEET_COLUMNS[sheet])
    if not rows:
        return pd.DataFrame({c: [] for c in cols}, columns=cols, dtype=object), []
    # row by row: map(r.get, cols) walks the columns in C, a list per column walked them in Python
    if is_clean is None:
        data = [clean_values(map(r.get, cols)) for r in rows]
    else:
        data = [list(map(r.get, cols)) if is_clean(r) else clean_values(map(r.get, cols)) for r in rows]
    frame = pd.DataFrame(data, columns=cols, dtype=object)
    if not records:
        return frame, []
    keys = [str(c) for c in cols]
    return frame, [dict(zip(keys, values)) for values in data]
