"""The whole-row cell writer (``xlkpss.merge.xlsxrows``) writes byte for byte what
xlsxwriter's cell API writes, on real consolidated workbooks and on awkward values."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from xlkpss.codelists import territory
from xlkpss.merge.consolidate import merge_paths
from xlkpss.merge.workbook import read_consolidated, write_consolidated
from xlkpss.merge.xlsxrows import Formula, FormulaRow, RowsWorksheet, is_classic

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"
GENERATED = "2026-04-01"


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def _same_bytes(a: Path, b: Path) -> None:
    ma, mb = _members(a), _members(b)
    assert sorted(ma) == sorted(mb)
    different = [n for n in ma if ma[n] != mb[n]]
    assert not different, f"members differ: {different}"


def _both_ways(monkeypatch, tmp_path: Path, write) -> tuple[Path, Path]:
    fast, plain = tmp_path / "fast.xlsx", tmp_path / "plain.xlsx"
    write(fast)
    monkeypatch.setattr(RowsWorksheet, "fast", False)
    write(plain)
    monkeypatch.setattr(RowsWorksheet, "fast", True)
    return fast, plain


def test_consolidated_workbooks_identical_to_the_cell_api(monkeypatch, tmp_path):
    orp_files = []
    for folder in sorted(p for p in SAMPLES.glob("orp_*") if p.is_dir()):
        c = merge_paths([folder], generated=GENERATED)
        fast, plain = _both_ways(monkeypatch, tmp_path / folder.name, lambda p, c=c: write_consolidated(c, p))
        _same_bytes(fast, plain)
        orp_files.append(fast.rename(tmp_path / f"{folder.name}.xlsx"))
    kraj = merge_paths(orp_files, generated=GENERATED)
    fast, plain = _both_ways(monkeypatch, tmp_path / "kraj", lambda p: write_consolidated(kraj, p))
    _same_bytes(fast, plain)
    assert len(read_consolidated(fast).table("services")) == len(kraj.table("services")) > 0


AWKWARD_ROWS = [
    # text that looks like a formula, a number, XML, control characters, whitespace
    ['=HYPERLINK("http://x")', "007", '<b>&amp;</b> "q"', "a\x01b\x1fc", "  padded  ", "_x0041_"],
    # numbers: int, float, negative, huge, tiny; bool; date and datetime
    [1, 2.5, -3, 12345678901234567, 1e-7, True, dt.date(2026, 2, 28), dt.datetime(2026, 2, 28, 13, 30)],
    # formulas: classic with a cached number / text / nothing, one needing a prefix mid-row
    [
        Formula("=SUM(A2:B2)", 3.5),
        Formula('=IF(A2>0,"ano","ne")', "ano"),
        Formula("=COUNTA(A:A)", None),
        Formula("=XLOOKUP(1,A:A,B:B)", 0),
        "after",
        Formula("=IF(1<2,TRUE,FALSE)", True),
    ],
    # the longest text a cell takes, with a surrogate pair across the limit; emoji
    ["x" * 32766 + "😀" + "tail", "😀 Česká ř"],
]


def _write_awkward(path: Path) -> None:
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_numbers": False, "in_memory": True})
    wb.set_properties({"created": dt.datetime(2026, 1, 1)})
    ws = wb.add_worksheet("Data", worksheet_class=RowsWorksheet)
    fill = wb.add_format({"bg_color": "#FFEB9C", "num_format": "#,##0"})
    date = wb.add_format({"num_format": "d.m.yyyy"})
    ws.add_table(0, 0, len(AWKWARD_ROWS) + 2, 8, {"columns": [{"header": f"H{j}"} for j in range(9)]})
    for i, values in enumerate(AWKWARD_ROWS):
        ws.write_cells(
            i + 1, [(j, v, date if isinstance(v, dt.date) else fill if j % 2 else None) for j, v in enumerate(values)]
        )
    ws.write_cells(len(AWKWARD_ROWS) + 1, [(0, None, fill), (3, None, None), (8, "last", None)])  # blanks
    ws.write_cells(len(AWKWARD_ROWS) + 2, [(2, "first write", None), (5, 5, fill)])
    ws.write_cells(len(AWKWARD_ROWS) + 2, [(1, "second", None), (2, "overwritten", fill)])  # the same row again
    ws.write_string(len(AWKWARD_ROWS) + 3, 6, "cell API first")
    ws.write_cells(len(AWKWARD_ROWS) + 3, [(1, "then a row", None)])  # stored after a cell to its right
    ws.set_row(2, 30)  # a row with cells and a height
    ws.set_row(40, 45)  # a row with a height only, in a block of 16 rows without cells
    ws.set_row_heights({1: 30, 3: 45.5, 60: 409})  # in bulk: rows with cells and one without
    ws.set_column_widths([7, 1, 12.5, 48, 30], [False, False, True, False, True])  # in bulk, two hidden
    # a record table: the format follows the column and whether the value is text
    records = wb.add_worksheet("Records", worksheet_class=RowsWorksheet)
    number = [fill, date, None, fill]
    text = [None, wb.add_format({"text_wrap": True}), None, fill]
    records.write_cells(1, [(3, "already here", None)])
    records.write_rows(
        1,
        [
            ["a", dt.date(2026, 1, 1), None, 2.5],
            [None, dt.date(2026, 1, 31), "x" * 32766 + "😀", dt.datetime(2026, 1, 31, 8, 15)],
            [None, None, None, None],
            ["=1+1", "<&>", 12345678901234567, None],
        ],
        number,
        text,
    )
    # a block whose first row is empty (the sheet's dimensions start at its first cell)
    later = wb.add_worksheet("Later", worksheet_class=RowsWorksheet)
    later.write_rows(3, [[None, None], [None, 7], ["x", None]], [None, fill], [None, None])
    # computed columns: one FormulaRow for rows that differ only in their number (# here),
    # its cached results the row's values — a number, a fraction, nothing, a text, a date
    computed = wb.add_worksheet("Computed", worksheet_class=RowsWorksheet)
    total = FormulaRow((1, 3), ("=SUM(A#:A#)*2", '=IF(A#>0,"a&b<"&B#,"")'), "#")
    other = FormulaRow((2,), ("=COUNTIFS(A:A,A#)",), "#")
    rows = [[1, 2, None, 9], [2, 4.5, 1, "a&b<4.5"], ["x", None, None, None], [3, dt.date(2026, 3, 1), 7, None]]
    computed.write_rows(
        0, rows, [None, date, fill, None], [None, None, fill, fill], [fill, fill, None, None],
        lambda i, vals: None if i == 2 else other if i == 3 else total,
    )  # fmt: skip
    wb.close()


def test_awkward_values_identical_to_the_cell_api(monkeypatch, tmp_path):
    fast, plain = _both_ways(monkeypatch, tmp_path, _write_awkward)
    _same_bytes(fast, plain)
    ws = openpyxl.load_workbook(fast)["Data"]
    assert ws["A2"].value == '=HYPERLINK("http://x")' and ws["A2"].data_type == "s"
    assert (
        ws["B2"].value == "007" and ws["C2"].value == '<b>&amp;</b> "q"' and ws["D2"].value == "a_x0001_b_x001F_c"
    )  # openpyxl leaves the escapes
    assert ws["E2"].value == "  padded  " and ws["F2"].value == "_x0041_"
    assert [ws.cell(3, j).value for j in range(1, 6)] == [
        1,
        2.5,
        -3,
        1.234567890123457e16,
        1e-7,
    ]  # 16 digits, as Excel keeps
    assert ws["F3"].value is True and ws["G3"].value == dt.datetime(2026, 2, 28)
    assert ws["H3"].value == dt.datetime(2026, 2, 28, 13, 30)
    assert ws["A4"].value == "=SUM(A2:B2)" and "_xlfn.XLOOKUP(" in ws["D4"].value.text
    assert len(ws["A5"].value.encode("utf-16-le")) // 2 == 32766  # the pair does not fit: dropped whole
    assert [ws.cell(7, j).value for j in range(1, 4)] == [None, "second", "overwritten"]
    assert ws["F7"].value == 5
    rec = openpyxl.load_workbook(fast)["Records"]
    assert [rec.cell(2, j).value for j in range(1, 5)] == ["a", dt.datetime(2026, 1, 1), None, 2.5]  # D2 overwritten
    assert rec["B3"].value == dt.datetime(2026, 1, 31) and rec["D3"].value == 46053.34375  # D: no date format
    assert rec["A5"].value == "=1+1" and rec["A5"].data_type == "s" and rec["B5"].value == "<&>"
    assert rec.max_row == 5 and all(rec.cell(4, j).value is None for j in range(1, 5))
    cached = openpyxl.load_workbook(fast, data_only=True)["Data"]
    assert [cached.cell(4, j).value for j in (1, 2, 6)] == [3.5, "ano", True]
    assert ws.column_dimensions["C"].hidden and not ws.column_dimensions["D"].hidden
    assert ws.column_dimensions["D"].width == pytest.approx(48.7109375)  # 48 characters: 341 px
    comp = openpyxl.load_workbook(fast)["Computed"]
    assert [comp.cell(1, j).value for j in range(1, 5)] == [1, "=SUM(A1:A1)*2", None, '=IF(A1>0,"a&b<"&B1,"")']
    assert [comp.cell(2, j).value for j in (2, 3, 4)] == ["=SUM(A2:A2)*2", 1, '=IF(A2>0,"a&b<"&B2,"")']
    assert [comp.cell(3, j).value for j in range(1, 5)] == ["x", None, None, None]  # no FormulaRow: values only
    assert [comp.cell(4, j).value for j in (2, 3, 4)] == [dt.datetime(2026, 3, 1), "=COUNTIFS(A:A,A4)", None]
    comp = openpyxl.load_workbook(fast, data_only=True)["Computed"]
    assert [comp.cell(r, 2).value for r in (1, 2)] == [2, 4.5] and comp["D2"].value == "a&b<4.5"
    assert comp["D1"].value == 9 and comp["C4"].value == 7


def test_classic_formulas():
    assert is_classic("=SUMIFS('Služby'!$A$2:$A$9,'Služby'!$B$2:$B$9,$B2)")
    assert not is_classic('=IF(A1="XLOOKUP(",1,0)')  # conservative: the cell API handles it
    assert is_classic('=IF(SUM(A1:A3)>0,COUNTIFS(A:A,1)/COUNTA(B:B),"")')
    assert not is_classic("=XLOOKUP(1,A:A,B:B)")
    assert not is_classic("=FILTER(A:A,B:B)")


def test_unsupported_value_is_refused(tmp_path):
    wb = xlsxwriter.Workbook(str(tmp_path / "x.xlsx"), {"in_memory": True})
    ws = wb.add_worksheet("Data", worksheet_class=RowsWorksheet)
    with pytest.raises(TypeError):
        ws.write_cells(0, [(0, object(), None)])
    with pytest.raises(TypeError):
        ws.write_cells(0, [(0, float("nan"), None)])
    with pytest.raises(TypeError):
        ws.write_rows(1, [[float("inf")]], [None], [None])
    with pytest.raises(TypeError):
        ws.write_rows(1, [[True]], [None], [None])
    wb.close()


def test_next_level_from_memory_equals_next_level_from_the_files(tmp_path):
    """``as_written`` (what a one-run pipeline passes on) gives the regional merge exactly
    what reading the ORP workbooks back gives: the regional workbooks are identical."""
    from xlkpss.merge.consolidate import MERGE_INPUT_TABLES, merge_results
    from xlkpss.merge.workbook import as_written

    written, in_memory = [], []
    for folder in sorted(p for p in SAMPLES.glob("orp_*") if p.is_dir()):
        c = merge_paths([folder], generated=GENERATED)
        path = write_consolidated(c, tmp_path / f"souhrn_{folder.name}.xlsx")
        written.append(path)
        in_memory.append(as_written(c, path))
    from_files = [read_consolidated(p) for p in written]
    for a, b in zip(in_memory, from_files):
        assert a.meta == b.meta
    kw = {"level": "kraj", "territory": territory(kraj="CZ042"), "year": 2026, "generated": GENERATED}
    one = write_consolidated(merge_results([], summaries=in_memory, **kw), tmp_path / "a.xlsx")
    two = write_consolidated(merge_results([], summaries=from_files, **kw), tmp_path / "b.xlsx")
    _same_bytes(one, two)
    # what merge_paths reads: only the sheets a merge of the next level uses
    for sandbox in (True, False):
        partial = [read_consolidated(p, tables=MERGE_INPUT_TABLES, sandbox=sandbox) for p in written]
        assert all(set(c.tables) == set(MERGE_INPUT_TABLES) for c in partial)
        assert [c.meta for c in partial] == [c.meta for c in from_files]
        three = write_consolidated(merge_results([], summaries=partial, **kw), tmp_path / f"c{sandbox}.xlsx")
        _same_bytes(one, three)


def test_formula_templates_give_each_row_its_own_formulas():
    """``Formulas.rows_of`` (one ``FormulaRow`` per row signature, the row number put in)
    gives every row of the computed sheets exactly what ``for_sheet`` makes for it."""
    from xlkpss.merge.bookformat import SheetLayout
    from xlkpss.merge.formulas import Formulas
    from xlkpss.merge.model import SHEETS

    checked = 0
    for folder in sorted(p for p in SAMPLES.glob("orp_*") if p.is_dir()):
        c = merge_paths([folder], generated=GENERATED)
        layouts = {
            key: SheetLayout(SHEETS[key], list(c.table(key).columns), 0, max(1, len(c.table(key))))
            for key in c.tables
        }
        formulas = Formulas(c, layouts)
        for key in ("capacities", "funding", "plan_summary", "coverage"):
            cols = layouts[key].columns
            make, rows = formulas.for_sheet(key), formulas.rows_of(key, cols)
            first = layouts[key].first
            for i, vals in enumerate(c.table(key).to_numpy(dtype=object).tolist()):
                expected = {cols.index(col): text for col, text in make(i, dict(zip(cols, vals))).items()}
                got = rows(i, vals).formulas(first + i, vals)
                assert {j: f.text for j, f in got} == expected, (key, i)
                assert all(f.classic and f.value == ("" if vals[j] is None else vals[j]) for j, f in got)
                checked += len(expected)
    assert checked > 100


def test_column_widths_measured_by_type_are_the_longest_value_as_text():
    """``_width`` takes a column of only text, only whole numbers or only dates without a
    call per value and stops at the width it cannot exceed: the same widths as measuring
    ``len(str(v))`` of every value, for columns of every kind and any mix of values."""
    import random

    from xlkpss.merge.cellstyle import _width, kind_of

    def reference(key: str, col: str, label: str, values: list) -> float:  # the rule, value by value
        from xlkpss.merge.cellstyle import _heading_width, _spec_widths

        if col in ("sha256", "src_sha256"):
            return 14
        base = _spec_widths().get(col)
        if not base:
            longest = max(map(len, map(str, [v for v in values[:300] if v is not None])), default=0)
            if kind_of(key, col) in ("int", "money", "pct", "dec", "per1000", "year", "date"):
                longest = min(longest + (4 if kind_of(key, col) == "money" else 1), 18)
            base = min(max(longest + 2, 8), 48)
        return max(base, _heading_width(label), 7)

    rnd = random.Random(7)
    makers = [
        lambda: None,
        lambda: rnd.choice(["", "a", "Praha", "x" * rnd.randint(1, 80)]),
        lambda: rnd.randint(-(10 ** rnd.randint(0, 20)), 10 ** rnd.randint(0, 20)),
        lambda: rnd.random() * 10 ** rnd.randint(-3, 12),
        lambda: dt.date(rnd.randint(1, 9999), 1, 31),
        lambda: dt.datetime(2026, 1, 31, 8, rnd.randint(0, 59)),
    ]
    columns = [("services", "nazev_sluzby"), ("funding", "share"), ("funding", "naklady"), ("capacities", "per_1000"),
               ("submissions", "date_filled"), ("services", "poznamka"), ("funding", "territory_name")]  # fmt: skip
    checked = 0
    for _ in range(3000):
        kinds = rnd.sample(range(len(makers)), rnd.randint(1, 3))
        values = tuple(makers[rnd.choice(kinds)]() for _ in range(rnd.randint(0, 320)))
        for key, col in columns:
            assert _width(key, col, "Nadpis", values) == reference(key, col, "Nadpis", list(values)), (key, col, values)
            checked += 1
    assert checked == 3000 * len(columns)
