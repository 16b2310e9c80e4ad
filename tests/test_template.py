"""Generated templates, reopened with openpyxl: everything must come from the spec.

The workbooks are read back the way a reader would see them, not through the writer's
own data structures: sheet order and states, headers, tables, dropdown sources on the
hidden lists sheet, input rules, number formats, comments, frozen panes, the metadata
sheet, and byte-for-byte determinism (committed ``workbook_templates/`` must be fresh).
"""

from __future__ import annotations

import ast
import json
import re
import sys
import warnings
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.utils import get_column_letter

import xlkpss
from xlkpss.cli import main as cli
from xlkpss.codelists import STATE, codelist, municipalities, orps, territory
from xlkpss.spec import get_template, load_spec
from xlkpss.template import LISTS_SHEET, META_SHEET, NUM_FORMATS, YEAR_FORMAT, build_template, num_format
from xlkpss.template.refresh import DEFAULT_DIR, stale_templates, write_templates

KINDS = tuple(load_spec().templates)
PACKAGE_DIR = Path(xlkpss.__file__).resolve().parent
REPO = PACKAGE_DIR.parent

# --- the requirement (issue text): exact column headings people will see ------------------
# These literals are the *requirement* the spec is checked against; the package itself
# must take labels from the spec (see test_labels_only_in_spec).
REQUIRED_SLUZBY_HEADERS = [
    "Identifikátor služby", "Registrovaná služba", "Název služby", "Poskytovatel", "IČO poskytovatele",
    "Druh služby", "Forma", "Kapacita", "Typ kapacity", "Počet uživatelů za rok", "Úvazky v přímé péči",
    "Obec poskytování", "Cílová skupina 1", "Náklady celkem (Kč)", "Dotace MPSV/kraj (Kč)", "Obec (Kč)",
    "Úhrady uživatelů (Kč)", "Zdravotní pojišťovny (Kč)", "EU/ESF (Kč)", "Ostatní zdroje (Kč)", "Poznámka",
]
REQUIRED_PLAN_HEADERS = [
    "Číslo", "Úroveň", "Název", "Popis (cílový stav)", "Cílová skupina", "Realizátor", "Termín",
    "Rozpočet plánovaný (Kč)", "Čerpáno (Kč)", "Zdroj financování", "Indikátor", "Cílová hodnota",
    "Dosažená hodnota", "Stav", "Pokračuje v příštím roce", "Převzato z roku", "Počet převzetí", "Komentář",
]
REQUIRED_PROJEKTY_HEADERS = ["Projekt", "Realizátor", "Termín dokončení", "Rozpočet (Kč)", "Stav"]
MONEY_FORMAT = '#,##0" Kč"'

_RANGE = re.compile(r"^=?'?(?P<sheet>[^'!]+)'?!\$(?P<c1>[A-Z]+)\$(?P<r1>\d+):\$(?P<c2>[A-Z]+)\$(?P<r2>\d+)$")


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tpl_blank(tmp_path_factory) -> dict[str, Path]:
    """Blank country-wide templates (what workbook_templates/ holds)."""
    out = tmp_path_factory.mktemp("tpl_blank")
    return {kind: build_template(kind, out / get_template(kind).filename) for kind in KINDS}


@pytest.fixture(scope="module")
def tpl_orp_chomutov(tmp_path_factory) -> dict[str, Path]:
    """Templates for ORP Chomutov (4203), 2026, made through the CLI like a coordinator would."""
    out = tmp_path_factory.mktemp("tpl_orp")
    runner = CliRunner()
    paths = {}
    for kind in KINDS:
        path = out / f"{kind}_4203.xlsx"
        res = runner.invoke(cli, ["template", kind, "--orp", "4203", "--year", "2026", "-o", str(path)])
        assert res.exit_code == 0, res.output
        paths[kind] = path
    return paths


def _open(path: Path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(path)


def _column_style(ws, col_idx: int):
    """The column's default style (xlsxwriter set_column), as Excel applies it to new cells."""
    for dim in ws.column_dimensions.values():
        if dim.min is not None and dim.min <= col_idx <= dim.max:
            return dim
    raise AssertionError(f"{ws.title}: no column style for column {col_idx}")


def _list_values(wb, formula: str) -> list[str]:
    m = _RANGE.match(formula)
    assert m, f"list validation source is not a range: {formula!r}"
    assert m["sheet"] == LISTS_SHEET, f"list validation points at {m['sheet']!r}, not the lists sheet"
    assert m["c1"] == m["c2"], formula
    ws = wb[m["sheet"]]
    col = m["c1"]
    return [ws[f"{col}{r}"].value for r in range(int(m["r1"]), int(m["r2"]) + 1)]


def _validations(ws) -> dict[str, object]:
    """First cell of each validation's range → the validation."""
    out = {}
    for dv in ws.data_validations.dataValidation:
        for rng in str(dv.sqref).split():
            out[rng.split(":")[0]] = dv
    return out


def _field_cell(sheet, index: int) -> str:
    """Where a field's first input cell is: B{row} on key–value sheets, {col}2 on tables."""
    if sheet.layout == "keyvalue":
        return f"B{index + 2}"
    return f"{get_column_letter(index + 1)}2"


# --- workbook structure ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_sheet_names_order_and_states(tpl_blank, kind):
    t = get_template(kind)
    wb = _open(tpl_blank[kind])
    assert wb.sheetnames == [s.name for s in t.sheets] + [LISTS_SHEET, META_SHEET]
    states = {ws.title: ws.sheet_state for ws in wb.worksheets}
    # "hidden", never "veryHidden": LibreOffice downgrades veryHidden silently
    assert states[LISTS_SHEET] == "hidden"
    assert states[META_SHEET] == "hidden"
    assert all(states[s.name] == "visible" for s in t.sheets)


def test_sheet_names_are_the_issues(tpl_blank):
    assert _open(tpl_blank["sluzby"]).sheetnames == ["Návod", "Identifikace", "Služby", "Číselníky", "_xlkpss"]
    assert _open(tpl_blank["plan"]).sheetnames == ["Návod", "Identifikace", "Plán", "Projekty", "Číselníky", "_xlkpss"]


@pytest.mark.parametrize("kind", KINDS)
def test_metadata_sheet(tpl_blank, tpl_orp_chomutov, kind):
    t = get_template(kind)
    for path, year, terr in ((tpl_blank[kind], "", "stat:CZ"), (tpl_orp_chomutov[kind], "2026", "orp:4203")):
        ws = _open(path)[META_SHEET]
        meta = {r[0]: r[1] for r in ws.iter_rows(values_only=True)}
        assert meta["kind"] == kind
        assert meta["version"] == str(t.version)
        assert meta["fingerprint"] == t.fingerprint and re.fullmatch(r"[0-9a-f]{16}", t.fingerprint)
        assert meta["generator"] == f"xlkpss {xlkpss.__version__}"
        assert (meta["year"] or "") == year
        assert meta["territory"] == terr


@pytest.mark.parametrize("kind", KINDS)
def test_headers_equal_spec_labels(tpl_blank, kind):
    t = get_template(kind)
    wb = _open(tpl_blank[kind])
    for sheet in t.data_sheets:
        ws = wb[sheet.name]
        if sheet.layout == "table":
            header = [c.value for c in ws[1]]
            assert header == sheet.labels
        else:
            assert [c.value for c in ws[1]][:2] == ["Údaj", "Hodnota"]
            labels = [ws.cell(row=r, column=1).value for r in range(2, len(sheet.fields) + 2)]
            assert labels == sheet.labels
            assert ws.cell(row=len(sheet.fields) + 2, column=1).value is None


def test_headers_are_what_the_issue_requires():
    # the issue's headers are template version 1; later versions add optional columns (since > 1)
    sluzby = [f.label for f in get_template("sluzby").sheet("sluzby").fields if f.since == 1]
    # only the first target-group column is named in the issue; 2–5 are optional repeats
    assert [h for h in sluzby if not re.fullmatch(r"Cílová skupina [2-9]", h)] == REQUIRED_SLUZBY_HEADERS
    assert get_template("plan").sheet("plan").labels == REQUIRED_PLAN_HEADERS
    assert get_template("plan").sheet("projekty").labels == REQUIRED_PROJEKTY_HEADERS


@pytest.mark.parametrize("kind", KINDS)
def test_instructions_mention_every_field(tpl_blank, kind):
    t = get_template(kind)
    ws = _open(tpl_blank[kind])[t.sheets[0].name]
    texts = {c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    for sheet in t.data_sheets:
        for f in sheet.fields:
            assert f.label in texts, f"Návod lacks {f.label!r}"
    assert any(t.fingerprint in x for x in texts)


# --- dropdowns --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_dropdowns_point_at_lists_sheet_and_match_codelists(tpl_blank, kind):
    t = get_template(kind)
    wb = _open(tpl_blank[kind])
    n_lists = 0
    for sheet in t.data_sheets:
        ws = wb[sheet.name]
        dvs = _validations(ws)
        for i, f in enumerate(sheet.fields):
            dv = dvs.get(_field_cell(sheet, i))
            if f.type != "code" or not f.dropdown:
                assert dv is None or dv.type != "list", f"{f.label}: unexpected list"
                continue
            assert dv is not None and dv.type == "list", f"{f.label}: no dropdown"
            assert _list_values(wb, dv.formula1) == codelist(f.codelist, STATE).displays(), f.label
            assert dv.showErrorMessage and dv.allow_blank
            if sheet.layout == "table":
                assert str(dv.sqref) == f"{get_column_letter(i + 1)}2:{get_column_letter(i + 1)}{sheet.rows + 1}"
            n_lists += 1
    assert n_lists >= 4
    # each list also has a defined name (handy in formulas; LibreOffice keeps them)
    names = set(wb.defined_names)
    for sheet in t.data_sheets:
        for f in sheet.fields:
            if f.type == "code" and f.dropdown:
                assert f"seznam_{f.codelist}" in names
                assert _list_values(wb, wb.defined_names[f"seznam_{f.codelist}"].attr_text) == codelist(f.codelist).displays()


def test_druh_dropdown_shows_paragraph_and_name(tpl_blank):
    wb = _open(tpl_blank["sluzby"])
    sheet = get_template("sluzby").sheet("sluzby")
    idx = [f.key for f in sheet.fields].index("druh")
    values = _list_values(wb, _validations(wb[sheet.name])[_field_cell(sheet, idx)].formula1)
    assert "§49 Domovy pro seniory" in values
    assert "§39 Osobní asistence" in values
    assert len(values) == len(codelist("druhy_sluzeb"))


def test_lists_sheet_titles(tpl_blank):
    wb = _open(tpl_blank["sluzby"])
    titles = [c.value for c in wb[LISTS_SHEET][1] if c.value]
    assert codelist("druhy_sluzeb").title in titles and codelist("obce").title in titles


# --- territory ------------------------------------------------------------------------------


def _obce_list(path: Path, kind: str = "sluzby") -> list[str]:
    wb = _open(path)
    sheet = get_template(kind).sheet("sluzby")
    idx = [f.key for f in sheet.fields].index("obec")
    return _list_values(wb, _validations(wb[sheet.name])[_field_cell(sheet, idx)].formula1)


def test_orp_limits_obce_list(tpl_orp_chomutov):
    values = _obce_list(tpl_orp_chomutov["sluzby"])
    expected = sorted((m.name for m in municipalities().values() if m.orp == "4203"), key=str.casefold)
    assert sorted(values, key=str.casefold) == expected
    # the ČSÚ count of obce in ORP Chomutov, from the independent orp.csv column
    assert len(values) == int(orps()["4203"]["pocet_obci"]) == 25
    assert {"Chomutov", "Jirkov", "Březno", "Spořice", "Málkov", "Vysoká Pec"} <= set(values)
    assert "Kadaň" not in values and "Most" not in values


def test_orp_prefills_identification(tpl_orp_chomutov):
    sheet = get_template("sluzby").sheet("identifikace")
    ws = _open(tpl_orp_chomutov["sluzby"])[sheet.name]
    values = {ws.cell(row=i + 2, column=1).value: ws.cell(row=i + 2, column=2).value for i in range(len(sheet.fields))}

    def v(key):
        return values[sheet.field(key).label]

    assert v("typ_predkladatele") == codelist("typ_predkladatele").get("orp").display
    assert v("kod_obce") == "562971"
    assert v("kod_orp") == "Chomutov"
    assert v("kod_kraje") == "Ústecký kraj"
    assert v("rok") == 2026
    assert v("zpracoval") is None and v("email") is None  # the person fills these
    # the ORP and kraj dropdowns offer only this territory
    dvs = _validations(ws)
    wb = _open(tpl_orp_chomutov["sluzby"])
    idx = [f.key for f in sheet.fields]
    assert _list_values(wb, dvs[_field_cell(sheet, idx.index("kod_orp"))].formula1) == ["Chomutov"]
    assert _list_values(wb, dvs[_field_cell(sheet, idx.index("kod_kraje"))].formula1) == ["Ústecký kraj"]


def test_obec_prefill_and_list(tmp_path):
    path = build_template("sluzby", tmp_path / "jirkov.xlsx", year=2026, scope=territory(obec="563099"))
    sheet = get_template("sluzby").sheet("identifikace")
    ws = _open(path)[sheet.name]
    col_b = [ws.cell(row=i + 2, column=2).value for i in range(len(sheet.fields))]
    assert col_b[:2] == [codelist("typ_predkladatele").get("obec").display, "563099"]
    assert "Jirkov" in col_b
    # an obec's services may be provided elsewhere in its ORP
    assert len(_obce_list(path)) == int(orps()["4203"]["pocet_obci"])


def test_kraj_scope(tmp_path):
    path = build_template("sluzby", tmp_path / "kraj.xlsx", scope=territory(kraj="CZ042"))
    values = _obce_list(path)
    assert len(values) == sum(1 for m in municipalities().values() if m.kraj == "CZ042")
    assert {"Chomutov", "Kadaň", "Litoměřice"} <= set(values)


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--orp", "9999"], "9999"),
        (["--obec", "999999"], "999999"),
        (["--kraj", "CZ999"], "CZ999"),
        (["--obec", "563099", "--orp", "4205"], "563099"),  # Jirkov is not in ORP Litoměřice
    ],
)
def test_unknown_territory_is_a_clear_cli_error(tmp_path, args, needle):
    out = tmp_path / "x.xlsx"
    res = CliRunner().invoke(cli, ["template", "sluzby", *args, "-o", str(out)])
    assert res.exit_code == 2, res.output
    assert needle in res.output and ("neznámý kód" in res.output or "neleží v území ORP Litoměřice" in res.output)
    assert "Traceback" not in res.output
    assert not out.exists()


def test_cli_refuses_non_xlsx(tmp_path):
    res = CliRunner().invoke(cli, ["template", "plan", "-o", str(tmp_path / "x.ods")])
    assert res.exit_code == 2 and ".xlsx" in res.output


# --- input rules ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_numeric_and_date_validations_with_czech_messages(tpl_blank, kind):
    t = get_template(kind)
    wb = _open(tpl_blank[kind])
    seen = set()
    for sheet in t.data_sheets:
        dvs = _validations(wb[sheet.name])
        for i, f in enumerate(sheet.fields):
            dv = dvs.get(_field_cell(sheet, i))
            if f.type in ("integer", "decimal", "money", "date"):
                assert dv is not None, f"{f.label}: no validation"
                assert dv.type == {"integer": "whole", "date": "date"}.get(f.type, "decimal"), f.label
                assert dv.operator in (None, "between")  # between is the OOXML default
                if f.min is not None:
                    assert float(dv.formula1) == f.min, f.label
                if f.max is not None:
                    assert float(dv.formula2) == f.max, f.label
                if f.type == "date":
                    assert int(dv.formula1) == 36526  # 1. 1. 2000
                seen.add(f.type)
            if dv is None:
                continue
            # Czech texts, from the spec
            assert dv.showErrorMessage and dv.showInputMessage, f.label
            assert dv.errorTitle == "Neplatná hodnota"
            assert dv.error.startswith(f"{f.label}: očekává se "), dv.error
            assert dv.promptTitle == f.label[:32]
            assert dv.prompt == (f.help[:255] if f.help else dv.prompt)
    assert {"integer", "money"} <= seen or kind != "sluzby"
    assert "date" in seen


def test_identifier_length_rule(tpl_blank):
    sheet = get_template("sluzby").sheet("sluzby")
    dvs = _validations(_open(tpl_blank["sluzby"])[sheet.name])
    dv = dvs[_field_cell(sheet, [f.key for f in sheet.fields].index("identifikator"))]
    assert (dv.type, dv.operator, dv.formula1) == ("textLength", "equal", str(sheet.field("identifikator").digits))


# --- formats, tables, panes, comments ----------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_number_formats(tpl_blank, kind):
    t = get_template(kind)
    wb = _open(tpl_blank[kind])
    n_money = 0
    for sheet in t.data_sheets:
        ws = wb[sheet.name]
        for i, f in enumerate(sheet.fields):
            if sheet.layout == "table":
                style = _column_style(ws, i + 1)
                fmt, locked = style.number_format, style.protection.locked
            else:
                cell = ws[_field_cell(sheet, i)]
                fmt, locked = cell.number_format, cell.protection.locked
            assert fmt == (num_format(f) or "General"), f.label
            assert locked is False, f"{f.label}: input cells must stay editable on the protected sheet"
            if f.type == "money":
                assert fmt == MONEY_FORMAT
                n_money += 1
    assert n_money >= {"sluzby": 7, "plan": 3}.get(kind, 0)  # the network (sit) has no amounts
    # spaces only inside quotes: a Czech LibreOffice reads "0 " as a thousands scaler
    for typ, fmt in {**NUM_FORMATS, "year": YEAR_FORMAT}.items():
        if fmt:
            assert not re.search(r'[0#]\s', re.sub(r'"[^"]*"', "", fmt)), (typ, fmt)


def test_years_have_no_thousands_separator(tpl_orp_chomutov):
    """Rok 2026 must not print as "2 026" (or "2,026")."""
    ident = get_template("sluzby").sheet("identifikace")
    ws = _open(tpl_orp_chomutov["sluzby"])[ident.name]
    cell = ws[_field_cell(ident, [f.key for f in ident.fields].index("rok"))]
    assert cell.value == 2026 and cell.number_format == YEAR_FORMAT == "0"
    plan = get_template("plan").sheet("plan")
    assert num_format(plan.field("prevzato_z_roku")) == YEAR_FORMAT
    assert num_format(get_template("sluzby").sheet("sluzby").field("kapacita")) == NUM_FORMATS["integer"]


@pytest.mark.parametrize("kind", KINDS)
def test_tables_frozen_headers_comments(tpl_blank, kind):
    t = get_template(kind)
    wb = _open(tpl_blank[kind])
    for sheet in t.data_sheets:
        ws = wb[sheet.name]
        assert ws.freeze_panes == "A2", sheet.name
        assert ws.protection.sheet, sheet.name
        if sheet.layout != "table":
            continue
        assert list(ws.tables) == [sheet.table]
        table = ws.tables[sheet.table]
        last = get_column_letter(len(sheet.fields))
        assert table.ref == f"A1:{last}{sheet.rows + 1}"
        assert [c.name for c in table.tableColumns] == sheet.labels
        assert table.autoFilter is not None
        assert ws.print_title_rows.replace("$", "") == "1:1"
        for i, f in enumerate(sheet.fields, start=1):
            comment = ws.cell(row=1, column=i).comment
            assert comment is not None, f.label
            assert comment.text.startswith(f.label + "\n")
            assert f.help in comment.text


# --- the spec is the only place labels live -------------------------------------------------------

#: A line that shares a label's wording for a different concept may say so explicitly.
_LABEL_OK = "noqa: spec-label"


def _string_literals(path: Path):
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    for node in ast.walk(ast.parse(source, filename=str(path))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if _LABEL_OK in lines[node.lineno - 1]:
                continue
            yield node.lineno, node.value


def test_labels_only_in_spec():
    """No string literal in the package equals a spec label.  Single-word labels
    ("ORP", "Rok", "Stav", "Kapacita") are ordinary Czech words used for other things
    too, so the check covers the distinctive multi-word labels ("Identifikátor služby",
    "Datum vyplnění", "Náklady celkem (Kč)", …)."""
    labels = {
        f.label for t in load_spec().templates.values() for s in t.sheets for f in s.fields if " " in f.label.strip()
    }
    assert {"Identifikátor služby", "Datum vyplnění", "Převzato z roku", "Náklady celkem (Kč)"} <= labels
    found = []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        for lineno, text in _string_literals(path):
            if text in labels:
                found.append(f"{path.relative_to(REPO)}:{lineno}: {text!r}")
    assert not found, (
        "Field labels are retyped in the package source; take them from the spec, e.g. "
        "xlkpss.spec.get_template(kind).sheet(key).field(key).label (or mark a line whose "
        f"text only shares the wording with '# {_LABEL_OK}'):\n" + "\n".join(found)
    )


# --- determinism, freshness, warnings ---------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_same_inputs_same_bytes(tmp_path, kind):
    scope = territory(orp="4203")
    a = build_template(kind, tmp_path / "a.xlsx", year=2026, scope=scope, prefill={"zpracoval": "Kateřina Pecháčková"})
    b = build_template(kind, tmp_path / "b.xlsx", year=2026, scope=scope, prefill={"zpracoval": "Kateřina Pecháčková"})
    assert a.read_bytes() == b.read_bytes()
    c = build_template(kind, tmp_path / "c.xlsx", year=2027, scope=scope)
    assert c.read_bytes() != a.read_bytes()


def test_committed_templates_are_fresh():
    stale = stale_templates(DEFAULT_DIR)
    assert not stale, f"stale templates {[p.name for p in stale]}: run `python -m xlkpss.template.refresh`"
    assert sorted(p.name for p in DEFAULT_DIR.glob("*.xlsx")) == sorted(get_template(k).filename for k in KINDS)


def test_refresh_writes_spec_filenames(tmp_path):
    paths = write_templates(tmp_path)
    assert [p.name for p in paths] == [get_template(k).filename for k in KINDS]
    assert [p.read_bytes() for p in paths] == [(DEFAULT_DIR / p.name).read_bytes() for p in paths]


def test_refresh_check_cli(tmp_path):
    from xlkpss.template.refresh import main

    assert main(["--out", str(tmp_path), "--check"]) == 1  # nothing there yet
    assert main(["--out", str(tmp_path)]) == 0
    assert main(["--out", str(tmp_path), "--check"]) == 0


SCOPES = [None, {"kraj": "CZ020"}, {"kraj": "CZ042"}, {"orp": "4203"}, {"obec": "563013"}, {"orp": "1000"}]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("scope", SCOPES, ids=lambda s: "stat" if s is None else "-".join(s.values()))
def test_xlsxwriter_warnings_are_errors(tmp_path, kind, scope):
    """xlsxwriter only *warns* on some Excel limits (255-char inline lists, long strings);
    any warning while building a template fails the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        build_template(kind, tmp_path / "t.xlsx", year=2026, scope=territory(**scope) if scope else None)


def test_warning_filter_catches_xlsxwriter_warnings(tmp_path):
    """The guard above works: xlsxwriter reports a limit as a warning, which becomes an error."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(tmp_path / "w.xlsx"))
    ws = wb.add_worksheet()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(Warning):
            ws.data_validation(0, 0, 0, 0, {"validate": "list", "source": ["x" * 200, "y" * 200]})
    wb.close()


# --- samples/ are real, fresh templates --------------------------------------------------------------

SAMPLES = REPO / "samples"


def _make_samples_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_samples", REPO / "scripts" / "make_samples.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("make_samples", module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_samples_are_fresh():
    """samples/ is what scripts/make_samples.py writes today (byte for byte)."""
    assert _make_samples_module().main(["--out", str(SAMPLES), "--check"]) == 0, "run: python scripts/make_samples.py"


def test_samples_are_filled_templates():
    workbooks = [p for p in sorted(SAMPLES.glob("orp_*/*.xlsx"))]
    assert len(workbooks) >= 15
    for path in workbooks:
        wb = openpyxl.load_workbook(path)
        meta = {r[0]: r[1] for r in wb[META_SHEET].iter_rows(values_only=True)}
        t = get_template(meta["kind"])
        assert (meta["version"], meta["fingerprint"]) == (str(t.version), t.fingerprint), path.name
        assert wb[LISTS_SHEET].sheet_state == "hidden" and wb[META_SHEET].sheet_state == "hidden"
        assert wb.properties.modified.year == 2026, path.name
        main = t.table_sheets[0]
        assert wb[main.name].cell(row=2, column=1).value is not None, f"{path.name}: no rows"
    orp_dirs = {p.parent.name for p in workbooks}
    assert orp_dirs == {"orp_4203_chomutov", "orp_4204_kadan"}


def test_invalid_samples_expected_json():
    from xlkpss.i18n import ISSUES

    expected = json.loads((SAMPLES / "invalid" / "EXPECTED.json").read_text(encoding="utf-8"))
    files = sorted(p.name for p in (SAMPLES / "invalid").iterdir() if p.suffix == ".xlsx")
    assert sorted(expected) == files
    for name, issues in expected.items():
        # exactly one known mistake per file; the ",- Kč" amount is accepted (normalised)
        assert len(issues) == (0 if "prijato" in name else 1), name
        for issue in issues:
            assert set(issue) == {"code", "severity", "sheet", "cell"}
            assert issue["severity"] == ISSUES[issue["code"]].severity, name
            if issue["cell"]:
                assert re.fullmatch(r"[A-Z]{1,2}\d+", issue["cell"])
    assert (SAMPLES / "invalid" / "prazdny_soubor.xlsx").stat().st_size == 0


def test_valid_samples_pass_validation():
    from xlkpss.validate.engine import validate_paths

    results = validate_paths([SAMPLES / "orp_4203_chomutov", SAMPLES / "orp_4204_kadan"], workers=1)
    assert len(results) >= 15
    problems = [(r.path.name, i.code, i.sheet, i.cell) for r in results for i in r.issues]
    assert not problems
