"""Issue 14 points 5 and 6: the Návod tells the truth about the workbook it sits in (its
statements about dropdowns, rules, required columns and the example come from the very
data validations and formats the cells get), and every sheet prints readably on A4."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from lo import convert, require
from support import make_submission
from xlkpss.codelists import territory
from xlkpss.i18n import format_number
from xlkpss.spec import get_template, load_spec
from xlkpss.template import (
    DROPDOWN_WORDS,
    LISTS_SHEET,
    NAVOD_HEADS,
    NO_DROPDOWN_WORDS,
    PRINT_MIN_SCALE,
    REFUSES_WORDS,
    build_template,
    print_layout,
)
from xlkpss.validate.engine import validate_paths

KINDS = tuple(load_spec().templates)  # sluzby, plan, sit
_BIG = 10**12
REQUIRED_FILL = "FCE4D6"


@pytest.fixture(scope="module")
def templates(tmp_path_factory):
    out = tmp_path_factory.mktemp("navod")
    made = {}
    for kind in KINDS:
        made[(kind, "cr")] = build_template(kind, out / f"{kind}_cr.xlsx")
        made[(kind, "orp")] = build_template(kind, out / f"{kind}_orp.xlsx", year=2026, scope=territory(orp="4203"))
    return made


def navod_rows(wb, kind) -> dict[str, dict[str, dict[str, str]]]:
    """Návod → sheet name → field label → {column head: text}."""
    ws = wb[get_template(kind).sheets[0].name]
    out: dict[str, dict[str, dict[str, str]]] = {}
    current = None
    heads = None
    for row in ws.iter_rows(values_only=True):
        first = row[0]
        if isinstance(first, str) and (m := re.fullmatch(r"List „(.+)“", first)):
            current, heads = m.group(1), None
            out[current] = {}
        elif current and first == NAVOD_HEADS[0]:
            heads = list(row[: len(NAVOD_HEADS)])
        elif current and heads and first:
            out[current][first] = {h: (v or "") for h, v in zip(heads, row)}
        elif current and heads and not first:
            current = heads = None
    return out


def validations(ws) -> dict[str, object]:
    """Top-left input cell → its data validation (each covers one column of input cells)."""
    found = {}
    for dv in ws.data_validations.dataValidation:
        for rng in str(dv.sqref).split():
            found[rng.split(":")[0]] = dv
    return found


def input_cell(sheet, index: int) -> str:
    return f"B{index + 2}" if sheet.layout == "keyvalue" else f"{openpyxl.utils.get_column_letter(index + 1)}2"


def label_cell(sheet, index: int) -> str:
    return f"A{index + 2}" if sheet.layout == "keyvalue" else f"{openpyxl.utils.get_column_letter(index + 1)}1"


@pytest.mark.parametrize("scope", ["cr", "orp"])
@pytest.mark.parametrize("kind", KINDS)
def test_navod_matches_the_data_validations(templates, kind, scope):
    wb = openpyxl.load_workbook(templates[(kind, scope)])
    navod = navod_rows(wb, kind)
    allowed_head, required_head = NAVOD_HEADS[3], NAVOD_HEADS[1]
    lists = wb[LISTS_SHEET]
    checked = 0
    for sheet in get_template(kind).data_sheets:
        ws = wb[sheet.name]
        dvs = validations(ws)
        assert set(navod[sheet.name]) == {f.label for f in sheet.fields}
        for i, f in enumerate(sheet.fields):
            text = navod[sheet.name][f.label][allowed_head]
            dv = dvs.get(input_cell(sheet, i))
            is_list = dv is not None and dv.type == "list"
            assert (DROPDOWN_WORDS + ":" in text) == is_list, (sheet.name, f.label, text)
            if f.type == "code":
                assert (NO_DROPDOWN_WORDS in text) == (not is_list), (f.label, text)
            refuses = dv is not None and dv.type in ("whole", "decimal", "date", "textLength")
            assert (REFUSES_WORDS in text) == refuses, (sheet.name, f.label, text)
            if is_list:
                # the values the Návod lists (short lists) are the dropdown's values
                col, first, last = re.fullmatch(r"'?[^!]+'?!\$([A-Z]+)\$(\d+):\$[A-Z]+\$(\d+)", dv.formula1).groups()
                values = [lists[f"{col}{r}"].value for r in range(int(first), int(last) + 1)]
                listed = text.split(": ", 1)[1]
                if not listed.startswith("seznam „"):
                    assert listed == ", ".join(values)
                else:
                    assert f"({format_number(len(values))} položek)" in listed
            if dv is not None and dv.type in ("whole", "decimal"):
                lo, hi = float(dv.formula1), float(dv.formula2)
                if lo > -_BIG:
                    assert format_number(lo) in text, (f.label, text, lo)
                if hi < _BIG:
                    assert format_number(hi) in text, (f.label, text, hi)
            if dv is not None and dv.type == "textLength":
                assert f"{format_number(float(dv.formula2 or dv.formula1))} znaků" in text, (f.label, text)
            # „Povinné: ano“ ⇔ the orange header (or label) the bullet promises
            fill = ws[label_cell(sheet, i)].fill.fgColor.rgb or ""
            required_in_sheet = fill.upper().endswith(REQUIRED_FILL)
            if sheet.layout == "table":  # a table's header colour lives in the table's header cells
                required_in_sheet = _header_is_orange(templates[(kind, scope)], sheet, i)
            assert (navod[sheet.name][f.label][required_head] == "ano") == required_in_sheet, (sheet.name, f.label)
            checked += 1
    assert checked == sum(len(s.fields) for s in get_template(kind).data_sheets)


def _header_is_orange(path: Path, sheet, index: int) -> bool:
    ws = openpyxl.load_workbook(path)[sheet.name]
    rgb = ws.cell(1, index + 1).fill.fgColor.rgb or ""
    return str(rgb).upper().endswith(REQUIRED_FILL)


def test_kod_obce_promises_no_dropdown(templates):
    """The bug the issue found: Návod promised a dropdown for Kód obce that does not exist."""
    wb = openpyxl.load_workbook(templates[("sluzby", "cr")])
    text = navod_rows(wb, "sluzby")["Identifikace"]["Kód obce"][NAVOD_HEADS[3]]
    assert text.startswith(NO_DROPDOWN_WORDS)
    ident = get_template("sluzby").sheet("identifikace")
    cell = input_cell(ident, [f.key for f in ident.fields].index("kod_obce"))
    assert cell not in validations(wb["Identifikace"]) or validations(wb["Identifikace"])[cell].type != "list"


@pytest.mark.parametrize("kind", KINDS)
def test_general_lines_are_true(templates, kind):
    wb = openpyxl.load_workbook(templates[(kind, "cr")])
    texts = [c.value for c in wb[get_template(kind).sheets[0].name]["A"] if isinstance(c.value, str) and c.value.startswith("• ")]
    any_list = any(dv.type == "list" for s in get_template(kind).data_sheets for dv in wb[s.name].data_validations.dataValidation)
    assert any(DROPDOWN_WORDS in t for t in texts) == any_list
    assert any(REFUSES_WORDS in t for t in texts)
    assert any(NAVOD_HEADS[4] in t and "nepočítá" in t for t in texts)


# --- the example row ----------------------------------------------------------------------------


def _typed(fld, text: str):
    """What a clerk types when copying the Návod's example into a cell."""
    if not text:
        return None
    if fld.type in ("integer", "decimal", "money"):
        number = float(text.replace("\u00a0", "").replace(" ", "").replace("Kč", "").replace(",", "."))
        return int(number) if number.is_integer() else number
    if fld.type == "date":
        d, m, y = (int(x) for x in text.replace(" ", "").split("."))
        return dt.datetime(y, m, d)
    return text


#: a lone plan row has no parents: the example 1.1.2 needs priority 1 and goal 1.1 above it
_PLAN_PARENTS = [
    {"cislo": "1", "uroven": "priorita", "nazev": "Podpora poskytovatelů", "cilova_skupina": "senioři"},
    {"cislo": "1.1", "uroven": "opatření", "nazev": "Finanční podpora", "cilova_skupina": "senioři"},
]


@pytest.mark.parametrize("kind", KINDS)
def test_navod_example_row_is_a_valid_row(templates, tmp_path, kind):
    """The Návod's example, typed into the data sheets as it stands there, passes the check
    with no error and no warning: the example teaches a correct row."""
    t = get_template(kind)
    navod = navod_rows(openpyxl.load_workbook(templates[(kind, "cr")]), kind)
    rows = {}
    for sheet in t.data_sheets:
        rows[sheet.key] = {f.key: _typed(f, navod[sheet.name][f.label][NAVOD_HEADS[4]]) for f in sheet.fields}
    ident = {k: v for k, v in rows.pop("identifikace").items() if v is not None}
    tables = {k: [{kk: vv for kk, vv in r.items() if vv is not None}] for k, r in rows.items()}
    if kind == "plan":
        tables["plan"] = _PLAN_PARENTS + tables["plan"]
    path = make_submission(tmp_path / f"priklad_{kind}.xlsx", kind, ident=ident, sheet_rows=tables, orp=None, year=None)
    [res] = validate_paths([path], workers=1)
    assert [(i.code, i.cell) for i in res.issues] == []
    for key, table in tables.items():
        assert len(res.frames[key]) == len(table), key


@pytest.mark.parametrize("kind", KINDS)
def test_example_is_never_read_as_data(templates, tmp_path, kind):
    """The example lives only in the Návod: a blank template has no data rows, and the merge
    of a filled file counts exactly the clerk's rows."""
    [res] = validate_paths([templates[(kind, "orp")]], workers=1)
    assert all(len(res.frames[s.key]) == 0 for s in get_template(kind).table_sheets if s.key in res.frames)
    assert not any(i.sheet == get_template(kind).sheets[0].name for i in res.issues)
    if kind == "sluzby":
        from support import GOOD_SERVICE
        from xlkpss.merge.consolidate import merge_paths

        path = make_submission(tmp_path / "jedna.xlsx", rows=[GOOD_SERVICE])
        c = merge_paths([path], level="orp", territory=territory(orp="4203"), year=2026)
        assert c.meta["rows_read"] == c.meta["rows_merged"] == 1


# --- print --------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_page_setup_read_back(templates, kind):
    """Every visible sheet: A4 landscape; tables at no less than PRINT_MIN_SCALE with the
    header row repeated and, when split across pages, the identifying columns; Identifikace
    on one page; Návod fitted to the page width."""
    wb = openpyxl.load_workbook(templates[(kind, "cr")])
    t = get_template(kind)
    for sheet in t.sheets:
        ws = wb[sheet.name]
        assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9, sheet.name
        fit = ws.sheet_properties.pageSetUpPr.fitToPage if ws.sheet_properties.pageSetUpPr else False
        if sheet.layout == "table":
            layout = print_layout(sheet)
            if layout.breaks:
                assert not fit and int(ws.page_setup.scale or 100) == layout.scale >= PRINT_MIN_SCALE
            else:
                assert fit and ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0
            assert ws.print_title_rows.replace("$", "") == "1:1"
            breaks = [b.id for b in ws.col_breaks.brk]
            assert breaks == list(layout.breaks)
            if layout.breaks:
                last = openpyxl.utils.get_column_letter(layout.repeat)
                assert ws.print_title_cols.replace("$", "") == f"A:{last}"
        elif sheet.layout == "keyvalue":
            assert fit and ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight in (None, 1)  # None = 1
        else:
            assert fit and ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0


@pytest.mark.parametrize("kind", KINDS)
def test_print_area_is_the_table_columns(templates, kind):
    """Only the table's columns print (whole columns: no empty rows below, nothing to the
    right of the table); openpyxl cannot read whole-column areas, so read workbook.xml."""
    import zipfile

    xml = zipfile.ZipFile(templates[(kind, "cr")]).read("xl/workbook.xml").decode()
    areas = dict(re.findall(r'<definedName name="_xlnm.Print_Area" localSheetId="\d+">([^!<]+)!([^<]+)</definedName>', xml))
    for sheet in get_template(kind).table_sheets:
        last = openpyxl.utils.get_column_letter(len(sheet.fields))
        assert areas.get(sheet.name, areas.get(f"'{sheet.name}'")) == f"$A:${last}", (sheet.name, areas)


def test_services_sheet_splits_across_pages_keeping_identity():
    sheet = get_template("sluzby").sheet("sluzby")
    layout = print_layout(sheet)
    keys = [f.key for f in sheet.fields]
    assert layout.pages_across > 1 and layout.repeat == keys.index("nazev_sluzby") + 1
    assert print_layout(get_template("plan").sheet("projekty")).pages_across == 1


def _pdf_pages(pdf: Path) -> list[str]:
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, timeout=60).stdout
    return out.split("<page ")[1:]


def _words(page: str) -> list[tuple[str, float]]:
    return [(w, float(y1) - float(y0)) for y0, y1, w in re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]+)</word>', page)]


def _has_print_fonts() -> bool:
    """Calibri or its metric twin Carlito: column widths in LibreOffice as in Excel."""
    res = subprocess.run(["fc-list"], capture_output=True, text=True) if shutil.which("fc-list") else None
    return bool(res and re.search(r"carlito|calibri", res.stdout, re.I))


def test_templates_print_readably_on_a4(templates, tmp_path):
    """LibreOffice renders both templates to PDF: Identifikace on exactly one page, every
    page of a table sheet repeats the header and the identifying columns (print titles), no
    page is printed below PRINT_MIN_SCALE (measured from the words' height in the PDF,
    11 pt text at 100 % is 14.3 pt tall), and every column label is printed."""
    require(pdftotext=True)
    pdfs = convert([templates[(k, "orp")] for k in KINDS], "pdf", tmp_path / "pdf")
    full_height = 14.3  # height of a word of 11 pt text at 100 %, as pdftotext measures it
    for kind, pdf in zip(KINDS, pdfs):
        t = get_template(kind)
        by_sheet: dict[str, list[list[tuple[str, float]]]] = {}
        for page in _pdf_pages(pdf):
            words = _words(page)
            by_sheet.setdefault(words[0][0], []).append(words)  # the page header names the sheet
        assert set(by_sheet) == {s.name for s in t.sheets}, by_sheet.keys()
        assert len(by_sheet["Identifikace"]) == 1
        for name, pages in by_sheet.items():
            for words in pages:
                body = sorted(h for w, h in words[1:])
                scale = body[len(body) // 2] / full_height
                assert scale >= PRINT_MIN_SCALE / 100 - 0.07, (kind, name, scale)
        for sheet in t.table_sheets:
            layout = print_layout(sheet)
            pages = by_sheet[sheet.name]
            text = "".join(w for page in pages for w, _ in page)  # a narrow header may break inside a word
            for f in sheet.fields:
                assert all(part in text for part in f.label.split()), f.label
            if layout.breaks:
                repeated = sheet.fields[layout.repeat - 1].label.split()[0]
                assert all(repeated in [w for w, _ in page] for page in pages), sheet.name
                if _has_print_fonts():
                    assert len(pages) == layout.pages_across
                else:  # DejaVu is wider than Calibri: LibreOffice may break again inside a page
                    assert layout.pages_across <= len(pages) <= 2 * layout.pages_across + 1
            else:
                assert len(pages) == 1
