"""Live checks inside the template (issue 14, point 1).

The template marks, while the clerk types, what ``validate`` would report.  These tests
fill real templates through LibreOffice (UNO, Czech keyboard input) with seeded mistakes,
save them as .xlsx and .ods, and read back the helper cells the conditional formats look
at (LibreOffice stores their computed values): they must flag exactly the seeded cells,
agree with ``validate`` cell for cell on the checks they cover, and the conditional
formats and Kontrola blocks must still be there after the re-save.
"""

from __future__ import annotations

import random
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook
from support import GOOD_PLAN_ROWS, GOOD_SERVICE, make_submission

from xlkpss.cells import col_letter
from xlkpss.codelists import territory
from xlkpss.spec import get_template
from xlkpss.template import CF_MAX, build_template, field_cell, live_checks
from xlkpss.template.live import CHECKS_SHEET, KONTROLA_TITLE
from xlkpss.validate.engine import validate_paths

SVC = "Služby"
ORP = territory(orp="4203")
#: the issue codes the live checks cover
COVERED = {
    "required",
    "group-missing",
    "identifier-required",
    "form-not-allowed",
    "beds-not-residential",
    "funding-exceeds-costs",
    "outside-territory",
    "plan-level-depth",
}
#: what Excel and LibreOffice both know (no LibreOffice-only function)
EXCEL_FUNCTIONS = {"IF", "AND", "OR", "NOT", "LEN", "TRIM", "SUMPRODUCT", "IFERROR", "SUM", "ISNUMBER", "INDEX", "MATCH", "SUBSTITUTE", "FIND", "LEFT", "TRUE"}


# --- reading the live checks back ---------------------------------------------------------------


def _values(path: Path) -> dict[str, list[list]]:
    """Computed cell values of every sheet (openpyxl's cached values for .xlsx, calamine
    for .ods — both are what LibreOffice stored)."""
    if path.suffix == ".xlsx":
        wb = openpyxl.load_workbook(path, data_only=True)
        return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}
    wb = CalamineWorkbook.from_path(str(path))
    return {name: wb.get_sheet_by_name(name).to_python() for name in wb.sheet_names}


def _cell(rows: list[list], row0: int, col0: int):
    if row0 >= len(rows) or col0 >= len(rows[row0]):
        return None
    return rows[row0][col0]


def flagged(path: Path, kind: str, scope=ORP) -> set[tuple[str, str, str]]:
    """(sheet, cell, issue code) of every live check that fires in a saved workbook."""
    layout = live_checks(kind, scope)
    rows = _values(path)[CHECKS_SHEET]
    out = set()
    for live in layout.sheets.values():
        s = live.sheet
        keys = [f.key for f in s.fields]
        for h in live.helpers:
            if s.layout == "keyvalue":
                r0 = keys.index(h.field) + 1
                if _cell(rows, r0, h.column) in (1, 1.0, True):
                    out.add((s.name, f"B{r0 + 1}", h.code))
                continue
            for r0 in range(1, live.rows + 1):
                if _cell(rows, r0, h.column) in (1, 1.0, True):
                    out.add((s.name, f"{col_letter(keys.index(h.field))}{r0 + 1}", h.code))
    return out


#: first column of the scratch cells into which the tests type the conditional formats' formulas
SCRATCH_COL = 60


def _cf_formula(live, h, row: int) -> str:
    formula = live.render(h.expr, row, inline=True)
    if len(formula) > CF_MAX:
        return f"'{CHECKS_SHEET}'!${col_letter(h.column)}{row}=1"
    return formula


def cf_probes(kind: str, n_rows: int, scope=ORP) -> tuple[dict, dict]:
    """The formula of every conditional format, typed as a formula into a scratch cell of
    its row (what LibreOffice evaluates to decide the colour), and where each went:
    ({sheet: {cell: {"formula": …}}}, {(sheet, scratch cell): (marked cell, code)})."""
    values: dict[str, dict] = {}
    where: dict[tuple[str, str], tuple[str, str]] = {}
    for live in live_checks(kind, scope).sheets.values():
        s = live.sheet
        keys = [f.key for f in s.fields]
        for i, h in enumerate(live.helpers):
            rows = [live.row_of(h)] if live.row_of(h) else range(2, n_rows + 2)
            for row in rows:
                scratch = f"{col_letter(SCRATCH_COL + i)}{row}"
                values.setdefault(s.name, {})[scratch] = {"formula": "=" + _cf_formula(live, h, row)}
                marked = f"B{row}" if live.row_of(h) else f"{col_letter(keys.index(h.field))}{row}"
                where[(s.name, scratch)] = (marked, h.code)
    return values, where


def cf_marks(path: Path, where: dict) -> set[tuple[str, str, str]]:
    """(sheet, cell, code) whose conditional format formula is true in the saved file."""
    values = _values(path)
    out = set()
    for (sheet, scratch), (marked, code) in where.items():
        col, row = openpyxl.utils.cell.coordinate_from_string(scratch)
        v = _cell(values[sheet], row - 1, openpyxl.utils.cell.column_index_from_string(col) - 1)
        if v in (1, 1.0, True):
            out.add((sheet, marked, code))
    return out


def kontrola_total(path: Path, kind: str, sheet_key: str, scope=ORP) -> float:
    """The „Celkem“ count of a sheet's Kontrola block."""
    live = live_checks(kind, scope).sheets[sheet_key]
    rows = _values(path)[live.sheet.name]
    for r0, row in enumerate(rows):
        if _cell(rows, r0, live.block_col) == "Celkem":
            return float(_cell(rows, r0, live.block_col + 1) or 0)
    raise AssertionError(f"no Kontrola total on {live.sheet.name}")


def validator_cells(path: Path) -> set[tuple[str, str, str]]:
    [res] = validate_paths([path], workers=1)
    return {(i.sheet, i.cell, i.code) for i in res.issues if i.code in COVERED and not i.explained}


# --- seeded mistakes ---------------------------------------------------------------------------------


def _text(v) -> str:
    return str(v).replace(".", ",") if isinstance(v, float) else str(v)


def _service(n: int) -> dict:
    return {**GOOD_SERVICE, "identifikator": str(1234500 + n), "nazev_sluzby": f"Služba {n}"}


#: mutation name → (change to a good row, (field key, issue code) it must flag or None)
MUTATIONS = {
    "blank_name": ({"nazev_sluzby": None}, ("nazev_sluzby", "required")),
    "blank_capacity": ({"kapacita": None}, ("kapacita", "required")),
    "blank_obec": ({"obec": None}, ("obec", "required")),
    "form_not_allowed": ({"druh": "§40 Pečovatelská služba", "forma": "pobytová", "typ_kapacity": "klienti"}, ("forma", "form-not-allowed")),
    "beds_field": ({"druh": "§40 Pečovatelská služba", "forma": "terénní", "typ_kapacity": "lůžka"}, ("typ_kapacity", "beds-not-residential")),
    "funding": ({"zdroj_obec": 29_800_000}, ("naklady", "funding-exceeds-costs")),
    "funding_explained": ({"zdroj_obec": 29_800_000, "poznamka": "dar města na rekonstrukci"}, None),
    "outside": ({"obec": "Kadaň"}, ("obec", "outside-territory")),
    "no_group": ({"cilova_skupina_1": None}, ("cilova_skupina_1", "group-missing")),
    "no_identifier": ({"identifikator": None}, ("identifikator", "identifier-required")),
    "related_without_type": ({"registrovana": "ne", "identifikator": None, "druh": None}, None),
    "fine": ({}, None),
}


def seeded(seed: int, n: int = 8) -> tuple[list[dict], set[tuple[str, str, str]]]:
    """Service rows, each with one mutation, and the cells they must flag: seed 1 has
    every mutation once (shuffled), other seeds ``n`` drawn at random."""
    rng = random.Random(seed)
    names = rng.sample(sorted(MUTATIONS), len(MUTATIONS)) if seed == 1 else [rng.choice(sorted(MUTATIONS)) for _ in range(n)]
    rows, expected = [], set()
    for i, name in enumerate(names):
        change, flag = MUTATIONS[name]
        rows.append({**_service(seed * 100 + i), **change})
        if flag:
            key, code = flag
            expected.add((SVC, field_cell("sluzby", "sluzby", key, i + 2), code))
    return rows, expected


def typed(kind: str, sheet_key: str, rows: list[dict], ident: dict | None = None) -> dict:
    sheet = get_template(kind).sheet(sheet_key)
    cells = {field_cell(kind, sheet_key, k, r): _text(v) for r, row in enumerate(rows, start=2) for k, v in row.items() if v is not None}
    out = {sheet.name: cells}
    if ident:
        out["Identifikace"] = {field_cell(kind, "identifikace", k): v for k, v in ident.items()}
    return out


IDENT_REST = {"zpracoval": "Jana Nováková", "email": "jana@chomutov.cz", "datum_vyplneni": "2.3.2026"}


# --- the template itself (no office needed) ------------------------------------------------------------


@pytest.mark.parametrize("kind", ["sluzby", "plan"])
def test_formulas_are_plain_excel(kind, tmp_path):
    """Helper formulas and conditional formats use only functions Excel and LibreOffice
    share; every check has its conditional format on its field's cells, the check spelled
    out (or its helper cell when longer than Excel's dialog takes); the data sheets hold
    no helper cell (the validator reads them: the checks live on a sheet it never parses)."""
    path = build_template(kind, tmp_path / "t.xlsx", year=2026, scope=ORP)
    wb = openpyxl.load_workbook(path)
    names = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str) and c.value.startswith("="):
                    names |= set(re.findall(r"([A-Z][A-Z0-9.]*)\(", c.value))
    assert names and names <= EXCEL_FUNCTIONS, names - EXCEL_FUNCTIONS
    for key, live in live_checks(kind, ORP).sheets.items():
        ws = wb[live.sheet.name]
        rules = {(str(cf.sqref), r.formula[0]) for cf in ws.conditional_formatting for r in cf.rules}
        keys = [f.key for f in live.sheet.fields]
        for h in live.helpers:
            col = "B" if live.row_of(h) else col_letter(keys.index(h.field))
            row = live.row_of(h) or 2
            formula = live.render(h.expr, row, inline=True)
            if len(formula) > CF_MAX:
                formula = f"'{CHECKS_SHEET}'!${col_letter(h.column)}{'$' if live.row_of(h) else ''}{row}=1"
            where = f"{col}{row}" if live.row_of(h) else f"{col}2:{col}{live.rows + 1}"
            assert (where, formula) in rules, (key, h)
            assert len(formula) <= CF_MAX
        formulas = [c.coordinate for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("=")]
        assert all(openpyxl.utils.cell.coordinate_from_string(c)[0] in (col_letter(live.block_col + 1),) for c in formulas), formulas
        assert any(v == KONTROLA_TITLE for row in ws.iter_rows(values_only=True) for v in row), key


def test_lookups_come_from_the_validator():
    """The bad pairs on the lists sheet are exactly what the validator reports: every
    druh × forma of the code list checked against the law's forms."""
    from xlkpss.codelists import codelist

    layout = live_checks("sluzby", ORP)
    lookups = {lk.name: set(lk.values) for lk in layout.lookups}
    druhy, formy = codelist("druhy_sluzeb"), codelist("formy")
    want = {
        f"{d.display}|{formy.get(f).display}"
        for d in druhy
        for f in formy.codes()
        if d.extra.get("formy") and f not in d.extra["formy"]
    }
    assert lookups["kontrola_form_not_allowed"] == want
    assert lookups["kontrola_beds_not_residential"] == {"ambulantní|lůžka", "terénní|lůžka"}


def test_more_rows_than_the_spec_are_checked_too(tmp_path):
    """A template pre-filled with more rows than the spec's ``rows`` (an annotated copy, a
    roll-over) checks and counts every one of them."""
    n = get_template("sluzby").sheet("sluzby").rows + 50
    path = build_template("sluzby", tmp_path / "t.xlsx", scope=ORP, rows={"sluzby": [{"nazev_sluzby": f"S{i}"} for i in range(n)]})
    wb = openpyxl.load_workbook(path)
    ranges = {str(cf.sqref) for cf in wb[SVC].conditional_formatting}
    assert f"C2:C{n + 1}" in ranges
    live = live_checks("sluzby", ORP).sheets["sluzby"]
    helper = col_letter(live.helpers[0].column)
    assert wb[CHECKS_SHEET][f"{helper}{n + 1}"].value.startswith("=IF(")
    counts = [c.value for row in wb[SVC].iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("=SUM('")]
    assert counts and all(f"${n + 1}" in v for v in counts), counts[:2]


@pytest.mark.parametrize("kind", ["sluzby", "plan"])
def test_validator_reads_past_the_live_checks(kind, tmp_path):
    """The Kontrola block, the conditional formats and the helper sheet are invisible to
    ``validate``: a good file has no issue at all (no unknown column, no extra row)."""
    if kind == "sluzby":
        path = make_submission(tmp_path / "x.xlsx", rows=[GOOD_SERVICE])
    else:
        path = make_submission(tmp_path / "x.xlsx", "plan", sheet_rows={"plan": GOOD_PLAN_ROWS})
    [res] = validate_paths([path], workers=1)
    assert [(i.code, i.cell) for i in res.issues] == []
    assert CHECKS_SHEET in openpyxl.load_workbook(path).sheetnames


# --- through LibreOffice -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lo():
    import lo as lo_module

    lo_module.require(uno=True)
    return lo_module


def _fill(lo, tmp: Path, kind: str, values: dict, scope=ORP, extra=()) -> tuple[Path, Path]:
    blank = build_template(kind, tmp / "blank.xlsx", year=2026, scope=scope)
    xlsx, ods = tmp / "filled.xlsx", tmp / "filled.ods"
    lo.fill(blank, values, xlsx, also=[ods], extra=extra)
    return xlsx, ods


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_services_live_checks_fire_on_exactly_the_mistakes(lo, tmp_path, seed):
    """Seeded mistakes typed in LibreOffice: the live checks flag exactly those cells, in
    the .xlsx and the .ods LibreOffice saved, the Kontrola blocks count them, and
    ``validate`` reports the same cells (the validator stays the authority)."""
    rows, expected = seeded(seed)
    ident = dict(IDENT_REST)
    if seed == 2:  # a required identification value left empty
        del ident["zpracoval"]
        expected.add(("Identifikace", field_cell("sluzby", "identifikace", "zpracoval"), "required"))
    values = typed("sluzby", "sluzby", rows, ident)
    probes, where = cf_probes("sluzby", len(rows))
    for sheet, cells in probes.items():
        values.setdefault(sheet, {}).update(cells)
    xlsx, ods = _fill(lo, tmp_path, "sluzby", values, extra=["--ignore-protection"])
    for path in (xlsx, ods):
        got = flagged(path, "sluzby")
        assert got == expected, (path.suffix, got ^ expected)
        # the conditional formats' own formulas, evaluated by LibreOffice, mark the same cells
        assert cf_marks(path, where) == expected, path.suffix
        assert got == validator_cells(path), path.suffix
        on_sheet = sum(1 for s, _, _ in expected if s == SVC)
        assert kontrola_total(path, "sluzby", "sluzby") == on_sheet, path.suffix
        assert kontrola_total(path, "sluzby", "identifikace") == len(expected), path.suffix


def test_national_template_territory_from_identification(lo, tmp_path):
    """The whole-country template: the municipality is checked against the ORP typed on
    Identifikace (no ORP yet: nothing is outside)."""
    # names as the dropdown of the whole country offers them („Žatec“ is in two ORP)
    rows = [{**_service(1), "obec": "Kadaň"}, {**_service(2), "obec": "Jirkov"}, {**_service(3), "obec": "Žatec (ORP Žatec)"}]
    values = typed("sluzby", "sluzby", rows, {**IDENT_REST, "typ_predkladatele": "obec", "nazev": "Město Jirkov",
                                              "kod_orp": "Chomutov", "kod_kraje": "Ústecký kraj", "rok": "2026",
                                              "kod_obce": "563099"})
    xlsx, ods = _fill(lo, tmp_path, "sluzby", values, scope=None)
    obec = lambda r: field_cell("sluzby", "sluzby", "obec", r)  # noqa: E731
    want = {(SVC, obec(2), "outside-territory"), (SVC, obec(4), "outside-territory")}
    for path in (xlsx, ods):
        got = flagged(path, "sluzby", scope=None)
        assert got == want, (path.suffix, got)
        assert got == validator_cells(path)


def test_plan_live_checks(lo, tmp_path):
    """Plan numbering whose depth does not match its level, and required values, in
    .xlsx and .ods, agreeing with ``validate``."""
    rows = [
        {"cislo": "1", "uroven": "priorita", "nazev": "Podpora služeb"},
        {"cislo": "1.1", "uroven": "opatření", "nazev": "Podpora poskytovatelů"},
        {"cislo": "1.1.1", "uroven": "aktivita", "nazev": "Dotace"},
        {"cislo": "2", "uroven": "aktivita", "nazev": "Aktivita nahoře"},  # top: only oblast/priorita/cíl
        {"cislo": "1.1.1.1", "uroven": "aktivita", "nazev": "Pod aktivitou"},  # nothing under an activity
        {"cislo": "3.1", "uroven": "oblast (pracovní skupina)", "nazev": "Oblast pod chybějící"},
        {"cislo": "1.2", "nazev": "Bez úrovně"},
        {"cislo": "1.3", "uroven": "cíl"},
        {"cislo": "1.1.2", "uroven": "aktivita", "nazev": "Druhá aktivita"},
    ]
    values = typed("plan", "plan", rows, IDENT_REST)
    probes, where = cf_probes("plan", len(rows))
    for sheet, cells in probes.items():
        values.setdefault(sheet, {}).update(cells)
    xlsx, ods = _fill(lo, tmp_path, "plan", values, extra=["--ignore-protection"])
    cell = lambda k, r: field_cell("plan", "plan", k, r)  # noqa: E731
    want = {
        ("Plán", cell("uroven", 5), "plan-level-depth"),
        ("Plán", cell("uroven", 6), "plan-level-depth"),
        ("Plán", cell("uroven", 7), "plan-level-depth"),
        ("Plán", cell("uroven", 8), "required"),
        ("Plán", cell("nazev", 9), "required"),
    }
    for path in (xlsx, ods):
        got = flagged(path, "plan")
        assert got == want, (path.suffix, got ^ want)
        assert cf_marks(path, where) == want, path.suffix
        assert got == validator_cells(path)
        assert kontrola_total(path, "plan", "plan") == len(want)


def test_live_checks_survive_resave_and_reopen(lo, tmp_path):
    """The conditional formats, helper formulas and named lists are still there after
    LibreOffice saved the file as .xlsx and as .ods and it is opened again (.ods → .xlsx
    by LibreOffice), and they still compute the same marks."""
    rows, expected = seeded(1)
    xlsx, ods = _fill(lo, tmp_path, "sluzby", typed("sluzby", "sluzby", rows, IDENT_REST))
    # .ods: conditional formats and named ranges in the package
    with zipfile.ZipFile(ods) as z:
        content = z.read("content.xml").decode()
    assert content.count("<calcext:conditional-format ") >= 10
    assert "kontrola_form_not_allowed" in content and "seznam_obce" in content
    # reopened: the .ods converted again by LibreOffice keeps formats and marks
    [again] = lo.convert([ods], "xlsx", tmp_path / "again")
    for path in (xlsx, again):
        wb = openpyxl.load_workbook(path)
        ws = wb[SVC]
        # LibreOffice writes the constant TRUE as 1; nothing else changes
        rules = {(str(cf.sqref), r.formula[0].replace("TRUE", "1")) for cf in ws.conditional_formatting for r in cf.rules if r.formula}
        live = live_checks("sluzby", ORP).sheets["sluzby"]
        keys = [f.key for f in live.sheet.fields]
        for h in live.helpers:
            col = col_letter(keys.index(h.field))
            want = (f"{col}2:{col}{live.rows + 1}", live.render(h.expr, 2, inline=True).replace("TRUE", "1"))
            assert want in rules, (path.name, h.code, h.field)
        assert "kontrola_form_not_allowed" in wb.defined_names
        assert flagged(path, "sluzby") == expected, path.name
