"""Issue 14 point 3: every annotated copy is a working template.  An .ods or .xls (and an
.xlsx that lost its data validations) comes back as the current template filled with
exactly the submitted values — dropdowns, input rules, table, formats, live checks — with
the marks on top; an unknown extra column is kept on a sheet of its own and reported."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from support import GOOD_SERVICE, cell_of, make_submission

import lo
from xlkpss.codelists import territory
from xlkpss.template import NUM_FORMATS, build_template
from xlkpss.validate.annotate import EXTRA_SHEET, REPORT_SHEET, annotate
from xlkpss.validate.engine import validate_paths

SVC = "Služby"
ROWS = [
    {**GOOD_SERVICE, "kapacita": "cca 20", "poznamka": "00123"},
    {**GOOD_SERVICE, "identifikator": "7654321", "obec": "Žatec", "uvazky": 12.25, "naklady": 48_500_000.5},
]
KAP = cell_of("sluzby", "sluzby", "kapacita", 2)
OBEC = cell_of("sluzby", "sluzby", "obec", 3)


def _one(path):
    [res] = validate_paths([path], workers=1)
    return res


def _rules(ws) -> set[tuple]:
    return {(str(dv.sqref), dv.type, dv.formula1, dv.formula2) for dv in ws.data_validations.dataValidation}


def _values(ws) -> dict[str, object]:
    return {c.coordinate: c.value for row in ws.iter_rows() for c in row if c.value is not None}


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    lo.require()
    base = tmp_path_factory.mktemp("annot_tpl")
    src = make_submission(base / "in" / "x.xlsx", rows=ROWS)
    wb = openpyxl.load_workbook(src)
    name = wb[SVC][cell_of("sluzby", "sluzby", "nazev_sluzby", 2)]
    name.value, name.data_type = "=SUM(A1)", "s"  # text that looks like a formula
    wb.save(src)
    # an unknown column inserted in the middle: known columns shift right by one
    wide = base / "in" / "siroky.xlsx"
    wb = openpyxl.load_workbook(src)
    ws = wb[SVC]
    ws.insert_cols(3)
    ws["C1"], ws["C2"], ws["C3"] = "Interní číslo obce", "A-17", 42
    wb.save(wide)
    ods = lo.convert([src, wide], "ods", base / "ods")
    xls = lo.convert([src], "xls", base / "xls")
    return {"xlsx": src, "ods": ods[0], "xls": xls[0], "wide_ods": ods[1], "base": base}


@pytest.mark.parametrize("fmt", ["ods", "xls"])
def test_copy_is_the_current_template_with_the_values(converted, tmp_path, fmt):
    res = _one(converted[fmt])
    assert {(i.code, i.cell) for i in res.issues} == {("not-integer", KAP), ("outside-territory", OBEC)} or {
        i.cell for i in res.issues} == {KAP, OBEC}  # fmt: skip
    copy = openpyxl.load_workbook(annotate(res, tmp_path))
    fresh = openpyxl.load_workbook(build_template("sluzby", tmp_path / "fresh.xlsx", year=2026, scope=territory(orp="4203")))
    assert copy.sheetnames == [REPORT_SHEET, *fresh.sheetnames]
    original = openpyxl.load_workbook(converted["xlsx"])
    for name in ("Identifikace", SVC):
        ws, tpl = copy[name], fresh[name]
        # dropdowns and input rules, the table, frozen header, widths, number formats
        assert _rules(ws) == _rules(tpl) and _rules(ws), name
        assert list(ws.tables) == list(tpl.tables)
        assert ws.freeze_panes == tpl.freeze_panes
        assert len(ws.conditional_formatting) == len(tpl.conditional_formatting)
        for col, dim in tpl.column_dimensions.items():
            assert ws.column_dimensions[col].width == dim.width, (name, col)
        # every value exactly as submitted (text stays text, numbers numbers)
        for coord, value in _values(original[name]).items():
            got = ws[coord].value
            assert got == value and type(got) is type(value) or (hasattr(value, "date") and got == value), (name, coord, value, got)
    svc = copy[SVC]
    money = cell_of("sluzby", "sluzby", "naklady", 3)
    assert svc[money].value == 48_500_000.5 and svc[money].number_format == NUM_FORMATS["money"]
    assert svc[cell_of("sluzby", "sluzby", "nazev_sluzby", 2)].data_type == "s"  # never a formula
    # the marks on top, Kontrola pointing at them
    for cell in (KAP, OBEC):
        assert svc[cell].fill.fgColor.rgb[-6:] == "FFC7CE" and svc[cell].comment is not None
    head = next(r for r in range(1, 10) if copy[REPORT_SHEET].cell(r, 1).value == "List")
    listed = {(r[0], r[1]) for r in copy[REPORT_SHEET].iter_rows(min_row=head + 1, max_col=2, values_only=True) if r[0]}
    assert listed == {(SVC, KAP), (SVC, OBEC)}
    # it prints as the template does: the table's columns down to the last filled row
    assert svc.print_area == "'Služby'!$A$1:$AH$3" and svc.print_title_cols == "$A:$C"


def test_copy_validates_as_the_original(converted, tmp_path):
    """The copy says the same as the file it was made from: same issues, same cells."""
    for fmt in ("ods", "xls"):
        res = _one(converted[fmt])
        again = _one(annotate(res, tmp_path / fmt))
        assert sorted((i.code, i.cell) for i in again.issues) == sorted((i.code, i.cell) for i in res.issues)
        assert {k: len(v) for k, v in again.frames.items()} == {k: len(v) for k, v in res.frames.items()}


def test_unknown_column_is_kept_on_its_own_sheet(converted, tmp_path):
    res = _one(converted["wide_ods"])
    unknown = [i for i in res.issues if i.code == "column-unknown"]
    assert [(i.sheet, i.cell, i.value) for i in unknown] == [(SVC, "C1", "Interní číslo obce")]
    # the file's cells are one column to the right; the copy is the template's layout
    shifted = {i.cell for i in res.issues if i.code != "column-unknown"}
    right = {f"{chr(ord(c[0]) + 1)}{c[1:]}" for c in (KAP, OBEC)}  # H2 → I2, L3 → M3
    assert shifted == right
    copy = openpyxl.load_workbook(annotate(res, tmp_path))
    extra = EXTRA_SHEET.format(sheet=SVC)
    assert copy.sheetnames.index(extra) == copy.sheetnames.index(SVC) + 1
    assert [copy[extra][c].value for c in ("A1", "A2", "A3")] == ["Interní číslo obce", "A-17", 42]
    assert copy[extra]["A1"].fill.fgColor.rgb[-6:] == "FFEB9C"  # reported (warning) where it now is
    svc = copy[SVC]
    assert "Interní číslo obce" not in [c.value for c in svc[1]]
    assert svc[KAP].value == "cca 20" and svc[KAP].fill.fgColor.rgb[-6:] == "FFC7CE"
    head = next(r for r in range(1, 10) if copy[REPORT_SHEET].cell(r, 1).value == "List")
    listed = {(r[0], r[1]) for r in copy[REPORT_SHEET].iter_rows(min_row=head + 1, max_col=2, values_only=True) if r[0]}
    assert (extra, "A1") in listed and (SVC, KAP) in listed
    # annotating the copy again: the extra column stays, nothing new appears
    again = _one(annotate(res, tmp_path / "r1"))
    assert not [i for i in again.issues if i.code == "column-unknown"]


def test_xlsx_that_lost_its_validations_gets_them_back(converted, tmp_path):
    from openpyxl.worksheet.datavalidation import DataValidationList

    wb = openpyxl.load_workbook(converted["xlsx"])
    for ws in wb.worksheets:
        ws.data_validations = DataValidationList()
    bare = tmp_path / "holy.xlsx"
    wb.save(bare)
    copy = openpyxl.load_workbook(annotate(_one(bare), tmp_path / "out"))
    fresh = openpyxl.load_workbook(build_template("sluzby", tmp_path / "fresh.xlsx", year=2026, scope=territory(orp="4203")))
    assert _rules(copy[SVC]) == _rules(fresh[SVC])
    assert copy[SVC][KAP].value == "cca 20"


def test_xlsx_with_validations_is_edited_in_place(converted, tmp_path):
    """A normal .xlsx keeps everything of the clerk's (their own formatting too)."""
    wb = openpyxl.load_workbook(converted["xlsx"])
    wb[SVC]["A2"].font = openpyxl.styles.Font(bold=True, color="FF0000")
    mine = tmp_path / "moje.xlsx"
    wb.save(mine)
    copy = openpyxl.load_workbook(annotate(_one(mine), tmp_path / "out"))
    assert copy[SVC]["A2"].font.bold and copy[SVC]["A2"].font.color.rgb[-6:] == "FF0000"


def test_ods_loop_through_libreoffice(converted, tmp_path):
    """ods → annotated copy → fixed and saved as .ods again in a Czech LibreOffice → the
    copy of that is clean and still a working template."""
    lo.require(uno=True)
    first = annotate(_one(converted["ods"]), tmp_path / "r1")
    fixed = tmp_path / "lo" / "x.ods"
    lo.fill(first, {SVC: {KAP: "20", OBEC: "Jirkov"}}, tmp_path / "lo" / "x.xlsx", also=[fixed])
    res = _one(fixed)
    assert res.issues == []
    clean = openpyxl.load_workbook(annotate(res, tmp_path / "r2"))
    assert clean[REPORT_SHEET]["A2"].value.startswith("Soubor je v pořádku")
    assert _rules(clean[SVC]) and list(clean[SVC].tables) == ["TabSluzby"]
    assert clean[SVC][KAP].value == 20 and clean[SVC][KAP].fill.fill_type in (None, "none") or (
        clean[SVC][KAP].fill.fgColor.rgb[-6:] not in ("FFC7CE", "FFEB9C"))  # fmt: skip


def test_every_invalid_sample_as_ods_keeps_its_issues(tmp_path):
    """Each invalid sample saved as .ods by LibreOffice: the copy (a fresh template with the
    values) reports exactly what the .ods reports — also a formula error (#REF! stays an
    error, not its text) — except a renamed sheet, which the copy names right."""
    lo.require()
    folder = Path(__file__).resolve().parents[1] / "samples" / "invalid"
    samples = sorted(p for p in folder.glob("*.xlsx") if not p.name.startswith("neni_tabulka"))  # a csv: LibreOffice cannot open it as xlsx
    odss = lo.convert(samples, "ods", tmp_path / "ods")

    def seen(r):
        return sorted((i.code, i.sheet, i.cell, i.value) for i in r.issues if i.code != "sheet-renamed")

    compared = 0
    for res in validate_paths(odss, workers=1):
        out = annotate(res, tmp_path / "copies")
        if res.kind is None or out is None:
            continue  # not a template (an empty file): nothing to rebuild
        [again] = validate_paths([out], workers=1)
        expected = seen(res)
        if any(i.code == "sheet-renamed" for i in res.issues):
            assert not [i for i in again.issues if i.code == "sheet-renamed"], res.path.name
            assert [x[0] for x in seen(again)] == [x[0] for x in expected], res.path.name
        else:
            assert seen(again) == expected, res.path.name
        compared += 1
    assert compared >= 10
