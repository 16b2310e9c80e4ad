"""The annotated copy: idempotent re-annotation, a readable Kontrola sheet, its values."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from support import GOOD_IDENT_OBEC, GOOD_SERVICE, cell_of, make_submission

from xlkpss.cli import main
from xlkpss.codelists import territory
from xlkpss.template import build_template, field_cell
from xlkpss.validate.annotate import REPORT_SHEET, annotate, annotated_name
from xlkpss.validate.engine import validate_paths

SVC = "Služby"
OUR_FILLS = {"FFC7CE", "FFEB9C", "C6EFCE"}


def _one(path):
    [res] = validate_paths([path], workers=1)
    return res


def _annotate(path: Path, out: Path) -> Path:
    res = _one(path)
    written = annotate(res, out)
    assert written is not None
    return written


def _marks(wb) -> dict[tuple[str, str], str]:
    """Every cell carrying one of our fills, and its comment text."""
    found = {}
    for ws in wb.worksheets:
        if ws.title.startswith(REPORT_SHEET):
            continue
        for row in ws.iter_rows():
            for c in row:
                rgb = c.fill.fgColor.rgb if c.fill is not None and c.fill.fill_type == "solid" else None
                if isinstance(rgb, str) and rgb[-6:].upper() in OUR_FILLS:
                    found[(ws.title, c.coordinate)] = c.comment.text if c.comment else ""
    return found


def _kontrola_table(ws) -> list[tuple]:
    head = next(r for r in range(1, 10) if ws.cell(r, 1).value == "List")
    return [row[:7] for row in ws.iter_rows(min_row=head + 1, max_col=7, values_only=True) if row[0] is not None or row[6]]


def test_three_round_loop_is_idempotent(tmp_path):
    """Fill with mistakes → annotate → annotate the copy again (same marks, one Kontrola)
    → fix one cell in the copy → annotate (only the other mark) → fix all → clean."""
    kap = cell_of("sluzby", "sluzby", "kapacita", 2)
    obec = cell_of("sluzby", "sluzby", "obec", 3)
    bad = make_submission(
        tmp_path / "in" / "x.xlsx",
        rows=[{**GOOD_SERVICE, "kapacita": "cca 20"}, {**GOOD_SERVICE, "identifikator": "7654321", "obec": "Žatec"}],
    )
    first = _annotate(bad, tmp_path / "r1")
    wb1 = openpyxl.load_workbook(first)
    assert wb1.sheetnames.count(REPORT_SHEET) == 1
    assert set(_marks(wb1)) == {(SVC, kap), (SVC, obec)}

    again = _annotate(first, tmp_path / "r2")  # the copy itself, unchanged
    wb2 = openpyxl.load_workbook(again)
    assert [s for s in wb2.sheetnames if s.startswith(REPORT_SHEET)] == [REPORT_SHEET]
    assert _marks(wb2) == _marks(wb1)  # one comment per problem, not two
    assert _marks(wb2)[(SVC, kap)].count("cca 20") == 1
    assert _kontrola_table(wb2[REPORT_SHEET]) == _kontrola_table(wb1[REPORT_SHEET])

    # the clerk fixes the capacity in the copy and sends it back
    wb2[SVC][kap] = 20
    wb2.save(tmp_path / "fixed1.xlsx")
    third = _annotate(tmp_path / "fixed1.xlsx", tmp_path / "r3")
    wb3 = openpyxl.load_workbook(third)
    assert set(_marks(wb3)) == {(SVC, obec)}
    cell = wb3[SVC][kap]
    assert cell.comment is None and cell.fill.fill_type is None
    assert [r[1] for r in _kontrola_table(wb3[REPORT_SHEET])] == [obec]

    wb3[SVC][obec] = "Jirkov"
    wb3.save(tmp_path / "fixed2.xlsx")
    res = _one(tmp_path / "fixed2.xlsx")
    assert res.issues == []
    clean = openpyxl.load_workbook(annotate(res, tmp_path / "r4"))
    assert _marks(clean) == {}
    ws = clean[REPORT_SHEET]
    assert [s for s in clean.sheetnames if s.startswith(REPORT_SHEET)] == [REPORT_SHEET]
    assert ws["A2"].value.startswith("Soubor je v pořádku") and ws["A2"].value.count(".") == 1
    assert all(ws.cell(r, c).value is None for r in range(3, 12) for c in range(1, 8))


def test_the_original_fill_and_comments_come_back(tmp_path):
    """An Identifikace value cell (white in the template) gets its white back, and a
    comment that was there before (pre-fill, the clerk's) keeps its own text."""
    path = make_submission(tmp_path / "x.xlsx", rows=[{**GOOD_SERVICE, "kapacita": "cca 20"}], ident={"email": "jana@@jirkov"})
    wb = openpyxl.load_workbook(path)
    kap = cell_of("sluzby", "sluzby", "kapacita", 2)
    from openpyxl.comments import Comment

    wb[SVC][kap].comment = Comment("loni: 118", "xlkpss")
    wb.save(path)
    email = field_cell("sluzby", "identifikace", "email")
    first = openpyxl.load_workbook(_annotate(path, tmp_path / "r1"))
    assert first["Identifikace"][email].fill.fgColor.rgb[-6:] == "FFC7CE"
    text = first[SVC][kap].comment.text
    assert text.startswith("loni: 118") and "cca 20" in text
    # fix both and annotate the copy: the white fill and the old comment are back
    first["Identifikace"][email] = "jana@jirkov.cz"
    first[SVC][kap] = 20
    first.save(tmp_path / "fixed.xlsx")
    second = openpyxl.load_workbook(_annotate(tmp_path / "fixed.xlsx", tmp_path / "r2"))
    assert second["Identifikace"][email].fill.fgColor.rgb[-6:] == "FFFFFF"
    assert second[SVC][kap].comment.text == "loni: 118"
    # the template's own header comments are never touched
    assert "Povolené" in second[SVC]["A1"].comment.text


def test_kontrola_is_readable(tmp_path):
    """First line says what to do next, errors that reject the file come first with
    "tato chyba vyřadí celý soubor", rows are tall enough for their wrapped text, the
    template's font everywhere."""
    path = make_submission(
        tmp_path / "x.xlsx",
        rows=[{**GOOD_SERVICE, "druh": "§40 Pečovatelská služba", "forma": "pobytová", "typ_kapacity": "klienti"}],
        ident={"rok": 2020},
    )
    [res] = validate_paths([path], workers=1, expected_year=2026)
    wb = openpyxl.load_workbook(annotate(res, tmp_path / "out"))
    ws = wb[REPORT_SHEET]
    assert ws["A2"].value.startswith("Soubor teď nelze přijmout") and "Opravte označené buňky a pošlete soubor znovu" in ws["A2"].value
    rows = _kontrola_table(ws)
    assert rows[0][0] == "Identifikace" and rows[0][5] == "tato chyba vyřadí celý soubor"
    assert rows[-1][0] == SVC and rows[-1][5] == "tato chyba vyřadí řádek 2"
    head = next(r for r in range(1, 10) if ws.cell(r, 1).value == "List")
    for r in range(head + 1, ws.max_row + 1):
        text = ws.cell(r, 7).value
        width = ws.column_dimensions["G"].width
        needed = -(-len(text) // int(width * 1.1))
        assert ws.row_dimensions[r].height >= 15 * needed, (r, text)
        assert ws.cell(r, 7).alignment.wrap_text
    assert ws.row_dimensions[2].height >= 30  # the instruction wraps over two lines
    fonts = {ws.cell(r, c).font.name for r in range(1, ws.max_row + 1) for c in range(1, 8) if ws.cell(r, c).value}
    assert fonts == {"Calibri"}
    assert ws.page_setup.orientation == "landscape" and ws.print_title_rows


LONG = "Domov " * 60


@pytest.mark.parametrize(
    "change, field, shown",
    [
        ({"kapacita": "cca 20"}, "kapacita", "cca 20"),
        ({"druh": "§40 Pečovatelská služba", "forma": "terénní", "typ_kapacity": "lůžka"}, "typ_kapacity", "lůžka"),
        ({"naklady": 1000}, "naklady", "1000"),
        ({"nazev_sluzby": LONG}, "nazev_sluzby", LONG[:197] + "…"),
        ({"druh": "Domov seniorů XY"}, "druh", "Domov seniorů XY"),
        ({"forma": "terénní", "typ_kapacity": "klienti"}, "forma", "terénní"),
        ({"obec": "Žatec"}, "obec", "Žatec"),
        ({"ico_poskytovatele": "00075656"}, "ico_poskytovatele", "00075656"),
        ({"kapacita": -3}, "kapacita", "-3"),
        ({"identifikator": "12345"}, "identifikator", "12345"),
    ],
)
def test_hodnota_is_the_value_of_the_cell(tmp_path, change, field, shown):
    """The Hodnota column — and the issue's value in the reports — show what is in the
    cell the issue points at, not a figure the check computed from other cells."""
    path = make_submission(tmp_path / "x.xlsx", rows=[{**GOOD_SERVICE, **change}])
    res = _one(path)
    [issue] = res.issues
    assert issue.cell == cell_of("sluzby", "sluzby", field, 2)
    wb = openpyxl.load_workbook(annotate(res, tmp_path / "out"))
    [row] = _kontrola_table(wb[REPORT_SHEET])
    assert row[3] == shown
    if field != "naklady":
        assert issue.value == shown
    else:
        assert issue.value == "1\u00a0000 Kč"


def test_annotated_names_keep_the_extension(tmp_path):
    assert annotated_name(Path("x.xlsx")) == "x_kontrola.xlsx"
    assert annotated_name(Path("x.ods")) == "x_ods_kontrola.xlsx"
    assert annotated_name(Path("x.xls")) == "x_xls_kontrola.xlsx"
    assert annotated_name(Path("x.xlsm")) == "x_xlsm_kontrola.xlsx"
    assert annotated_name(Path("x_kontrola.xlsx")) == "x_kontrola.xlsx"


def test_cli_annotates_two_formats_of_one_name(tmp_path):
    bad = make_submission(tmp_path / "in" / "x.xlsx", rows=[{**GOOD_SERVICE, "kapacita": "cca 20"}])
    other = tmp_path / "in" / "sub" / "x.xlsx"
    other.parent.mkdir()
    other.write_bytes(bad.read_bytes())
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["validate", str(tmp_path / "in"), "--annotate", str(out), "--quiet"])
    assert res.exit_code == 1
    assert sorted(p.name for p in out.iterdir()) == ["x_kontrola.xlsx", "x_kontrola_2.xlsx"]


def _typed(rows: list[dict]) -> dict[str, dict[str, str]]:
    """What a clerk types into the blank template: identification and rows as text."""
    import datetime as dt

    def text(v):
        if isinstance(v, dt.date):
            return f"{v.day}.{v.month}.{v.year}"
        if isinstance(v, float):
            return str(v).replace(".", ",")
        return str(v)

    ident = {field_cell("sluzby", "identifikace", k): text(v) for k, v in GOOD_IDENT_OBEC.items() if k != "rok"}
    cells = {cell_of("sluzby", "sluzby", k, r): text(v) for r, row in enumerate(rows, start=2) for k, v in row.items() if v is not None}
    return {"Identifikace": ident, SVC: cells}


def test_loop_through_libreoffice(tmp_path):
    """The clerk's loop with the real client: the annotated copy is fixed in a Czech
    LibreOffice and saved as .xlsx and .ods; annotating those again leaves no old mark,
    comment or Kontrola behind; fixing the rest gives a clean copy."""
    import lo

    lo.require(uno=True)
    kap = cell_of("sluzby", "sluzby", "kapacita", 2)
    obec = cell_of("sluzby", "sluzby", "obec", 3)
    blank = build_template("sluzby", tmp_path / "blank.xlsx", year=2026, scope=territory(orp="4203"))
    rows = [{**GOOD_SERVICE, "kapacita": "cca 20"}, {**GOOD_SERVICE, "identifikator": "7654321", "obec": "Žatec"}]
    lo.fill(blank, _typed(rows), tmp_path / "in" / "x.xlsx")
    first = _annotate(tmp_path / "in" / "x.xlsx", tmp_path / "r1")
    assert set(_marks(openpyxl.load_workbook(first))) == {(SVC, kap), (SVC, obec)}
    lo.fill(first, {SVC: {kap: "20"}}, tmp_path / "lo" / "x.xlsx", also=[tmp_path / "lo" / "x.ods"])
    for copy in (tmp_path / "lo" / "x.xlsx", tmp_path / "lo" / "x.ods"):
        res = _one(copy)
        assert [(i.code, i.cell) for i in res.issues] == [("outside-territory", obec)], copy
        wb = openpyxl.load_workbook(annotate(res, tmp_path / "r2"))
        assert [s for s in wb.sheetnames if s.startswith(REPORT_SHEET)] == [REPORT_SHEET]
        assert set(_marks(wb)) == {(SVC, obec)}
        assert wb[SVC][kap].comment is None
        assert [r[1] for r in _kontrola_table(wb[REPORT_SHEET])] == [obec]
    second = tmp_path / "r2" / "x_kontrola.xlsx"
    lo.fill(second, {SVC: {obec: "Jirkov"}}, tmp_path / "lo2" / "x.xlsx")
    res = _one(tmp_path / "lo2" / "x.xlsx")
    assert res.issues == []
    clean = openpyxl.load_workbook(annotate(res, tmp_path / "r3"))
    assert _marks(clean) == {} and clean.sheetnames.count(REPORT_SHEET) == 1
    assert all(c.comment is None or not c.comment.text.startswith("[") for row in clean[SVC].iter_rows() for c in row)
    assert clean[REPORT_SHEET]["A2"].value.startswith("Soubor je v pořádku")
