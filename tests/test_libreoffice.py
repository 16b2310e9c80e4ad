"""The templates in the real LibreOffice: print, re-save, and fill like a person.

Small municipalities open the template in LibreOffice Calc, often Czech, and save it
as .xlsx, .ods or even .xls.  These tests check that what makes the template useful
survives that: dropdowns pointing at the hidden lists sheet, the hidden metadata sheet,
number formats (a Czech LibreOffice corrupts ``#,##0 "Kč"``), and that Czech keyboard
input (``1 250,5``, ``15.1.2026``) comes back as numbers and dates.

All office work runs once per module, in parallel, each call with its own profile
(about 5–10 s in total on two cores).  Missing LibreOffice: skipped locally, a failure
in CI.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import lo  # tests/lo.py (pytest puts tests/ on sys.path)
import openpyxl
import pytest
import xlsxwriter
from openpyxl.utils import get_column_letter
from python_calamine import CalamineWorkbook, SheetVisibleEnum

from xlkpss.codelists import STATE, codelist, territory
from xlkpss.spec import get_template, load_spec
from xlkpss.template import LISTS_SHEET, META_SHEET, NUM_FORMATS, build_template, field_cell, field_column

pytestmark = pytest.mark.libreoffice

KINDS = tuple(load_spec().templates)
CONVERSIONS = [("xlsx", "en-US"), ("ods", "en-US"), ("xlsx", "cs-CZ"), ("ods", "cs-CZ")]
FILLED_FORMATS = ("xlsx", "ods", "xls")
CONTROL = "kontrola_formatu"  # a workbook with a format a Czech LibreOffice breaks


# --- where things are, from the spec ---------------------------------------------------------------


_col = field_column


def _kv(kind: str, key: str) -> str:
    """Value cell of an Identifikace field."""
    return field_cell(kind, "identifikace", key)


def _name(kind: str, sheet: str) -> str:
    return get_template(kind).sheet(sheet).name


def _fill_values(kind: str) -> dict[str, dict[str, object]]:
    """What a Czech clerk types (``--typed --locale cs-CZ``): decimal commas, spaces
    between thousands, d.m.yyyy dates, dropdown texts typed by hand."""
    ident = {
        _kv(kind, "zpracoval"): "Kateřina Pecháčková",
        _kv(kind, "email"): "katerina.pechackova@chomutov-mesto.cz",
        _kv(kind, "telefon"): "474 637 111",
        _kv(kind, "datum_vyplneni"): "15.1.2026",
    }
    if kind == "sluzby":
        c = lambda key: _col("sluzby", "sluzby", key)
        rows = {
            f"{c('identifikator')}2": "4781263",
            f"{c('registrovana')}2": "ano",
            f"{c('nazev_sluzby')}2": "Domov pro seniory Písečná",
            f"{c('poskytovatel')}2": "Městský ústav sociálních služeb Chomutov, p. o.",
            f"{c('ico_poskytovatele')}2": "00075655",
            f"{c('druh')}2": "§49 Domovy pro seniory",
            f"{c('forma')}2": "pobytová",
            f"{c('kapacita')}2": "120",
            f"{c('typ_kapacity')}2": "lůžka",
            f"{c('pocet_uzivatelu')}2": "143",
            f"{c('uvazky')}2": "1 250,5",
            f"{c('obec')}2": "Chomutov",
            f"{c('cilova_skupina_1')}2": "senioři",
            f"{c('naklady')}2": "48 500 000",
            f"{c('zdroj_mpsv_kraj')}2": "15 200 000,50",
            f"{c('zdroj_obec')}2": 9800000,
            f"{c('poznamka')}2": "navýšení kapacity od 15.1.2026",
        }
        return {_name(kind, "identifikace"): ident, _name(kind, "sluzby"): rows}
    if kind == "sit":
        c = lambda key: _col("sit", "sit", key)
        ident[_kv(kind, "nazev")] = "Krajský úřad Ústeckého kraje"
        rows = {
            f"{c('identifikator')}2": "4781263",
            f"{c('nazev_sluzby')}2": "Domov pro seniory Písečná",
            f"{c('ico_poskytovatele')}2": "00075655",
            f"{c('poskytovatel')}2": "Městský ústav sociálních služeb Chomutov, p. o.",
            f"{c('druh')}2": "§49 Domovy pro seniory",
            f"{c('forma')}2": "pobytová",
            f"{c('orp')}2": "Chomutov",
            f"{c('kapacita')}2": "1 120",
            f"{c('typ_kapacity')}2": "lůžka",
            f"{c('uvazky')}2": "62,5",
        }
        return {_name(kind, "identifikace"): ident, _name(kind, "sit"): rows}
    c = lambda key: _col("plan", "plan", key)
    p = lambda key: _col("plan", "projekty", key)
    plan = {
        f"{c('cislo')}2": "1",
        f"{c('uroven')}2": "priorita",
        f"{c('nazev')}2": "Cílené vytváření finančních prostředků pro udržení a rozvoj sociálních služeb",
        f"{c('cislo')}3": "1.1",
        f"{c('uroven')}3": "opatření",
        f"{c('nazev')}3": "Přímá podpora poskytovatelů sociálních služeb",
        f"{c('cislo')}4": "1.1.2",
        f"{c('uroven')}4": "aktivita",
        f"{c('nazev')}4": "vyčlenit část rozpočtu pro podporu ostatních poskytovatelů",
        f"{c('termin')}4": "12/2026",
        f"{c('rozpocet')}4": "2 774 600",
        f"{c('cerpano')}4": "2 650 000,50",
        f"{c('cilova_hodnota')}4": "12",
        f"{c('dosazena_hodnota')}4": "11,5",
        f"{c('stav')}4": "splněno",
        f"{c('pokracuje')}4": "ano",
    }
    projekty = {
        f"{p('projekt')}2": "Vybudování sociálních bytů pro rodiny s dětmi",
        f"{p('realizator')}2": "Statutární město Chomutov",
        f"{p('termin_dokonceni')}2": "2027",
        f"{p('rozpocet')}2": "12 000 000",
        f"{p('stav')}2": "připravuje se",
    }
    return {_name(kind, "identifikace"): ident, _name(kind, "plan"): plan, _name(kind, "projekty"): projekty}


# --- one batch of office work per module ------------------------------------------------------------


@pytest.fixture(scope="module")
def lo_run(tmp_path_factory):
    lo.require()
    base = tmp_path_factory.mktemp("lo")
    src = base / "src"
    src.mkdir()
    blank = {kind: build_template(kind, src / get_template(kind).filename) for kind in KINDS}
    orp = {kind: build_template(kind, src / f"{kind}_orp_4203.xlsx", year=2026, scope=territory(orp="4203")) for kind in KINDS}
    control = src / f"{CONTROL}.xlsx"
    wb = xlsxwriter.Workbook(str(control))
    ws = wb.add_worksheet("A")
    ws.write_number(0, 0, 12500.5, wb.add_format({"num_format": '#,##0.00 "Kč"'}))  # unquoted space: breaks in cs-CZ
    ws.write_number(1, 0, 12500.5, wb.add_format({"num_format": NUM_FORMATS["money"]}))
    wb.close()

    jobs = {"pdf": lambda: lo.convert(blank.values(), "pdf", base / "pdf")}
    for fmt, locale in CONVERSIONS:
        extra = [control] if (fmt, locale) == ("xlsx", "cs-CZ") else []
        jobs[f"{fmt}-{locale}"] = (
            lambda fmt=fmt, locale=locale, extra=extra: lo.convert([*blank.values(), *extra], fmt, base / f"{fmt}-{locale}", locale=locale)
        )
    uno_ok = not lo.missing_tools(uno=True)
    if uno_ok:
        for kind in KINDS:
            out = base / "filled" / f"{kind}.xlsx"
            also = [out.with_suffix(f".{ext}") for ext in FILLED_FORMATS if ext != "xlsx"]
            jobs[f"fill-{kind}"] = lambda kind=kind, out=out, also=also: lo.fill(orp[kind], _fill_values(kind), out, also=also, locale="cs-CZ")
    results = lo.run_parallel(jobs)

    converted = {}
    for fmt, locale in CONVERSIONS:
        paths = results[f"{fmt}-{locale}"]
        converted[(fmt, locale)] = {kind: paths[i] for i, kind in enumerate(KINDS)}
        if (fmt, locale) == ("xlsx", "cs-CZ"):
            converted["control"] = paths[-1]
    filled = {}
    if uno_ok:
        for kind in KINDS:
            out = base / "filled" / f"{kind}.xlsx"
            filled[kind] = {ext: out.with_suffix(f".{ext}") for ext in FILLED_FORMATS}
    return {"pdf": dict(zip(KINDS, results["pdf"])), "converted": converted, "filled": filled, "blank": blank}


# --- PDF ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_pdf_shows_titles_and_labels(lo_run, kind):
    lo.require(pdftotext=True)
    text = lo.pdf_text(lo_run["pdf"][kind])
    t = get_template(kind)
    assert t.title in text
    for sheet in t.data_sheets:
        assert f"List „{sheet.name}“" in text
        for label in sheet.labels:
            assert label in text, f"{label!r} not printed"
    assert "Číselníky" not in text and t.fingerprint in text  # hidden sheets are not printed


# --- re-saved as .xlsx ------------------------------------------------------------------------------


def _dv_at(ws, cell: str):
    for dv in ws.data_validations.dataValidation:
        for rng in str(dv.sqref).split():
            if rng.split(":")[0] == cell:
                return dv
    return None


def _range_values(wb, formula: str) -> list:
    m = re.match(r"^=?'?([^'!]+)'?!\$?([A-Z]+)\$?(\d+):\$?([A-Z]+)\$?(\d+)$", formula)
    assert m, formula
    assert m[1] == LISTS_SHEET, f"dropdown points at {m[1]!r}"
    ws = wb[m[1]]
    return [ws[f"{m[2]}{r}"].value for r in range(int(m[3]), int(m[5]) + 1)]


def _input_cells(kind: str):
    """(sheet spec, field, first input cell) for every field of every data sheet."""
    for sheet in get_template(kind).data_sheets:
        for i, f in enumerate(sheet.fields):
            cell = f"B{i + 2}" if sheet.layout == "keyvalue" else f"{get_column_letter(i + 1)}2"
            yield sheet, f, cell


def _effective_format(ws, cell: str) -> str:
    """A cell's own number format, or its column's (empty cells keep only the column style)."""
    c = ws[cell]
    if c.has_style:
        return c.number_format
    for dim in ws.column_dimensions.values():
        if dim.min is not None and dim.min <= c.column <= dim.max:
            return dim.number_format
    return c.number_format


def _check_xlsx(path: Path, kind: str, *, scope=STATE) -> None:
    t = get_template(kind)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [s.name for s in t.sheets] + [LISTS_SHEET, META_SHEET]
    states = {ws.title: ws.sheet_state for ws in wb.worksheets}
    assert states[LISTS_SHEET] == "hidden" and states[META_SHEET] == "hidden"
    meta = {r[0]: r[1] for r in wb[META_SHEET].iter_rows(values_only=True)}
    assert (meta["kind"], str(meta["version"]), meta["fingerprint"]) == (kind, str(t.version), t.fingerprint)
    n_lists = n_money = 0
    for sheet, f, cell in _input_cells(kind):
        ws = wb[sheet.name]
        dv = _dv_at(ws, cell)
        if f.type == "code" and f.dropdown:
            assert dv is not None and dv.type == "list", f"{f.label}: dropdown lost"
            assert _range_values(wb, dv.formula1) == codelist(f.codelist, scope).displays(), f.label
            n_lists += 1
        elif f.type in ("integer", "decimal", "money", "date"):
            assert dv is not None and dv.type in ("whole", "decimal", "date"), f"{f.label}: input rule lost"
            assert dv.error and f.label in dv.error
        if f.type == "money":
            fmt = _effective_format(ws, cell)
            assert "Kč" in fmt, f"{f.label}: money format lost ({fmt!r})"
            assert not lo.comma_scaled(fmt), f"{f.label}: money format divides by 1000 ({fmt!r})"
            n_money += 1
    assert n_lists >= 4 and n_money >= (0 if kind == "sit" else 3)  # the network (sit) has no amounts
    for sheet in t.table_sheets:
        ws = wb[sheet.name]
        assert list(ws.tables) == [sheet.table]
        assert [c.value for c in ws[1]] == sheet.labels


@pytest.mark.parametrize("locale", ["en-US", "cs-CZ"])
@pytest.mark.parametrize("kind", KINDS)
def test_resaved_xlsx_keeps_dropdowns_meta_formats(lo_run, kind, locale):
    path = lo_run["converted"][("xlsx", locale)][kind]
    assert "LibreOffice" in _app_name(path)  # really LibreOffice's file, not ours
    _check_xlsx(path, kind)


def test_czech_libreoffice_really_breaks_unquoted_spaces(lo_run):
    """Control: the cs-CZ profile is in effect — it corrupts ``#,##0.00 "Kč"`` into a
    thousands scaler, while the template's ``#,##0" Kč"`` survives."""
    wb = openpyxl.load_workbook(lo_run["converted"]["control"])
    bad, ours = wb["A"]["A1"].number_format, wb["A"]["A2"].number_format
    assert lo.comma_scaled(bad), bad
    assert ours == NUM_FORMATS["money"]


def _app_name(xlsx: Path) -> str:
    import zipfile

    with zipfile.ZipFile(xlsx) as z:
        return z.read("docProps/app.xml").decode("utf-8")


# --- re-saved as .ods -----------------------------------------------------------------------------------


def _calamine_rows(path: Path, sheet: str) -> list[list]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()


def _check_ods(path: Path, kind: str, *, scope=STATE) -> None:
    t = get_template(kind)
    cw = CalamineWorkbook.from_path(str(path))
    names = [m.name for m in cw.sheets_metadata]
    assert names == [s.name for s in t.sheets] + [LISTS_SHEET, META_SHEET]
    hidden = {m.name for m in cw.sheets_metadata if m.visible != SheetVisibleEnum.Visible}
    assert hidden == {LISTS_SHEET, META_SHEET}
    meta = {r[0]: r[1] for r in cw.get_sheet_by_name(META_SHEET).to_python()}
    assert (meta["kind"], meta["version"], meta["fingerprint"]) == (kind, str(t.version), t.fingerprint)

    ods = lo.Ods(path)
    assert ods.table_displayed() == {n: n not in (LISTS_SHEET, META_SHEET) for n in names}
    lists_sheet = cw.get_sheet_by_name(LISTS_SHEET).to_python()
    bound = {s.name: ods.cell_validations(s.name) for s in t.data_sheets}
    n_lists = 0
    for sheet, f, cell in _input_cells(kind):
        v = bound[sheet.name].get(_rc(cell))
        if f.type == "code" and f.dropdown:
            assert v is not None and v.list_range, f"{f.label}: dropdown lost ({v})"
            sh, col, r1, r2 = v.list_range
            assert sh == LISTS_SHEET
            c = openpyxl.utils.column_index_from_string(col) - 1
            values = [lists_sheet[r - 1][c] for r in range(r1, r2 + 1)]
            assert values == codelist(f.codelist, scope).displays(), f.label
            n_lists += 1
        elif f.type in ("integer", "decimal", "money", "date"):
            assert v is not None and ("between" in v.condition or "date" in v.condition), f"{f.label}: input rule lost"
    assert n_lists >= 4
    # money columns: a number style with grouping, the literal " Kč" and no 1000 scaling
    for sheet in t.table_sheets:
        styles = ods.column_cell_styles(sheet.name)
        for i, f in enumerate(sheet.fields):
            if f.type != "money":
                continue
            el = ods.data_style_of(styles[i])
            assert el is not None, f"{sheet.name}/{f.label}: no number style"
            d = lo.Ods.describe_number_style(el)
            assert d["grouping"] and d["display_factor"] in (None, "1"), (f.label, d)
            assert any("Kč" in x for x in d["texts"]), (f.label, d)


@pytest.mark.parametrize("locale", ["en-US", "cs-CZ"])
@pytest.mark.parametrize("kind", KINDS)
def test_resaved_ods_keeps_dropdowns_meta_formats(lo_run, kind, locale):
    _check_ods(lo_run["converted"][("ods", locale)][kind], kind)


# --- filled by a person in a Czech LibreOffice ------------------------------------------------------------


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _rc(cell: str) -> tuple[int, int]:
    """Cell "B12" → (row0, col0) = (11, 1)."""
    m = re.fullmatch(r"([A-Z]+)(\d+)", cell)
    return int(m[2]) - 1, openpyxl.utils.column_index_from_string(m[1]) - 1


def _at(rows: list[list], cell: str):
    r, c = _rc(cell)
    return rows[r][c] if r < len(rows) and c < len(rows[r]) else None


@pytest.fixture(scope="module")
def lo_filled(lo_run):
    lo.require(uno=True)
    return lo_run["filled"]


@pytest.mark.parametrize("ext", FILLED_FORMATS)
def test_filled_services_read_back(lo_filled, ext):
    kind = "sluzby"
    path = lo_filled[kind][ext]
    ident = _calamine_rows(path, _name(kind, "identifikace"))
    rows = _calamine_rows(path, _name(kind, "sluzby"))
    c = lambda key: f"{_col(kind, 'sluzby', key)}2"

    filled = _at(ident, _kv(kind, "datum_vyplneni"))
    assert isinstance(filled, (dt.date, dt.datetime)), repr(filled)
    assert (filled.year, filled.month, filled.day) == (2026, 1, 15)
    assert _at(ident, _kv(kind, "rok")) == 2026
    for key, expected in [("kapacita", 120), ("pocet_uzivatelu", 143), ("uvazky", 1250.5), ("naklady", 48500000),
                          ("zdroj_mpsv_kraj", 15200000.5), ("zdroj_obec", 9800000)]:
        v = _at(rows, c(key))
        assert _is_number(v) and v == expected, (key, v)
    # text-formatted columns keep what was typed: leading zeros, digits, even a date-like text
    assert _at(rows, c("ico_poskytovatele")) == "00075655"
    assert _at(rows, c("identifikator")) == "4781263"
    assert _at(ident, _kv(kind, "telefon")) == "474 637 111"
    assert _at(rows, c("poznamka")) == "navýšení kapacity od 15.1.2026"
    assert _at(rows, c("druh")) == "§49 Domovy pro seniory"
    assert _at(rows, c("obec")) == "Chomutov"
    meta = {r[0]: r[1] for r in _calamine_rows(path, META_SHEET)}
    assert meta["kind"] == kind and meta["fingerprint"] == get_template(kind).fingerprint
    hidden = {m.name for m in CalamineWorkbook.from_path(str(path)).sheets_metadata if m.visible != SheetVisibleEnum.Visible}
    assert hidden == {LISTS_SHEET, META_SHEET}


@pytest.mark.parametrize("ext", FILLED_FORMATS)
def test_filled_plan_read_back(lo_filled, ext):
    kind = "plan"
    path = lo_filled[kind][ext]
    plan = _calamine_rows(path, _name(kind, "plan"))
    projekty = _calamine_rows(path, _name(kind, "projekty"))
    c = lambda key, row: f"{_col(kind, 'plan', key)}{row}"
    # "1.1" and "1.1.2" would become dates in a Czech LibreOffice; the text format keeps them
    assert [_at(plan, c("cislo", r)) for r in (2, 3, 4)] == ["1", "1.1", "1.1.2"]
    assert _at(plan, c("termin", 4)) == "12/2026"
    for key, expected in [("rozpocet", 2774600), ("cerpano", 2650000.5), ("cilova_hodnota", 12), ("dosazena_hodnota", 11.5)]:
        v = _at(plan, c(key, 4))
        assert _is_number(v) and v == expected, (key, v)
    assert _at(plan, c("stav", 4)) == "splněno"
    assert _at(projekty, f"{_col(kind, 'projekty', 'termin_dokonceni')}2") == "2027"
    v = _at(projekty, f"{_col(kind, 'projekty', 'rozpocet')}2")
    assert _is_number(v) and v == 12000000
    ident = _calamine_rows(path, _name(kind, "identifikace"))
    assert isinstance(_at(ident, _kv(kind, "datum_vyplneni")), (dt.date, dt.datetime))


@pytest.mark.parametrize("kind", KINDS)
def test_filled_xlsx_keeps_template_features(lo_filled, kind):
    """After a person's Save in Czech LibreOffice: frozen header, dropdowns restricted to
    the ORP, input rules, money format, metadata — all still there."""
    path = lo_filled[kind]["xlsx"]
    _check_xlsx(path, kind, scope=territory(orp="4203"))
    wb = openpyxl.load_workbook(path)
    for sheet in get_template(kind).table_sheets:
        assert wb[sheet.name].freeze_panes == "A2"
    money = next((f for s in get_template(kind).table_sheets for f in s.fields if f.type == "money"), None)
    if money is None:  # the network (sit) has no amounts: its decimal FTE instead
        money = get_template(kind).sheet("sit").field("uvazky")
    cell = f"{_col(kind, money.sheet, money.key)}{2 if kind != 'plan' else 4}"
    fmt = _effective_format(wb[get_template(kind).sheet(money.sheet).name], cell)
    assert ("Kč" in fmt or money.type != "money") and not lo.comma_scaled(fmt), fmt


def test_filled_ods_keeps_template_features(lo_filled):
    _check_ods(lo_filled["sluzby"]["ods"], "sluzby", scope=territory(orp="4203"))


def _openpyxl_filled(kind: str, path: Path) -> Path:
    """The same values a person typed in LibreOffice, written by openpyxl as they were typed
    (text stays text, "1 250,5" and "15.1.2026" included) — the validator must normalise them."""
    build_template(kind, path, year=2026, scope=territory(orp="4203"))
    wb = openpyxl.load_workbook(path)
    for sheet, cells in _fill_values(kind).items():
        for cell, value in cells.items():
            wb[sheet][cell] = value
    wb.save(path)
    return path


def _validation_view(res):
    issues = sorted((i.code, i.severity, i.sheet, i.cell) for i in res.issues)
    frames = {k: df.drop(columns=["_excluded"]).to_dict("list") for k, df in res.frames.items()}
    return issues, res.ident, frames


@pytest.mark.parametrize("kind", KINDS)
def test_libreoffice_filled_validates_like_openpyxl_filled(lo_filled, kind, tmp_path):
    """Czech keyboard input saved by LibreOffice as .xlsx, .ods and .xls gives the same
    validation result (issues, identification, typed rows) as the same input written by openpyxl."""
    from xlkpss.validate.engine import validate_paths

    reference = _openpyxl_filled(kind, tmp_path / f"{kind}_openpyxl.xlsx")
    paths = [reference, *(lo_filled[kind][ext] for ext in FILLED_FORMATS)]
    results = validate_paths(paths, workers=1)
    want = _validation_view(results[0])
    assert results[0].valid, results[0].issues
    assert results[0].ident["datum_vyplneni"] == dt.date(2026, 1, 15)
    for ext, res in zip(FILLED_FORMATS, results[1:]):
        assert res.format == ext
        assert _validation_view(res) == want, ext


@pytest.mark.parametrize("fmt", ["xls", "ods"])
def test_formula_error_survives_libreoffice_save_as(fmt, tmp_path):
    """A #REF! cell is reported at the same cell whether the file comes as .xlsx, or was
    saved by LibreOffice as .xls (binary; error cells read through xlrd) or .ods."""
    from xlkpss.validate.engine import validate_paths

    lo.require()
    sample = Path(__file__).resolve().parents[1] / "samples" / "invalid" / "chyba_vzorce_ref.xlsx"
    [converted] = lo.convert([sample], fmt, tmp_path / fmt)
    original, saved = validate_paths([sample, converted], workers=1)
    assert saved.format == fmt
    assert [(i.code, i.sheet, i.cell) for i in saved.issues] == [(i.code, i.sheet, i.cell) for i in original.issues]
    assert saved.issues[0].code == "formula-error"
