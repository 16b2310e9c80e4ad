"""Validation end to end: generated template → filled → validated, issue by issue."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from support import GOOD_PLAN_ROWS, GOOD_SERVICE, cell_of, make_submission, set_cached_error

from xlkpss.cli import main
from xlkpss.i18n import ISSUES
from xlkpss.spec import get_template
from xlkpss.validate.engine import validate_paths

SVC = "Služby"


def _issues(res):
    return sorted((i.code, i.severity, i.sheet, i.cell) for i in res.issues)


def _one(path, **kw):
    [res] = validate_paths([path], workers=1, **kw)
    return res


def test_valid_services_file(tmp_path):
    second = {**GOOD_SERVICE, "identifikator": "7654321", "druh": "Pečovatelská služba", "forma": "terénní", "typ_kapacity": "klienti", "kapacita": 60}
    res = _one(make_submission(tmp_path / "ok.xlsx", rows=[GOOD_SERVICE, second]))
    assert res.issues == []
    assert res.valid and not res.rejected
    df = res.frames["sluzby"]
    assert list(df["druh"]) == ["13", "4"]
    assert list(df["kapacita"]) == [120, 60]
    assert res.ident["kod_orp"] == "4203" and res.ident["kod_obce"] == "563099"


@pytest.mark.parametrize(
    "change, code, field, severity",
    [
        ({"kapacita": "cca 20"}, "not-an-integer", "kapacita", "error"),
        ({"naklady": "hodně"}, "not-a-number", "naklady", "error"),
        ({"nazev_sluzby": None}, "required", "nazev_sluzby", "error"),
        ({"druh": "Domov seniorů XY"}, "unknown-code", "druh", "error"),
        ({"ico_poskytovatele": "00075656"}, "invalid-ico", "ico_poskytovatele", "error"),
        ({"identifikator": "12345"}, "invalid-service-id", "identifikator", "error"),
        ({"identifikator": None}, "identifier-required", "identifikator", "error"),
        ({"forma": "terénní", "typ_kapacity": "klienti"}, "form-not-allowed", "forma", "error"),
        ({"kapacita": -3}, "below-minimum", "kapacita", "error"),
        ({"obec": "Žatec"}, "outside-territory", "obec", "error"),
        ({"cilova_skupina_1": None}, "group-missing", "cilova_skupina_1", "error"),
        ({"naklady": 1000}, "funding-exceeds-costs", "naklady", "warning"),
    ],
)
def test_each_mistake_is_reported_at_its_cell(tmp_path, change, code, field, severity):
    res = _one(make_submission(tmp_path / "f.xlsx", rows=[{**GOOD_SERVICE, **change}]))
    assert _issues(res) == [(code, severity, SVC, cell_of("sluzby", "sluzby", field, 2))]
    issue = res.issues[0]
    assert issue.column == get_template("sluzby").sheet("sluzby").field(field).label
    message = issue.message()
    assert SVC in message and issue.cell in message and issue.column in message


def test_beds_only_for_residential(tmp_path):
    row = {**GOOD_SERVICE, "druh": "Pečovatelská služba", "forma": "terénní", "typ_kapacity": "lůžka"}
    res = _one(make_submission(tmp_path / "f.xlsx", rows=[row]))
    assert _issues(res) == [("beds-not-residential", "error", SVC, cell_of("sluzby", "sluzby", "typ_kapacity", 2))]


def test_suggestion_for_unknown_code(tmp_path):
    res = _one(make_submission(tmp_path / "f.xlsx", rows=[{**GOOD_SERVICE, "druh": "Domov seniorů"}]))
    assert "§49 Domovy pro seniory" in res.issues[0].message()


def test_czech_text_numbers_are_accepted(tmp_path):
    row = {**GOOD_SERVICE, "naklady": "48 500 000,- Kč", "uvazky": "48,5", "kapacita": " 120 "}
    res = _one(make_submission(tmp_path / "f.xlsx", rows=[row]))
    assert res.issues == []
    assert res.frames["sluzby"]["naklady"].iloc[0] == 48_500_000


def test_duplicate_identifier_and_form(tmp_path):
    res = _one(make_submission(tmp_path / "f.xlsx", rows=[GOOD_SERVICE, GOOD_SERVICE]))
    assert _issues(res) == [("duplicate-row", "error", SVC, cell_of("sluzby", "sluzby", "identifikator", 3))]
    assert "řádku 2" in res.issues[0].message()


def test_explained_warning(tmp_path):
    row = {**GOOD_SERVICE, "naklady": 1000, "poznamka": "Zbytek dotace vrácen v lednu."}
    res = _one(make_submission(tmp_path / "f.xlsx", rows=[row]))
    [issue] = res.issues
    assert issue.code == "funding-exceeds-costs" and issue.explained
    assert res.valid
    assert json.loads(json.dumps(issue.to_dict()))["explained"] is True


def test_rows_with_errors_are_excluded_but_counted(tmp_path):
    bad = {**GOOD_SERVICE, "identifikator": "7654321", "kapacita": "cca 20"}
    res = _one(make_submission(tmp_path / "f.xlsx", rows=[GOOD_SERVICE, bad]))
    assert res.rows == 2 and res.rows_excluded() == 1
    assert list(res.frames["sluzby"]["_excluded"]) == [False, True]


def test_blank_rows_are_ignored(tmp_path):
    path = make_submission(tmp_path / "f.xlsx", rows=[GOOD_SERVICE])
    wb = openpyxl.load_workbook(path)
    ws = wb[SVC]
    keys = [f.key for f in get_template("sluzby").sheet("sluzby").fields]
    for k, v in {**GOOD_SERVICE, "identifikator": "7654321"}.items():
        ws.cell(7, keys.index(k) + 1, v)  # rows 3–6 blank
    wb.save(path)
    res = _one(path)
    assert res.issues == [] and list(res.frames["sluzby"]["_row"]) == [2, 7]


@pytest.mark.parametrize("engine", ["calamine", "openpyxl"])
def test_formula_error_cell(tmp_path, engine):
    path = make_submission(tmp_path / "f.xlsx", rows=[GOOD_SERVICE])
    cell = cell_of("sluzby", "sluzby", "kapacita", 2)
    set_cached_error(path, cell, "#REF!*2", "#REF!")
    res = _one(path, engine=engine)
    assert _issues(res) == [("formula-error", "error", SVC, cell)]
    assert "#REF!" in res.issues[0].message()


def test_identification_errors_reject_file(tmp_path):
    res = _one(make_submission(tmp_path / "f.xlsx", rows=[GOOD_SERVICE], ident={"kod_obce": "562971", "kod_orp": "Kadaň"}))
    assert ("outside-territory", "error", "Identifikace", "B3") in _issues(res)
    assert res.rejected


def test_year_mismatch(tmp_path):
    res = _one(make_submission(tmp_path / "f.xlsx", rows=[GOOD_SERVICE], ident={"rok": 2025}), expected_year=2026)
    assert [i.code for i in res.issues] == ["year-mismatch"]


def test_renamed_sheet_and_reordered_columns_are_found_by_labels(tmp_path):
    path = make_submission(tmp_path / "f.xlsx", rows=[GOOD_SERVICE])
    src = openpyxl.load_workbook(path)
    t = get_template("sluzby")
    # paste the data into a brand-new workbook: no metadata sheet, other names, other column order
    wb = openpyxl.Workbook()
    ident = wb.active
    ident.title = "List1"
    for row in src["Identifikace"].iter_rows(values_only=True):
        ident.append(row)
    svc = wb.create_sheet("moje data")
    rows = list(src[SVC].iter_rows(values_only=True))
    order = list(reversed(range(len(rows[0]))))
    svc.append(["Tabulka služeb 2026"])  # a title row above the header
    for row in rows[:2]:
        svc.append([row[i] for i in order])
    wb.save(path)
    res = _one(path)
    codes = [(i.code, i.severity) for i in res.issues]
    assert ("template-recognised-by-labels", "warning") in codes
    assert ("sheet-renamed", "warning") in codes
    assert res.valid, res.issues
    assert res.kind == "sluzby" and res.frames["sluzby"]["kapacita"].iloc[0] == 120
    assert res.frames["sluzby"]["_row"].iloc[0] == 3
    del t


def test_newer_template_version_is_refused(tmp_path):
    path = make_submission(tmp_path / "f.xlsx", rows=[GOOD_SERVICE])
    wb = openpyxl.load_workbook(path)
    ws = wb["_xlkpss"]
    for row in ws.iter_rows():
        if row[0].value == "version":
            row[1].value = "99"
    wb.save(path)
    res = _one(path)
    assert [i.code for i in res.issues] == ["template-version-new"] and res.rejected


def test_not_our_template(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["Jméno", "Příjmení"])
    wb.active.append(["Jan", "Novák"])
    wb.save(tmp_path / "cizi.xlsx")
    res = _one(tmp_path / "cizi.xlsx")
    assert [i.code for i in res.issues] == ["not-our-template"] and res.rejected


def test_plan_tree_checks(tmp_path):
    rows = GOOD_PLAN_ROWS + [
        {"cislo": "3.1.1", "uroven": "aktivita", "nazev": "bez rodiče"},
        {"cislo": "1.2", "uroven": "priorita", "nazev": "špatná úroveň"},
        {"cislo": "1.1.", "uroven": "aktivita", "nazev": "tečka na konci"},
        {"cislo": "1.1.2", "uroven": "aktivita", "nazev": "duplicita"},
        {"cislo": "1.1.3", "uroven": "aktivita", "nazev": "přečerpáno", "rozpocet": 100, "cerpano": 200},
        {"cislo": "1.1.4", "uroven": "aktivita", "nazev": "splněno bez hodnoty", "indikator": "počet", "stav": "splněno"},
    ]
    res = _one(make_submission(tmp_path / "plan.xlsx", "plan", rows))
    c = lambda f, r: cell_of("plan", "plan", f, r)
    assert _issues(res) == sorted(
        [
            ("plan-parent-missing", "error", "Plán", c("cislo", 6)),
            ("plan-level-depth", "error", "Plán", c("uroven", 7)),
            ("pattern-mismatch", "error", "Plán", c("cislo", 8)),
            ("duplicate-row", "error", "Plán", c("cislo", 9)),
            ("plan-overspent", "warning", "Plán", c("cerpano", 10)),
            ("plan-done-no-value", "warning", "Plán", c("dosazena_hodnota", 11)),
        ]
    )


def test_bad_files_do_not_stop_the_batch(tmp_path):
    good = make_submission(tmp_path / "dobry.xlsx", rows=[GOOD_SERVICE])
    (tmp_path / "prazdny.xlsx").write_bytes(b"")
    (tmp_path / "text.xlsx").write_text("tohle není tabulka", encoding="utf-8")
    (tmp_path / "useknuty.xlsx").write_bytes(good.read_bytes()[:3000])
    results = {r.path.name: r for r in validate_paths([tmp_path], workers=2)}
    assert results["dobry.xlsx"].valid
    assert [i.code for i in results["prazdny.xlsx"].issues] == ["file-empty"]
    assert [i.code for i in results["text.xlsx"].issues] == ["file-not-spreadsheet"]
    assert [i.code for i in results["useknuty.xlsx"].issues] == ["file-corrupt"]


def test_both_engines_agree(tmp_path):
    rows = [GOOD_SERVICE, {**GOOD_SERVICE, "identifikator": "7654321", "kapacita": "cca 20", "druh": "Domov seniorů"}]
    path = make_submission(tmp_path / "f.xlsx", rows=rows)
    a = _one(path, engine="calamine")
    b = _one(path, engine="openpyxl")
    assert _issues(a) == _issues(b)
    assert a.frames["sluzby"].equals(b.frames["sluzby"])


def test_every_issue_code_has_both_languages():
    for it in ISSUES.values():
        assert it.cs and it.en and it.severity in ("error", "warning")


# --- CLI ------------------------------------------------------------------------------


def test_cli_exit_codes_and_formats(tmp_path):
    good = make_submission(tmp_path / "ok" / "dobry.xlsx", rows=[GOOD_SERVICE])
    bad = make_submission(tmp_path / "bad" / "spatny.xlsx", rows=[{**GOOD_SERVICE, "kapacita": "cca 20"}])
    runner = CliRunner()
    ok = runner.invoke(main, ["validate", str(good)])
    assert ok.exit_code == 0, ok.output
    res = runner.invoke(main, ["validate", str(good), str(bad), "--format", "json"])
    assert res.exit_code == 1
    report = json.loads(res.output)
    assert report["valid"] is False
    [f_ok, f_bad] = report["files"]
    assert f_ok["valid"] and not f_bad["valid"]
    assert set(f_bad["issues"][0]) >= {"code", "severity", "sheet", "cell", "row", "column", "value", "message"}
    assert f_bad["issues"][0]["cell"] == cell_of("sluzby", "sluzby", "kapacita", 2)
    text = runner.invoke(main, ["validate", str(tmp_path)])
    assert "cca 20" in text.output and "Kapacita" in text.output and text.exit_code == 1
    en = runner.invoke(main, ["validate", str(bad), "--lang", "en"])
    assert "is not a whole number" in en.output
    csv_out = runner.invoke(main, ["validate", str(bad), "--format", "csv"])
    assert csv_out.output.splitlines()[0].startswith("\ufefffile;sheet;cell")
    assert runner.invoke(main, ["validate", str(tmp_path / "nic")]).exit_code == 2
    quiet = runner.invoke(main, ["validate", str(bad), "--quiet"]).output
    assert "cca 20" in quiet and "souborů" not in quiet  # the error, no totals


def test_annotated_copy(tmp_path):
    bad = make_submission(tmp_path / "spatny.xlsx", rows=[{**GOOD_SERVICE, "kapacita": "cca 20"}])
    before = hashlib.sha256(bad.read_bytes()).hexdigest()
    out = tmp_path / "vraceno"
    res = CliRunner().invoke(main, ["validate", str(bad), "--annotate", str(out), "--quiet"])
    assert res.exit_code == 1
    assert hashlib.sha256(bad.read_bytes()).hexdigest() == before  # original untouched
    wb = openpyxl.load_workbook(out / "spatny_kontrola.xlsx")
    assert wb.sheetnames[0] == "Kontrola"
    cell = wb[SVC][cell_of("sluzby", "sluzby", "kapacita", 2)]
    assert "cca 20" in cell.comment.text
    assert cell.fill.fgColor.rgb.endswith("FFC7CE")
    link = wb["Kontrola"]["B6"]
    assert link.hyperlink.location is None or link.hyperlink is not None
    # dropdowns of the copy keep working
    assert any(dv.type == "list" for dv in wb[SVC].data_validations.dataValidation)


SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def test_invalid_samples_give_exactly_their_issues():
    """Every file in samples/invalid/ gets exactly the issues it was made with."""
    expected = json.loads((SAMPLES / "invalid" / "EXPECTED.json").read_text(encoding="utf-8"))
    results = {r.path.name: r for r in validate_paths([SAMPLES / "invalid"])}
    assert sorted(results) == sorted(expected)
    for name, issues in expected.items():
        got = sorted((i.code, i.severity, i.sheet, i.cell) for i in results[name].issues)
        want = sorted((i["code"], i["severity"], i["sheet"], i["cell"]) for i in issues)
        assert got == want, name


def test_the_command_does_not_import_unused_optional_libraries():
    """pandera imports hypothesis whenever it is installed (it is here: the test extra);
    the ``xlkpss`` command blocks it, 0.15 s of every run."""
    import subprocess
    import sys
    from pathlib import Path

    sample = sorted((Path(__file__).resolve().parents[1] / "samples" / "orp_4203_chomutov").glob("*.xlsx"))[0]
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "xlkpss", "validate", "-q", str(sample)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    assert "pandera" in proc.stderr  # the import log is there
    # a blocked import leaves one line for the attempt (``hypothesis.strategies``, a few
    # µs); a real one lists the package itself and its many modules
    imported = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}
    assert "hypothesis" not in imported and "hypothesis.core" not in imported
