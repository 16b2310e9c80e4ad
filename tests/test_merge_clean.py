"""The frame ↔ records helpers a merge runs on every row (``xlkpss.merge.clean``), the sort
key of Služby and the count of excluded rows: the fast ways give exactly what the plain
pandas ways give (values and their types)."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from xlkpss.codelists import codelist
from xlkpss.collate import czech_key
from xlkpss.merge.clean import clean_values, frame_records, sheet_frame, sheet_table
from xlkpss.merge.consolidate import service_order
from xlkpss.validate.issues import FileResult


def _typed(rows):
    """Values with their types (1 == 1.0 == True, but a workbook shows them differently);
    NaN and NA by name, since neither equals itself."""
    return [[(type(v).__name__, repr(v)) for v in row] for row in rows]


def _mixed_frame() -> pd.DataFrame:
    """A frame laid out like validation's per-file frames: numpy blocks of several dtypes
    and masked columns with missing values."""
    return pd.DataFrame(
        {
            "_row": [5, 6, 7],
            "nazev": ["A", "  ", None],
            "kapacita": pd.array([1.0, None, 2.5], dtype="Float64"),
            "pocet": pd.array([3, None, 4], dtype="Int64"),
            "ano": pd.array([True, None, False], dtype="boolean"),
            "cena": [1.0, float("nan"), 2.5],
            "datum": [dt.date(2026, 1, 1), None, dt.datetime(2026, 1, 2, 0, 0)],
            "_excluded": [False, True, False],
        }
    )


@pytest.mark.parametrize(
    "frame",
    [
        _mixed_frame(),
        _mixed_frame().iloc[1:].reset_index(drop=True),
        pd.DataFrame({"a": ["x", None], "b": [1, 2]}, dtype=object),
        pd.DataFrame({"a": pd.Series(["x", None], dtype="string"), "b": pd.to_datetime(["2026-01-01", None])}),
        pd.DataFrame({"a": [1, 2], "b": [3.5, 4.0]})[["b", "a"]],  # columns out of block order
    ],
)
def test_frame_records_equal_the_frame_as_one_object_array(frame):
    cols = [str(c) for c in frame.columns]
    plain = frame.to_numpy(dtype=object).tolist()
    assert _typed([list(r.values()) for r in frame_records(frame, clean=False)]) == _typed(plain)
    assert _typed([list(r.values()) for r in frame_records(frame)]) == _typed([clean_values(r) for r in plain])
    assert all(list(r) == cols for r in frame_records(frame))


def test_frame_records_of_a_mixed_frame_are_clean():
    recs = frame_records(_mixed_frame())
    assert recs[0] == {"_row": 5, "nazev": "A", "kapacita": 1, "pocet": 3, "ano": True, "cena": 1,
                       "datum": dt.date(2026, 1, 1), "_excluded": False}  # fmt: skip
    assert type(recs[0]["kapacita"]) is int and type(recs[2]["kapacita"]) is float
    assert recs[1] == {"_row": 6, "nazev": None, "kapacita": None, "pocet": None, "ano": None, "cena": None,
                       "datum": None, "_excluded": True}  # fmt: skip
    assert recs[2]["datum"] == dt.date(2026, 1, 2) and type(recs[2]["datum"]) is dt.date


def _old_sheet_frame(rows, cols):
    """sheet_frame as it was: one cleaned list per column."""
    data = {c: clean_values([r.get(c) for r in rows]) for c in cols}
    return pd.DataFrame(data, columns=cols, dtype=object)


def test_sheet_table_equals_the_frame_built_by_column_and_read_back():
    cols = ["a", "b", "c", "d"]
    rows = [
        {"a": "x", "b": 2.0, "c": "  ", "extra": 1},
        {"b": float("nan"), "d": dt.datetime(2026, 3, 1)},
        {"a": None, "b": 2**60 + 0.0, "c": True, "d": dt.datetime(2026, 3, 1, 12)},
    ]
    old = _old_sheet_frame(rows, cols)
    frame, records = sheet_table("services", rows, cols)
    assert list(frame.columns) == cols and list(frame.dtypes) == [object] * 4
    assert repr(frame.index) == repr(old.index)
    assert _typed(frame.to_numpy(dtype=object).tolist()) == _typed(old.to_numpy(dtype=object).tolist())
    assert _typed([list(r.values()) for r in records]) == _typed(
        [list(r.values()) for r in frame_records(old, clean=False)]
    )
    assert _typed(sheet_frame("services", rows, cols).to_numpy(dtype=object).tolist()) == _typed(
        old.to_numpy(dtype=object).tolist()
    )
    empty, none = sheet_table("services", [], cols)
    assert none == [] and list(empty.columns) == cols and len(empty) == 0
    assert repr(empty.index) == repr(_old_sheet_frame([], cols).index)


def test_sheet_table_leaves_rows_known_clean_as_they_are():
    rows = [{"a": "  ", "b": 2.0}, {"a": "  ", "b": 2.0, "clean": True}]
    frame, records = sheet_table("services", rows, ["a", "b"], is_clean=lambda r: bool(r.get("clean")))
    assert records == [{"a": None, "b": 2}, {"a": "  ", "b": 2.0}]
    assert frame.to_numpy(dtype=object).tolist() == [list(r.values()) for r in records]
    assert type(records[0]["b"]) is int and type(records[1]["b"]) is float


def _old_service_order(r):
    position = codelist("druhy_sluzeb").position(r.get("druh")) if r.get("druh") else None
    return (
        czech_key(r.get("nazev_orp") or ""),
        czech_key(r.get("nazev_obce") or ""),
        999 if position is None else position,
        str(r.get("identifikator") or ""),
        czech_key(r.get("nazev_sluzby") or ""),
        str(r.get("forma") or ""),
        str(r.get("src_file") or ""),
        r.get("src_row") or 0,
    )


def test_the_sort_key_of_services_is_the_key_computed_row_by_row():
    druhy = [i.display for i in codelist("druhy_sluzeb")][:3]
    rows = [
        {"nazev_orp": o, "nazev_obce": obec, "druh": d, "nazev_sluzby": n, "src_row": k}
        for k, (o, obec, d, n) in enumerate(
            [
                ("Chomutov", "Čachovice", druhy[0], "Služba b"),
                ("Chomutov", "Cachovice", druhy[1], "služba a"),
                ("Kadaň", None, None, "  x"),
                ("Chomutov", "Čachovice", "neznámý druh", 12),
                (None, "Chrudim", druhy[2], "Služba b"),
                ("Chomutov", "Čachovice", druhy[0], "Služba b"),
                ("Chomutov", "Čachovice", "", 12.0),
            ]
        )
    ]
    key = service_order()
    assert [key(r) for r in rows] == [_old_service_order(r) for r in rows]
    assert sorted(rows, key=service_order()) == sorted(rows, key=_old_service_order)


def test_rows_excluded_counts_the_excluded_column():
    frame = _mixed_frame()
    r = FileResult(path="x.xlsx", frames={"identifikace": frame, "sluzby": frame, "plan": frame.iloc[:0].copy()})
    assert r.rows_excluded() == 1  # Identifikace never counts
    masked = frame.assign(_excluded=pd.array([True, False, True], dtype="boolean"))  # not a numpy block
    r = FileResult(path="x.xlsx", frames={"identifikace": frame, "sluzby": masked})
    assert r.rows_excluded() == 2
    empty = pd.DataFrame({"_row": [], "_excluded": []})  # float64, as validation gives it for no rows
    r = FileResult(path="x.xlsx", frames={"identifikace": frame, "sluzby": empty})
    assert r.rows_excluded() == 0 and not math.isnan(r.rows_excluded())
