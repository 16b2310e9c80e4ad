"""Trust in the real workflow (issue 13): no valid row lost to a side mistake, no wrong
workbook with exit code 0, one number per fact.

Every case under "What was seen" is reproduced here on the bundled samples (copied to a
temporary folder and changed the way a clerk or a coordinator would) and the new
behaviour is asserted: effects of issues, statuses, guards, resubmissions, plan figures,
"bez služby" vs "bez podkladů".
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from xlkpss.cli import main
from xlkpss.spec import get_template
from xlkpss.validate.engine import validate_paths
from xlkpss.validate.report import to_dict, to_text

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
CHOMUTOV = SAMPLES / "orp_4203_chomutov"
UDLICE_LIKE = "obec_563099_jirkov_sluzby_2026.xlsx"  # an obec file of ORP Chomutov with services


def copy_samples(dest: Path, folder: Path = CHOMUTOV) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for p in sorted(folder.glob("*.xlsx")):
        shutil.copy2(p, dest / p.name)
    return dest


def set_ident(path: Path, **values: Any) -> Path:
    """Change Identifikace values (by field key) in a filled file, as a clerk would."""
    kind = "plan" if "plan" in path.name else "sluzby"
    spec = get_template(kind).sheet("identifikace")
    wb = openpyxl.load_workbook(path)
    ws = wb[spec.name]
    labels = {f.label: f.key for f in spec.fields}
    for r in range(1, ws.max_row + 1):
        key = labels.get(str(ws.cell(r, 1).value or "").strip())
        if key in values:
            ws.cell(r, 2, values[key])
    wb.save(path)
    return path


def services_rows(path: Path) -> int:
    [res] = validate_paths([path], workers=1)
    return res.rows


# ---------------------------------------------------------------------------
# 1. which errors reject a file
# ---------------------------------------------------------------------------


def test_contact_typos_keep_the_rows_and_say_effect_none(tmp_path):
    """Seen: a typo in the e-mail and telephone on Identifikace rejected the whole file."""
    f = shutil.copy2(CHOMUTOV / UDLICE_LIKE, tmp_path / UDLICE_LIKE)
    set_ident(Path(f), email="jana.novakova@udlice", telefon="474 12")
    [res] = validate_paths([f], workers=1)
    codes = {i.code: i for i in res.errors}
    assert {"invalid-email", "invalid-phone"} <= set(codes)
    assert all(i.effect == "none" for i in res.errors), [(i.code, i.effect) for i in res.errors]
    assert not res.rejected
    assert res.rows_excluded() == 0 and res.rows > 0
    report = to_dict([res])
    issues = report["files"][0]["issues"]
    assert {i["code"]: i["effect"] for i in issues}["invalid-email"] == "none"
    text = to_text([res])
    assert "vyřadí celý soubor" not in text


@pytest.mark.parametrize(
    ("field", "value"),
    [("kod_obce", "999999"), ("rok", "dvacet"), ("kod_orp", "Praha 99"), ("typ_predkladatele", "spolek")],
)
def test_identifying_field_errors_reject_the_file_and_say_so(tmp_path, field, value):
    f = Path(shutil.copy2(CHOMUTOV / UDLICE_LIKE, tmp_path / UDLICE_LIKE))
    set_ident(f, **{field: value})
    [res] = validate_paths([f], workers=1)
    assert res.rejected
    file_errors = [i for i in res.errors if i.effect == "file"]
    assert file_errors, [(i.code, i.field_key, i.effect) for i in res.errors]
    assert "tato chyba vyřadí celý soubor" in to_text([res])
    assert to_dict([res])["files"][0]["issues"][0]["effect"] in ("file", "none")
    assert "file" in {i["effect"] for i in to_dict([res])["files"][0]["issues"]}


def test_row_errors_say_they_exclude_the_row_and_read_problems_the_file():
    results = validate_paths(
        [SAMPLES / "invalid" / "kapacita_text_cca_20.xlsx", SAMPLES / "invalid" / "prazdny_soubor.xlsx"], workers=1
    )
    by = {r.path.name: r for r in results}
    [cap] = by["kapacita_text_cca_20.xlsx"].errors
    assert cap.effect == "row"
    [empty] = by["prazdny_soubor.xlsx"].errors
    assert empty.effect == "file"
    text = to_text(results)
    assert "cca 20" in text and "– vyřadí řádek" in text
    assert "– tato chyba vyřadí celý soubor" in text
    data = json.loads(json.dumps(to_dict(results)))
    assert all(i["effect"] in ("file", "row", "none") for f in data["files"] for i in f["issues"])


def test_warnings_have_no_effect():
    [res] = validate_paths([SAMPLES / "invalid" / "prejmenovany_list_identifikace.xlsx"], workers=1)
    assert res.warnings and all(i.effect == "none" for i in res.warnings)


def test_the_spec_says_which_identification_fields_identify():
    spec = get_template("sluzby").sheet("identifikace")
    identifying = {f.key for f in spec.fields if f.identifies}
    assert identifying == {"typ_predkladatele", "kod_obce", "ico", "kod_orp", "kod_kraje", "rok"}
    assert not any(f.identifies for f in get_template("sluzby").sheet("sluzby").fields)


def merge_cli(inputs: list[Path], out: Path, *args: str):
    return CliRunner().invoke(main, ["merge", *map(str, inputs), "-o", str(out), "--quiet", *args])


def submissions_by_file(out: Path) -> dict[str, dict[str, Any]]:
    from xlkpss.merge.workbook import read_consolidated

    c = read_consolidated(out)
    return {s["file"]: s for s in c.table("submissions").to_dict("records") if s.get("file")}


def test_contact_typo_file_is_merged_with_its_rows(tmp_path):
    base = tmp_path / "base.xlsx"
    assert merge_cli([CHOMUTOV], base, "--orp", "4203").exit_code == 0
    d = copy_samples(tmp_path / "in")
    set_ident(d / UDLICE_LIKE, email="jana.novakova@udlice", telefon="474 12")
    out = tmp_path / "souhrn.xlsx"
    r = merge_cli([d], out, "--orp", "4203")
    assert r.exit_code == 0, r.output
    before, after = submissions_by_file(base)[UDLICE_LIKE], submissions_by_file(out)[UDLICE_LIKE]
    assert after["rows_merged"] == before["rows_merged"] > 0
    assert after["rows_read"] == after["rows_merged"] + after["rows_excluded"] == services_rows(d / UDLICE_LIKE)
    from xlkpss.merge.workbook import read_consolidated

    errors = read_consolidated(out).table("errors").to_dict("records")
    mine = [e for e in errors if e["src_file"] == UDLICE_LIKE]
    assert {e["code"] for e in mine} >= {"invalid-email", "invalid-phone"}


# ---------------------------------------------------------------------------
# 2. statuses that mean one thing, the same counts everywhere
# ---------------------------------------------------------------------------

JIRKOV_PLAN = "plan_jirkov_2026.xlsx"
CHOMUTOV_SERVICES = "obec_562971_chomutov_sluzby_2026.xlsx"


def spoil_rows(path: Path, sheet_key: str, field_key: str, value: Any, n: int) -> list[int]:
    """Type ``value`` into ``field_key`` of the first ``n`` data rows; their Excel rows."""
    kind = "plan" if "plan" in path.name else "sluzby"
    spec = get_template(kind).sheet(sheet_key)
    wb = openpyxl.load_workbook(path)
    ws = wb[spec.name]
    col = next(c for c in range(1, ws.max_column + 1) if ws.cell(1, c).value == spec.field(field_key).label)
    rows = [r for r in range(2, ws.max_row + 1) if any(ws.cell(r, c).value not in (None, "") for c in range(1, 6))][:n]
    assert len(rows) == n
    for r in rows:
        ws.cell(r, col, value)
    wb.save(path)
    return rows


@pytest.fixture(scope="module")
def statuses_run(tmp_path_factory):
    """ORP Chomutov as a coordinator gets it: Jirkov's services file is rejected (a wrong
    year typed as text) but its plan is fine; Chomutov's services have 4 bad rows; Březno
    mistyped its e-mail."""
    tmp = tmp_path_factory.mktemp("statuses")
    d = copy_samples(tmp / "in")
    set_ident(d / UDLICE_LIKE, rok="dvacet šest")
    spoil_rows(d / CHOMUTOV_SERVICES, "sluzby", "kapacita", "cca 20", 4)
    set_ident(d / "obec_563013_brezno_sluzby_2026.xlsx", email="starosta@brezno")
    out = tmp / "souhrn.xlsx"
    html = tmp / "souhrn.html"
    r = CliRunner().invoke(main, ["merge", str(d), "--orp", "4203", "--year", "2026", "-o", str(out), "--html", str(html)])
    assert r.exit_code == 0, r.output
    from xlkpss.merge.workbook import read_consolidated

    return {"dir": d, "out": out, "html": html, "cli": r.output, "c": read_consolidated(out)}


def test_statuses_per_submitter_and_kind(statuses_run):
    subs = statuses_run["c"].table("submissions").to_dict("records")
    by_file = {s["file"]: s for s in subs if s.get("file")}
    assert by_file[UDLICE_LIKE]["status"] == "rejected"
    assert by_file[JIRKOV_PLAN]["status"] in ("valid", "warnings")
    chomutov = by_file[CHOMUTOV_SERVICES]
    assert chomutov["status"] == "errors" and chomutov["errors"] == 4
    assert chomutov["rows_excluded"] >= 4
    assert by_file["obec_563013_brezno_sluzby_2026.xlsx"]["status"] == "errors"
    brezno = by_file["obec_563013_brezno_sluzby_2026.xlsx"]
    dupes = [
        e
        for e in statuses_run["c"].table("errors").to_dict("records")
        if e["src_file"] == brezno["file"] and e["code"] == "duplicate-service"
    ]
    assert brezno["rows_merged"] > 0 and brezno["rows_excluded"] == len(dupes)  # the e-mail excluded nothing
    # Jirkov: one line per kind — services rejected, plan accepted; it has not delivered
    jirkov = [s for s in subs if s.get("territory_code") == "563099"]
    assert {(s["kind"], s["status"]) for s in jirkov} >= {("služby", "rejected")}
    assert "Jirkov" not in _html_list(statuses_run["html"], "služby")
    assert "Jirkov" in _html_list(statuses_run["html"], "plán")


def _html_list(html: Path, kind: str) -> list[str]:
    import html5lib

    doc = html5lib.parse(html.read_text(encoding="utf-8"), namespaceHTMLElements=False)
    for ul in doc.iter("ul"):
        if ul.get("data-list") == "submitted" and ul.get("data-kind") == kind:
            return ["".join(li.itertext()).strip() for li in ul.iter("li")]
    return []


def _html_counts(html: Path) -> dict[str, int]:
    import html5lib

    doc = html5lib.parse(html.read_text(encoding="utf-8"), namespaceHTMLElements=False)
    out = {}
    for span in doc.iter("span"):
        fig = span.get("data-figure") or ""
        if fig.startswith("status-"):
            out[fig[len("status-") :]] = int("".join(span.itertext()).replace("\u00a0", "").replace(" ", ""))
    return out


def test_html_workbook_and_cli_give_the_same_status_counts(statuses_run):
    from xlkpss.merge.model import STATUS_LABELS

    c = statuses_run["c"]
    subs = c.table("submissions").to_dict("records")
    independent: dict[str, int] = {}
    for s in subs:
        independent[s["status"]] = independent.get(s["status"], 0) + 1
    assert independent["rejected"] == 1 and independent["errors"] == 2
    # Přehled
    overview = {r["metric"]: r for r in c.table("overview").to_dict("records")}
    book = {k.split(":", 1)[1]: int(r["value"]) for k, r in overview.items() if str(k).startswith("status:")}
    assert {k: v for k, v in book.items() if v} == independent
    # HTML
    html = _html_counts(statuses_run["html"])
    assert {k: v for k, v in html.items() if v} == independent
    # CLI: "odevzdání – služby: v pořádku 3, přijato s chybami 2, …" per kind
    cli: dict[str, int] = {}
    for line in statuses_run["cli"].splitlines():
        line = line.strip()
        if line.startswith("odevzdání – "):
            for part in line.split(":", 1)[1].split(","):
                label, n = part.strip().rsplit(" ", 1)
                key = next(k for k, v in STATUS_LABELS.items() if v == label)
                cli[key] = cli.get(key, 0) + int(n)
    assert cli == independent
    assert "odmítnuto 1" in statuses_run["cli"]
    # rows and completeness: one number in the CLI, Přehled and the HTML
    subs_rows = {k: sum(int(s[k] or 0) for s in subs if s.get("file")) for k in ("rows_read", "rows_merged", "rows_excluded")}
    assert {k: int(overview[k]["value"]) for k in subs_rows} == subs_rows
    assert (
        f"řádky: přečteno {subs_rows['rows_read']}, sloučeno {subs_rows['rows_merged']}, "
        f"vyřazeno {subs_rows['rows_excluded']}" in statuses_run["cli"]
    )
    pct = float(overview["completeness"]["value"])
    delivered = int(overview["delivered"]["value"])
    from xlkpss.i18n import format_number

    assert f"úplnost: {format_number(pct)} % ({delivered} z {int(overview['expected']['value'])}" in statuses_run["cli"]
    html_text = " ".join(statuses_run["html"].read_text(encoding="utf-8").split())
    assert f'data-figure="completeness">{format_number(pct)}\u00a0%' in html_text or (
        f'data-figure="completeness">{format_number(pct)} %' in html_text
    )


def test_rows_read_equal_merged_plus_excluded_for_every_file(statuses_run):
    for s in statuses_run["c"].table("submissions").to_dict("records"):
        if s.get("file"):
            assert s["rows_read"] == s["rows_merged"] + s["rows_excluded"], s
    for name in (CHOMUTOV_SERVICES, "obec_563013_brezno_sluzby_2026.xlsx", UDLICE_LIKE):
        s = next(x for x in statuses_run["c"].table("submissions").to_dict("records") if x.get("file") == name)
        assert s["rows_read"] == services_rows(statuses_run["dir"] / name) > 0


# ---------------------------------------------------------------------------
# 3. guards against workflow mistakes
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def folder_with_old_output(tmp_path_factory):
    """The input folder of ORP Chomutov with last run's workbook left in it."""
    tmp = tmp_path_factory.mktemp("guards")
    d = copy_samples(tmp / "dosle")
    old = tmp / "stary.xlsx"
    assert merge_cli([d], old, "--orp", "4203").exit_code == 0
    shutil.copy2(old, d / "souhrn_orp_4203_minuly_beh.xlsx")
    base = tmp / "base.xlsx"
    assert merge_cli([CHOMUTOV], base, "--orp", "4203").exit_code == 0
    return {"dir": d, "tmp": tmp, "base": base}


def test_old_workbook_without_orp_is_a_usage_error_listing_both_groups(folder_with_old_output):
    out = folder_with_old_output["tmp"] / "x.xlsx"
    r = merge_cli([folder_with_old_output["dir"]], out)
    assert r.exit_code == 2, r.output
    assert "vyplněné šablony (11 souborů)" in r.output
    assert "souhrnné sešity (1 soubor): souhrn_orp_4203_minuly_beh.xlsx" in r.output
    assert not out.exists()


def test_old_workbook_with_orp_is_left_out_with_a_line_and_the_rest_merged(folder_with_old_output):
    out = folder_with_old_output["tmp"] / "y.xlsx"
    r = merge_cli([folder_with_old_output["dir"]], out, "--orp", "4203")
    assert r.exit_code == 0, r.output
    assert "Vynechán soubor souhrn_orp_4203_minuly_beh.xlsx: dřívější výstup slučování téhož území" in r.output
    assert "vyjměte ho ze vstupní složky" in r.output
    from xlkpss.merge.workbook import read_consolidated

    c, base = read_consolidated(out), read_consolidated(folder_with_old_output["base"])
    assert c.meta["level"] == "orp" and c.meta["territory_code"] == "4203"
    assert len(c.table("services")) == len(base.table("services"))
    codes = set(c.table("errors")["code"])
    assert "summary-level" in codes and "duplicate-row" not in codes


def test_wrong_orp_exits_1_naming_the_territory_of_the_files(tmp_path):
    out = tmp_path / "kadan.xlsx"
    r = merge_cli([CHOMUTOV], out, "--orp", "4204")
    assert r.exit_code == 1, r.output
    assert "všechny soubory jsou z ORP Chomutov (4203) – nezadali jste špatné --orp?" in r.output
    assert not out.exists()


def test_templates_in_a_regional_merge_are_left_out_with_a_line(folder_with_old_output, tmp_path):
    orp_book = folder_with_old_output["base"]
    out = tmp_path / "kraj.xlsx"
    r = merge_cli([orp_book, SAMPLES / "orp_4204_kadan"], out, "--kraj", "CZ042")
    assert r.exit_code == 0, r.output
    kadan = sorted(p.name for p in (SAMPLES / "orp_4204_kadan").glob("*.xlsx"))
    lines = [ln for ln in r.output.splitlines() if ln.startswith("Vynechán soubor ")]
    for name in kadan:
        assert any(name + ": vyplněná šablona patří do souhrnu ORP" in ln for ln in lines), name
    subs = {Path(k).name: v for k, v in submissions_by_file(out).items()}
    for name in kadan:
        assert subs[name]["status"] == "rejected" and subs[name]["rows_merged"] == 0
        assert subs[name]["rows_read"] == subs[name]["rows_excluded"] > 0
    # nothing but templates with --level kraj: nothing to merge, exit 1
    r = merge_cli([SAMPLES / "orp_4204_kadan"], tmp_path / "z.xlsx", "--level", "kraj")
    assert r.exit_code == 1 and "žádný vstup nepatří do tohoto souhrnu" in r.output


# ---------------------------------------------------------------------------
# 4. resubmissions
# ---------------------------------------------------------------------------


def _resubmit(tmp_path: Path, *, same_date: bool, change: bool):
    import datetime as dt
    import os

    d = copy_samples(tmp_path / "in")
    first = d / UDLICE_LIKE
    second = d / "obec_563099_jirkov_sluzby_2026_oprava.xlsx"
    shutil.copy2(first, second)
    changed_rows = spoil_rows(second, "sluzby", "kapacita", 77, 1) if change else []
    if not same_date:
        set_ident(second, datum_vyplneni=dt.date(2026, 12, 30))
    os.utime(first, (1_700_000_000, 1_700_000_000))
    os.utime(second, (1_700_000_100, 1_700_000_100))  # copied last
    out = tmp_path / "souhrn.xlsx"
    r = merge_cli([d], out, "--orp", "4203")
    assert r.exit_code == 0, r.output
    from xlkpss.merge.workbook import read_consolidated

    return r, read_consolidated(out), first.name, second.name, changed_rows


def test_resubmission_tie_later_file_wins_with_a_warning_naming_both(tmp_path):
    r, c, first, second, rows = _resubmit(tmp_path, same_date=True, change=True)
    warning = [ln for ln in r.output.splitlines() if ln.startswith("Upozornění:")]
    assert len(warning) == 1 and first in warning[0] and second in warning[0] and "stejné Datum vyplnění" in warning[0]
    subs = {s["file"]: s for s in c.table("submissions").to_dict("records") if s.get("file")}
    assert subs[first]["status"] == "superseded" and subs[second]["status"] in ("valid", "warnings", "errors")
    assert "změněn 1 řádek" in subs[first]["note"] and "změněn 1 řádek" in subs[second]["note"]
    opravy = c.table("corrections").to_dict("records")
    assert len(opravy) == 1
    [o] = opravy
    assert o["src_file"] == second and o["old_file"] == first and o["src_row"] == rows[0]
    assert o["field"] == get_template("sluzby").sheet("sluzby").field("kapacita").label
    assert o["new_value"] == "77" and o["old_value"] != "77"
    line = next(e for e in c.table("errors").to_dict("records") if e["src_file"] == first and e["code"] == "superseded")
    assert subs[first]["rows_read"] == 5
    assert "5 řádků z něj nebylo sloučeno. Nový soubor: změněn 1 řádek." in line["message"]


def test_identical_resubmission_is_said_identical_and_newer_date_wins(tmp_path):
    r, c, first, second, _ = _resubmit(tmp_path, same_date=False, change=False)
    assert "Upozornění:" not in r.output
    subs = {s["file"]: s for s in c.table("submissions").to_dict("records") if s.get("file")}
    assert subs[first]["status"] == "superseded"
    assert "obsah je shodný s nahrazeným souborem" in subs[first]["note"]
    assert len(c.table("corrections")) == 0


def test_czech_plural_of_rows():
    from xlkpss.i18n import ROWS, plural_cs
    from xlkpss.merge.resubmit import Diff

    assert [plural_cs(n, ROWS) for n in (1, 2, 4, 5, 0, 11)] == [
        "1 řádek",
        "2 řádky",
        "4 řádky",
        "5 řádků",
        "0 řádků",
        "11 řádků",
    ]
    # the participle agrees with the count
    assert Diff(added=1, removed=2, changed=5).describe() == "přidán 1 řádek, odebrány 2 řádky, změněno 5 řádků"


def test_no_hand_made_plurals_left():
    """Every count a person reads goes through ``plural_cs``: no ``f"{n} řádků"`` and no
    ``'řádek' if n == 1 else …`` in the code."""
    import re

    made = re.compile(r"\{[^}]*\} (řádků|souborů|předkladatelů|chyb)\b|'(řádek|soubor|chyba)' if ")
    found = [
        f"{p.relative_to(ROOT)}:{n}"
        for p in sorted((ROOT / "xlkpss").rglob("*.py"))
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if made.search(line)
    ]
    assert not found, found


# ---------------------------------------------------------------------------
# 6. "no data" is never "no service"
# ---------------------------------------------------------------------------


def _note_list(html: Path, key: str) -> list[str]:
    import html5lib

    doc = html5lib.parse(html.read_text(encoding="utf-8"), namespaceHTMLElements=False)
    for p in doc.iter("p"):
        if p.get("data-list") == key:
            text = "".join(p.itertext())
            return [n.strip() for n in text.split(":", 1)[1].rstrip(".").split(",")]
    return []


def test_obce_that_sent_nothing_are_bez_podkladu_not_bez_sluzby(statuses_run):
    c = statuses_run["c"]
    subs = c.table("submissions").to_dict("records")
    missing = {s["territory_name"] for s in subs if s["status"] == "missing"}
    delivered = {
        s["territory_name"] for s in subs if s["status"] in ("valid", "warnings", "errors") and s["kind"] == "služby"
    }
    none, nodata = _note_list(statuses_run["html"], "bez-sluzby"), _note_list(statuses_run["html"], "bez-podkladu")
    assert nodata and missing <= set(nodata)
    assert not set(none) & missing and set(none) <= delivered


def test_services_file_saying_no_service_is_a_complete_submission(tmp_path):
    from support import make_submission

    spec = get_template("sluzby").sheet("identifikace")
    if "bez_sluzeb" not in {f.key for f in spec.fields}:
        pytest.skip("the spec has no Identifikace field bez_sluzeb yet (added by the spec side of issue 13)")
    d = tmp_path / "in"
    d.mkdir()
    shutil.copy2(CHOMUTOV / CHOMUTOV_SERVICES, d / CHOMUTOV_SERVICES)
    make_submission(
        d / "obec_563200_malkov_sluzby_2026.xlsx",
        rows=[],
        ident={"kod_obce": "563200", "ico": None, "nazev": "Obec Málkov", "bez_sluzeb": "ano"},
    )
    out, html = tmp_path / "s.xlsx", tmp_path / "s.html"
    r = merge_cli([d], out, "--orp", "4203", "--html", str(html))
    assert r.exit_code == 0, r.output
    s = submissions_by_file(out)["obec_563200_malkov_sluzby_2026.xlsx"]
    assert s["status"] == "valid" and s["rows_read"] == 0 and "nepůsobí žádná služba" in (s["note"] or "")
    assert "Málkov" in _note_list(html, "bez-sluzby")


# ---------------------------------------------------------------------------
# 1. (CLI) validate says, per error and per file, what the merge will do
# ---------------------------------------------------------------------------


def test_validate_cli_says_the_effect_in_text_csv_and_kontrola(tmp_path):
    """Seen: "nothing in validate says which error rejects a file"."""
    contact = Path(shutil.copy2(CHOMUTOV / UDLICE_LIKE, tmp_path / "kontakt.xlsx"))
    set_ident(contact, email="jana.novakova@udlice", telefon="474 12")
    year = Path(shutil.copy2(CHOMUTOV / UDLICE_LIKE, tmp_path / "rok.xlsx"))
    set_ident(year, rok="dvacet šest", email="x@y")
    files = [contact, year, SAMPLES / "invalid" / "kapacita_text_cca_20.xlsx"]
    r = CliRunner().invoke(main, ["validate", *map(str, files)])
    assert r.exit_code == 1, r.output
    lines = r.output.splitlines()
    mail = [ln for ln in lines if "jana.novakova@udlice" in ln]
    assert len(mail) == 1 and mail[0].endswith("– nic se nevyřadí")
    assert any("dvacet šest" in ln and ln.endswith("– tato chyba vyřadí celý soubor") for ln in lines)
    assert any("cca 20" in ln and ln.endswith("– vyřadí řádek") for ln in lines)
    assert "kontakt.xlsx: 5 řádků, 2 chyby, 0 upozornění – soubor se přijme, žádný řádek se pro chybu nevyřadí" in lines
    assert "rok.xlsx: 5 řádků, 2 chyby, 0 upozornění – soubor se odmítne, nesloučí se z něj nic" in lines
    assert "kapacita_text_cca_20.xlsx: 4 řádky, 1 chyba, 0 upozornění – nesloučí se 1 řádek s chybou" in lines
    assert "3 soubory, 0 v pořádku, 3 s chybami (celý soubor se odmítne: 1); 5 chyb, 0 upozornění" in lines
    # CSV: the effect column
    r = CliRunner().invoke(main, ["validate", *map(str, files), "--format", "csv", "--csv-plain"])
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(r.output)))
    effect = {(Path(x["file"]).name, x["code"], x["cell"]): x["effect"] for x in rows}
    assert effect[("kontakt.xlsx", "invalid-email", "B11")] == "none"
    assert effect[("rok.xlsx", "invalid-email", "B11")] == "none"
    assert "file" in {v for (f, _c, _cell), v in effect.items() if f == "rok.xlsx"}
    assert effect[("kapacita_text_cca_20.xlsx", "not-an-integer", "H3")] == "row"
    # the annotated copy: Dopad on the Kontrola sheet, and the first line says what to do
    r = CliRunner().invoke(main, ["validate", *map(str, files), "--annotate", str(tmp_path / "vraceno")])
    dopad = {}
    first = {}
    for name in ("kontakt", "rok"):
        ws = openpyxl.load_workbook(tmp_path / "vraceno" / f"{name}_kontrola.xlsx")["Kontrola"]
        cells = [[c.value for c in row] for row in ws.iter_rows()]
        head = next(i for i, row in enumerate(cells) if "Dopad" in row)
        col, val = cells[head].index("Dopad"), cells[head].index("Hodnota v buňce")
        dopad[name] = {row[val]: row[col] for row in cells[head + 1 :] if row[col]}
        first[name] = cells[1][0]
    assert dopad["kontakt"] == {"jana.novakova@udlice": "nic se nevyřadí", "474 12": "nic se nevyřadí"}
    assert dopad["rok"] == {"dvacet šest": "tato chyba vyřadí celý soubor", "x@y": "nic se nevyřadí"}
    assert first["rok"].startswith("Soubor teď nelze přijmout")
    assert not first["kontakt"].startswith("Soubor teď nelze přijmout")


def test_rejected_file_says_why_in_odevzdani(statuses_run):
    subs = {s["file"]: s for s in statuses_run["c"].table("submissions").to_dict("records") if s.get("file")}
    note = subs[UDLICE_LIKE]["note"]
    assert note.startswith("soubor nelze použít – Rok: „dvacet šest“ není celé číslo"), note


def test_html_problem_counts_agree_and_use_czech_plurals(statuses_run):
    """Seen: the HTML said "0 odmítnuto" while the CLI and Odevzdání said 1."""
    import html5lib

    doc = html5lib.parse(statuses_run["html"].read_text(encoding="utf-8"), namespaceHTMLElements=False)
    items = {
        span.get("data-figure"): li
        for li in doc.iter("li")
        for span in li.iter("span")
        if span.get("data-figure") in ("rejected", "conflicts", "errors")
    }
    text = {k: " ".join("".join(li.itertext()).split()) for k, li in items.items()}
    rejected = sum(1 for s in statuses_run["c"].table("submissions").to_dict("records") if s["status"] == "rejected")
    assert rejected == 1 and text["rejected"] == "1 odmítnutý soubor"
    assert "odmítnuto 1" in statuses_run["cli"]


# ---------------------------------------------------------------------------
# 3. (more) guards: last year's workbook, a wrong --kraj
# ---------------------------------------------------------------------------


def test_last_years_workbook_in_the_orp_folder_is_left_out_not_an_abort(folder_with_old_output, tmp_path):
    """Seen: an old workbook in the folder aborted the whole merge (here: it is of 2025, so
    the year was no longer unique — "soubory jsou za více let")."""
    from xlkpss.merge.workbook import read_consolidated, write_consolidated

    d = copy_samples(tmp_path / "dosle")
    old = read_consolidated(folder_with_old_output["base"])
    old.meta["year"] = 2025
    write_consolidated(old, d / "souhrn_orp_4203_2025.xlsx")
    kadan = tmp_path / "kadan.xlsx"
    assert merge_cli([SAMPLES / "orp_4204_kadan"], kadan, "--orp", "4204").exit_code == 0
    shutil.copy2(kadan, d / "kadan_souhrn.xlsx")
    for args in (("--orp", "4203"), ("--level", "orp")):
        out = tmp_path / f"souhrn{args[0]}.xlsx"
        r = merge_cli([d], out, *args)
        assert r.exit_code == 0, r.output
        assert "Vynechán soubor souhrn_orp_4203_2025.xlsx" in r.output and "vyjměte ho ze vstupní složky" in r.output
        assert "Vynechán soubor kadan_souhrn.xlsx" in r.output
        c = read_consolidated(out)
        assert (c.meta["territory_code"], c.meta["year"]) == ("4203", 2026)
        assert len(c.table("services")) == len(read_consolidated(folder_with_old_output["base"]).table("services"))


def test_wrong_kraj_exits_1_naming_the_kraj_of_the_files(folder_with_old_output, tmp_path):
    out = tmp_path / "k.xlsx"
    r = merge_cli([folder_with_old_output["base"]], out, "--kraj", "CZ041")
    assert r.exit_code == 1, r.output
    assert "všechny soubory jsou z území Ústecký kraj (CZ042) – nezadali jste špatné --kraj?" in r.output
    assert not out.exists()


# ---------------------------------------------------------------------------
# 5. one number per fact: plan figures of the merge (workbook, HTML) = fulfilment
# ---------------------------------------------------------------------------

PLAN_FILES = [
    SAMPLES / "invalid" / "plan_chybi_nadrazena_polozka.xlsx",
    SAMPLES / "invalid" / "plan_uroven_neodpovida_cislu.xlsx",
    SAMPLES / "plany" / "plan_mos_orp_chomutov_2026.xlsx",
    SAMPLES / "plany" / "plan_zlin_2026.xlsx",
    CHOMUTOV / "plan_chomutov_2026.xlsx",
]


@pytest.fixture(scope="module")
def fulfilment_souhrn(tmp_path_factory):
    """``xlkpss fulfilment --force`` on every plan: (plan file order) → [(items, %)] per top item."""
    out = tmp_path_factory.mktemp("plneni") / "plneni.xlsx"
    r = CliRunner().invoke(main, ["fulfilment", *map(str, PLAN_FILES), "--force", "-o", str(out)])
    assert r.exit_code == 0, r.output
    ws = openpyxl.load_workbook(out)["Souhrn"]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    head = next(i for i, row in enumerate(rows) if "Aktivit" in row)
    items, pct = rows[head].index("Aktivit"), rows[head].index("Splněno (%)")
    plans: list[list[tuple[int, float]]] = []
    for row in rows[head + 1 :]:
        if row[0] and isinstance(row[items], int):  # a plan's line (the footnote has no count)
            plans.append([])
        elif plans and isinstance(row[items], int):
            plans[-1].append((row[items], row[pct]))
    assert len(plans) == len(PLAN_FILES)
    return plans


@pytest.mark.parametrize("n", range(len(PLAN_FILES)), ids=[p.name for p in PLAN_FILES])
def test_merge_plan_figures_equal_fulfilment(tmp_path, fulfilment_souhrn, n):
    """Seen: an activity whose parent row is missing vanished from the merge's denominator
    (priority 1 at 100 % in the summary, 66.7 % in fulfilment)."""
    from xlkpss.merge.workbook import read_consolidated

    plan = PLAN_FILES[n]
    out, html = tmp_path / "s.xlsx", tmp_path / "s.html"
    r = merge_cli([plan], out, "--html", str(html))
    assert r.exit_code == 0, r.output
    c = read_consolidated(out)
    [sub] = [s for s in c.table("submissions").to_dict("records") if s.get("file")]
    assert sub["rows_read"] == sub["rows_merged"] and sub["rows_excluded"] == 0  # a structural problem keeps the row
    reasons = {e["reason"] for e in c.table("errors").to_dict("records") if e["code"].startswith("plan-")}
    assert reasons <= {"chyba v řádku, řádek sloučen"} and bool(reasons) == (plan.parent.name == "invalid")
    book = [(int(p["items"]), round(float(p["pct_done"]), 1)) for p in c.table("plan_summary").to_dict("records")]
    assert book == fulfilment_souhrn[n]
    # HTML: the lead sentence counts the same items
    import html5lib

    doc = html5lib.parse(html.read_text(encoding="utf-8"), namespaceHTMLElements=False)
    figures = {s.get("data-figure"): "".join(s.itertext()) for s in doc.iter("strong") if s.get("data-figure")}
    assert int(figures["plan-items"]) == sum(i for i, _ in fulfilment_souhrn[n])


def test_missing_parent_says_where_the_item_is_counted():
    [res] = validate_paths([SAMPLES / "invalid" / "plan_chybi_nadrazena_polozka.xlsx"], workers=1)
    [issue] = res.errors
    assert issue.code == "plan-parent-missing" and issue.effect == "none"
    assert "v plnění plánu se položka započte pod položku 1" in issue.message()
    assert not res.rejected and res.rows_excluded() == 0


# ---------------------------------------------------------------------------
# 6. (more) an empty services file is no evidence of "bez služby"
# ---------------------------------------------------------------------------


def test_empty_services_file_without_the_answer_is_not_bez_sluzby(tmp_path):
    from support import make_submission

    d = tmp_path / "in"
    d.mkdir()
    shutil.copy2(CHOMUTOV / "obec_563340_sporice_sluzby_2026.xlsx", d / "sporice.xlsx")
    make_submission(d / "kalek.xlsx", rows=[], ident={"kod_obce": "563111", "ico": None, "nazev": "Obec Kalek", "bez_sluzeb": "ano"})
    make_submission(d / "krimov.xlsx", rows=[], ident={"kod_obce": "563161", "ico": None, "nazev": "Obec Křimov"})
    make_submission(
        d / "misto.xlsx", rows=[{"identifikator": "žádné služby nemáme"}], ident={"kod_obce": "563242", "ico": None, "nazev": "Obec Místo"}
    )
    out, html = tmp_path / "s.xlsx", tmp_path / "s.html"
    r = merge_cli([d], out, "--orp", "4203", "--html", str(html))
    assert r.exit_code == 0, r.output
    subs = submissions_by_file(out)
    assert subs["kalek.xlsx"]["status"] == "valid"
    assert subs["krimov.xlsx"]["status"] == "warnings"
    assert subs["misto.xlsx"]["status"] == "errors" and subs["misto.xlsx"]["rows_excluded"] == 0
    assert _note_list(html, "bez-sluzby") == ["Kalek"]
    assert _note_list(html, "prazdny") == ["Křimov", "Místo"]
    assert not {"Kalek", "Křimov", "Místo", "Spořice"} & set(_note_list(html, "bez-podkladu"))


def test_kraje_that_sent_nothing_are_bez_podkladu_nationally(folder_with_old_output, tmp_path):
    """Seen: nationally, kraje that sent nothing were listed "bez služby"."""
    kraj, cr, html = tmp_path / "kraj.xlsx", tmp_path / "cr.xlsx", tmp_path / "cr.html"
    assert merge_cli([folder_with_old_output["base"]], kraj, "--kraj", "CZ042").exit_code == 0
    r = merge_cli([kraj], cr, "--level", "stat", "--html", str(html))
    assert r.exit_code == 0, r.output
    from xlkpss.codelists import regions

    others = {k["nazev_kraje"] for k in regions().values() if k["kod_kraje"] != "CZ042"}
    assert len(others) == 13
    assert set(_note_list(html, "bez-podkladu")) == others
    assert not set(_note_list(html, "bez-sluzby")) & others
    delivered = submissions_by_file(cr)  # the national Odevzdání: the one regional workbook, accepted
    assert len(delivered) == 1 and next(iter(delivered.values()))["status"] in ("valid", "warnings")


# ---------------------------------------------------------------------------
# Excel 365 error values (#SPILL!, #CALC! …) are one row's formula error, not a corrupt file
# ---------------------------------------------------------------------------


def excel365_error(path: Path, sheet_key: str, field_key: str, error: str) -> str:
    """Turn ``field_key`` of the first data row into a formula cell with ``error`` as its
    cached value, in the sheet XML itself, as Excel 365 saves a blocked dynamic array
    (openpyxl cannot write these error values).  Returns the cell's reference."""
    import re
    import zipfile

    kind = "plan" if "plan" in path.name else "sluzby"
    spec = get_template(kind).sheet(sheet_key)
    wb = openpyxl.load_workbook(path, read_only=True)
    ws = wb[spec.name]
    rows = list(ws.iter_rows(values_only=True))
    wb.close()
    col = rows[0].index(spec.field(field_key).label)
    row = next(i for i, r in enumerate(rows[1:], 2) if r[col] not in (None, ""))
    ref = f"{openpyxl.utils.get_column_letter(col + 1)}{row}"
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    rid = re.search(rf'<sheet [^>]*name="{re.escape(spec.name)}"[^>]*r:id="(\w+)"', parts["xl/workbook.xml"].decode())
    rel = next(r for r in re.findall(r"<Relationship [^>]*>", parts["xl/_rels/workbook.xml.rels"].decode()) if f'Id="{rid.group(1)}"' in r)
    name = "xl/" + re.search(r'Target="([^"]+)"', rel).group(1).removeprefix("/xl/")
    xml, n = re.subn(
        rf'<c r="{ref}"( s="\d+")?[^>]*?(?:/>|>.*?</c>)',
        lambda m: f'<c r="{ref}"{m.group(1) or ""} t="e"><f>FILTER(A2:A9,A2:A9&gt;0)</f><v>{error}</v></c>',
        parts[name].decode(),
        count=1,
    )
    assert n == 1, ref
    parts[name] = xml.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for part, data in parts.items():
            zf.writestr(part, data)
    return ref


MUSS = "poskytovatel_00075655_muss_chomutov_2026.xlsx"  # a provider: every row merged


@pytest.mark.parametrize("error", ["#SPILL!", "#CALC!"])
def test_excel_365_error_excludes_its_row_and_merges_the_rest(tmp_path, error):
    base = tmp_path / "base.xlsx"
    assert merge_cli([CHOMUTOV], base, "--orp", "4203").exit_code == 0
    d = copy_samples(tmp_path / "in")
    ref = excel365_error(d / MUSS, "sluzby", "kapacita", error)
    [res] = validate_paths([d / MUSS], workers=1)
    text = to_text([res])
    assert "poškozený" not in text and error in text
    problems = [i for f in to_dict([res])["files"] for i in f["issues"] if i["code"] == "formula-error"]
    assert [(i["sheet"], i["cell"], i["value"]) for i in problems] == [(get_template("sluzby").sheet("sluzby").name, ref, error)]
    out = tmp_path / "souhrn.xlsx"
    r = merge_cli([d], out, "--orp", "4203")
    assert r.exit_code == 0, r.output
    before, after = submissions_by_file(base)[MUSS], submissions_by_file(out)[MUSS]
    assert before["rows_read"] == before["rows_merged"] == 8 and before["rows_excluded"] == 0
    assert (after["rows_read"], after["rows_merged"], after["rows_excluded"]) == (8, 7, 1)
    from xlkpss.merge.workbook import read_consolidated

    errors = read_consolidated(out).table("errors").to_dict("records")
    assert [(e["code"], e["value"]) for e in errors if e["src_file"] == MUSS and e["code"] == "formula-error"] == [
        ("formula-error", error)
    ]


# ---------------------------------------------------------------------------
# a row of totals typed under the records: one message, the row not merged
# ---------------------------------------------------------------------------


def add_row(path: Path, sheet_key: str, values: dict[str, Any]) -> int:
    """Type ``values`` (field key -> value) into the first empty row under the records, as a
    clerk adds a row; returns its Excel row."""
    kind = "plan" if "plan" in path.name else "sluzby"
    spec = get_template(kind).sheet(sheet_key)
    wb = openpyxl.load_workbook(path)
    ws = wb[spec.name]
    cols = {ws.cell(1, c).value: c for c in range(1, ws.max_column + 1)}
    last = max(r for r in range(2, ws.max_row + 1) if any(ws.cell(r, c).value not in (None, "") for c in range(1, 6)))
    for key, value in values.items():
        ws.cell(last + 1, cols[spec.field(key).label], value)
    wb.save(path)
    return last + 1


def _codes_at(res, row: int) -> list[str]:
    return [i.code for i in res.issues if i.row == row]


@pytest.mark.parametrize("text", ["Celkem", "CELKEM:", "Součet za obec", "soucet", "Úhrnem", "Celkem kapacita"])
def test_a_row_of_totals_is_one_message_and_not_merged(tmp_path, text):
    d = copy_samples(tmp_path / "in")
    row = add_row(d / MUSS, "sluzby", {"nazev_sluzby": text, "kapacita": 500})
    [res] = validate_paths([d / MUSS], workers=1)
    assert _codes_at(res, row) == ["total-row"]
    [issue] = [i for i in res.issues if i.row == row]
    assert issue.value == text.strip() and res.effect_of(issue) == "row" and issue.column == _label("nazev_sluzby")
    assert "řádek součtů" in to_text([res])
    out = tmp_path / "souhrn.xlsx"
    r = merge_cli([d], out, "--orp", "4203")
    assert r.exit_code == 0, r.output
    after = submissions_by_file(out)[MUSS]
    assert (after["rows_read"], after["rows_merged"], after["rows_excluded"]) == (9, 8, 1)
    from xlkpss.merge.workbook import read_consolidated

    services = read_consolidated(out).table("services")
    assert text.strip() not in set(services["nazev_sluzby"]) and 500 not in set(services["kapacita"])


def test_what_is_not_a_row_of_totals(tmp_path):
    d = copy_samples(tmp_path / "in")
    # a provider whose name starts like a total, in the name column of an incomplete row
    row = add_row(d / MUSS, "sluzby", {"nazev_sluzby": "Celková péče – odlehčovací služba"})
    [res] = validate_paths([d / MUSS], workers=1)
    assert "total-row" not in _codes_at(res, row) and "required" in _codes_at(res, row)
    # a complete record whose name starts with „Celkem“ is a record
    wb = openpyxl.load_workbook(d / MUSS)
    ws = wb[get_template("sluzby").sheet("sluzby").name]
    ws.delete_rows(row)
    name_col = next(c for c in range(1, ws.max_column + 1) if ws.cell(1, c).value == _label("nazev_sluzby"))
    ws.cell(2, name_col, "Celkem 3 místa – chráněné bydlení")
    wb.save(d / MUSS)
    [res] = validate_paths([d / MUSS], workers=1)
    assert "total-row" not in {i.code for i in res.issues}


def test_a_row_of_totals_in_the_plan(tmp_path):
    d = copy_samples(tmp_path / "in")
    row = add_row(d / JIRKOV_PLAN, "plan", {"cislo": "Celkem", "rozpocet": 123456})
    [res] = validate_paths([d / JIRKOV_PLAN], workers=1)
    assert _codes_at(res, row) == ["total-row"]
    assert res.rows_excluded() == 1


# ---------------------------------------------------------------------------
# macOS's „._name.xlsx“ metadata files (a ZIP made on a Mac, a USB disk) are no submissions
# ---------------------------------------------------------------------------

APPLE_DOUBLE = b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        \x00\x02" + b"\x00" * 60


def test_macos_metadata_files_in_a_folder_are_left_out(tmp_path):
    d = tmp_path / "dosle"
    (d / "__MACOSX").mkdir(parents=True)
    shutil.copy2(CHOMUTOV / MUSS, d / MUSS)
    (d / f"._{MUSS}").write_bytes(APPLE_DOUBLE)
    (d / "__MACOSX" / f"._{MUSS}").write_bytes(APPLE_DOUBLE)
    shutil.copy2(CHOMUTOV / JIRKOV_PLAN, d / "._ale_opravdu_sesit.xlsx")  # a workbook, whatever its name
    from xlkpss.validate.engine import collect_paths

    assert [p.name for p in collect_paths([d])] == ["._ale_opravdu_sesit.xlsx", MUSS]
    r = CliRunner().invoke(main, ["validate", str(d)])
    assert r.exit_code == 0, r.output
    assert "2 soubory, 2 v pořádku" in r.output and "metadata" not in r.output
    out = tmp_path / "souhrn.xlsx"
    r = merge_cli([d], out, "--orp", "4203")
    assert r.exit_code == 0, r.output
    assert set(submissions_by_file(out)) == {MUSS, "._ale_opravdu_sesit.xlsx"}
    # given by name, it is said what it is
    r = CliRunner().invoke(main, ["validate", str(d / f"._{MUSS}")])
    assert r.exit_code == 1 and "metadata macOS" in r.output


def test_a_zip_of_workbooks_in_the_folder_is_read_and_what_is_not_read_is_reported(tmp_path):
    import zipfile

    d = tmp_path / "dosle"
    d.mkdir()
    shutil.copy2(CHOMUTOV / JIRKOV_PLAN, d / JIRKOV_PLAN)
    kup = "poskytovatel_26752018_kuprospechu_2026.xlsx"
    with zipfile.ZipFile(d / "podklady.zip", "w") as zf:  # as a provider e-mails them
        zf.write(CHOMUTOV / MUSS, MUSS)
        zf.write(CHOMUTOV / kup, f"2026/{kup}")
        zf.writestr(f"__MACOSX/2026/._{kup}", b"\x00\x05\x16\x07")
        zf.writestr("pruvodni_dopis.pdf", b"%PDF-1.4")
        zf.writestr("../../mimo.xlsx", b"PK\x03\x04")  # no path from an archive reaches the disk
        zf.writestr("vnitrni.zip", b"PK\x05\x06" + b"\0" * 18)  # an archive in the archive: reported, not unpacked
    (d / "sluzby_2026.xlsb").write_bytes(b"PK\x03\x04")  # Excel's binary workbook: listed, rejected with the reason
    (d / "pruvodni_dopis.docx").write_bytes(b"PK\x03\x04")  # a cover letter is not a submission
    before = {p.name: p.read_bytes() for p in d.iterdir()}
    from xlkpss.read.archives import as_given
    from xlkpss.validate.engine import collect_paths

    listed = collect_paths([d])
    names = [as_given(p).name for p in listed]
    assert names == [
        "plan_jirkov_2026.xlsx",
        f"podklady.zip – {MUSS}",
        f"podklady.zip – 2026 – {kup}",
        "podklady.zip – mimo.xlsx",
        "podklady.zip – vnitrni.zip",
        "sluzby_2026.xlsb",
    ]
    assert all(as_given(p).parent == d for p in listed) and not (tmp_path / "mimo.xlsx").exists()
    r = CliRunner().invoke(main, ["validate", str(d)])
    assert r.exit_code == 1  # the .xlsb, the broken member and the archive in the archive
    assert "podklady.zip – vnitrni.zip: 0 řádků, 1 chyba" in r.output
    assert f"podklady.zip – {MUSS}: 8 řádků, 0 chyb" in r.output and f"podklady.zip – 2026 – {kup}: 4 řádky" in r.output
    assert "sluzby_2026.xlsb: 0 řádků, 1 chyba" in r.output and "pruvodni_dopis" not in r.output
    out = tmp_path / "souhrn.xlsx"
    r = merge_cli([d], out, "--orp", "4203")
    assert r.exit_code == 0, r.output
    subs = submissions_by_file(out)
    assert subs[f"podklady.zip – {MUSS}"]["rows_merged"] == 8 and subs[f"podklady.zip – 2026 – {kup}"]["rows_merged"] == 4
    assert {p.name: p.read_bytes() for p in d.iterdir()} == before  # the inputs are never modified


def test_a_zip_that_cannot_be_unpacked_is_reported_with_what_to_do(tmp_path):
    import subprocess
    import zipfile

    from xlkpss.read.archives import unpack_zip
    from xlkpss.read.safety import ReadLimits

    d = tmp_path / "dosle"
    d.mkdir()
    big = d / "velky.zip"
    with zipfile.ZipFile(big, "w") as zf:
        zf.write(CHOMUTOV / MUSS, MUSS)
    assert unpack_zip(big, {".xlsx"}, ReadLimits(max_bytes=1000)) is None  # a member over the limit of one file
    assert unpack_zip(big, {".xlsx"}) is not None
    shutil.copy2(CHOMUTOV / MUSS, d / "sesit_pojmenovany.zip")  # a workbook named .zip is a workbook
    if shutil.which("zip"):
        subprocess.run(["zip", "-q", "-j", "-P", "heslo", str(d / "zaheslovany.zip"), str(CHOMUTOV / MUSS)], check=True)
    from xlkpss.validate.engine import collect_paths

    assert sorted(p.name for p in collect_paths([d])) >= ["sesit_pojmenovany.zip", f"velky.zip – {MUSS}"]
    r = CliRunner().invoke(main, ["validate", str(d)])
    assert "sesit_pojmenovany.zip: 8 řádků, 0 chyb" in r.output
    if shutil.which("zip"):
        assert r.exit_code == 1 and "zaheslovany.zip" in r.output and "Soubor je archiv ZIP, ne sešit (1 sešit: " in r.output


# ---------------------------------------------------------------------------
# a column deleted from a table sheet: its rows carry their errors, nothing crashes
# ---------------------------------------------------------------------------


def _delete_column(src: Path, dest: Path, sheet_key: str, field_key: str) -> None:
    kind = "plan" if "plan" in src.name else "sluzby"
    spec = get_template(kind).sheet(sheet_key)
    wb = openpyxl.load_workbook(src)
    ws = wb[spec.name]
    ws.delete_cols(next(c.column for c in ws[1] if c.value == spec.field(field_key).label))
    wb.save(dest)


_TABLE_FIELDS = [
    (src, s.key, f.key)
    for src, kind in ((MUSS, "sluzby"), (JIRKOV_PLAN, "plan"))
    for s in get_template(kind).table_sheets
    if s.key in ("sluzby", "plan")
    for f in s.fields
]


@pytest.mark.parametrize("src, sheet_key, field_key", _TABLE_FIELDS, ids=[f"{s}-{f}" for _src, s, f in _TABLE_FIELDS])
def test_a_deleted_column_is_reported_and_its_rows_carry_their_errors(tmp_path, src, sheet_key, field_key):
    path = tmp_path / src
    _delete_column(CHOMUTOV / src, path, sheet_key, field_key)
    [res] = validate_paths([path], workers=1)  # raised KeyError for a required column before
    spec = get_template("plan" if "plan" in src else "sluzby").sheet(sheet_key)
    f = spec.field(field_key)
    missing = [i for i in res.issues if i.code == "column-missing"]
    assert [i.column for i in missing] == [f.label] and res.effect_of(missing[0]) == "none"
    assert not res.rejected
    at_rows = [i for i in res.issues if i.field_key == field_key and i.row is not None]
    assert all(i.cell is None and i.column == f.label for i in at_rows)
    if f.required:
        frame = res.frames[sheet_key]  # every row of the sheet misses its value: excluded
        assert len({i.row for i in at_rows}) == len(frame) == int(frame["_excluded"].sum()) > 0
    text = to_text([res])
    assert "Traceback" not in text and (not at_rows or f"ř. {at_rows[0].row}" in text)


def test_a_deleted_required_column_does_not_stop_the_merge(tmp_path):
    d = copy_samples(tmp_path / "in")
    _delete_column(CHOMUTOV / MUSS, d / MUSS, "sluzby", "kapacita")
    out = tmp_path / "souhrn.xlsx"
    r = merge_cli([d], out, "--orp", "4203")
    assert r.exit_code == 0, r.output
    subs = submissions_by_file(out)
    assert (subs[MUSS]["rows_read"], subs[MUSS]["rows_merged"], subs[MUSS]["rows_excluded"]) == (8, 0, 8)
    assert subs["poskytovatel_26752018_kuprospechu_2026.xlsx"]["rows_merged"] == 4  # the other files merged as ever


# ---------------------------------------------------------------------------
# a heading the clerk lengthened („Kapacita služby“) is read as its column, with a warning
# ---------------------------------------------------------------------------


def _label(key: str) -> str:
    """A Služby field's label, from the spec."""
    return get_template("sluzby").sheet("sluzby").field(key).label


def _rename_headers(src: Path, dest: Path, names: dict[str, str]) -> None:
    """Retype the headings of the fields ``names`` (field key -> heading) as a clerk would."""
    by_label = {_label(key): heading for key, heading in names.items()}
    wb = openpyxl.load_workbook(src)
    ws = wb[get_template("sluzby").sheet("sluzby").name]
    for c in ws[1]:
        if c.value in by_label:
            c.value = by_label[c.value]
    wb.save(dest)


def test_a_lengthened_heading_is_read_as_its_column(tmp_path):
    d = copy_samples(tmp_path / "in")
    _rename_headers(CHOMUTOV / MUSS, d / MUSS, {"kapacita": "Kapacita služby", "typ_kapacity": "Typ kapacity (lůžka, klienti)"})
    [res] = validate_paths([d / MUSS], workers=1)
    [before] = validate_paths([CHOMUTOV / MUSS], workers=1)
    assert [(i.code, i.value, i.cell) for i in res.issues] == [
        ("column-renamed", "Kapacita služby", "H1"),
        ("column-renamed", "Typ kapacity (lůžka, klienti)", "I1"),
    ]
    assert all(res.effect_of(i) == "none" and i.severity == "warning" for i in res.issues)
    assert "se čte jako „Kapacita“" in to_text([res])
    assert res.frames["sluzby"]["kapacita"].tolist() == before.frames["sluzby"]["kapacita"].tolist()
    out = tmp_path / "souhrn.xlsx"
    assert merge_cli([d], out, "--orp", "4203").exit_code == 0
    assert submissions_by_file(out)[MUSS]["rows_merged"] == 8


@pytest.mark.parametrize(
    "names",
    [
        {"kapacita": "Kapacitní údaje"},  # not the label's whole first word
        {"kapacita": "Kapacita služby", "typ_kapacity": "Kapacita – typ"},  # two headings begin with one label
        {"cilova_skupina_1": "Cílová skupina", "cilova_skupina_2": "Cílová skupina"},  # shortened: never guessed
    ],
)
def test_a_heading_that_is_not_clearly_one_column_is_not_guessed(tmp_path, names):
    path = tmp_path / MUSS
    _rename_headers(CHOMUTOV / MUSS, path, names)
    [res] = validate_paths([path], workers=1)
    assert "column-renamed" not in {i.code for i in res.issues}
    assert {i.column for i in res.issues if i.code == "column-missing"} == {_label(key) for key in names}


# ---------------------------------------------------------------------------
# a file taken over from another obec with its kód obce
# ---------------------------------------------------------------------------


def test_a_name_that_does_not_fit_the_code_is_warned_and_the_replacement_said(tmp_path):
    from xlkpss.validate.checks import names_the_obec

    d = copy_samples(tmp_path / "in")
    copied = d / "obec_udlice_sluzby_2026.xlsx"
    shutil.copy2(d / UDLICE_LIKE, copied)  # Jirkov's file (kód 563099) taken over by Údlice
    set_ident(copied, nazev="Obec Údlice", zpracoval="Petr Dvořák", email="starosta@udlice.cz")
    [res] = validate_paths([copied], workers=1)
    [issue] = [i for i in res.issues if i.code == "name-code-mismatch"]
    assert (issue.severity, issue.cell, issue.value, res.effect_of(issue)) == ("warning", "B5", "Obec Údlice", "none")
    assert "Kód obce patří obci Jirkov (563099), ale předkladatel je „Obec Údlice“" in to_text([res])
    out = tmp_path / "souhrn.xlsx"
    r = merge_cli([d], out, "--orp", "4203")
    assert r.exit_code == 0, r.output
    assert "uvádí „Obec Údlice“, což kódu neodpovídá" in r.output and "Ověřte kód obce" in r.output
    # the forms a real name takes are no mismatch; every sample file passes
    for name, obec in [("Magistrát města Chomutova", "Chomutov"), ("Městský úřad v Jirkově", "Jirkov"),
                       ("MěÚ Brandýs n. L.-St. Boleslav", "Brandýs nad Labem-Stará Boleslav"),
                       ("Úřad městské části Praha 5", "Praha 5"), ("OÚ VYSOKÁ PEC", "Vysoká Pec")]:  # fmt: skip
        assert names_the_obec(name, obec), name
    assert not names_the_obec("Úřad městské části Praha 6", "Praha 5")
    results = validate_paths(sorted(SAMPLES.rglob("*.xlsx")), workers=1)
    assert not [r.path.name for r in results if any(i.code == "name-code-mismatch" for i in r.issues)]


@pytest.mark.parametrize("command", [["report", "-o", "souhrn.html"], ["catalogue", "-o", "katalog.html"], ["chase", "-o", "urgence"]])
def test_a_returned_template_given_for_a_consolidated_workbook_says_what_it_is(tmp_path, command):
    r = CliRunner().invoke(main, [command[0], str(CHOMUTOV / MUSS), command[1], str(tmp_path / command[2])])
    assert r.exit_code == 1
    assert f"{MUSS} je vyplněná šablona „Sociální služby na území“, ne souhrnný sešit" in r.output
    assert "kind" not in r.output and "_xlkpss" not in r.output  # no internal names


# ---------------------------------------------------------------------------
# rows typed on a copy of a table sheet („Služby (2)“) are not lost without a word
# ---------------------------------------------------------------------------


def _copy_services_sheet(src: Path, dest: Path, title: str, keep_rows: int, hidden: bool = False) -> None:
    wb = openpyxl.load_workbook(src)
    copy = wb.copy_worksheet(wb[get_template("sluzby").sheet("sluzby").name])
    copy.title = title
    for r in range(copy.max_row, keep_rows + 1, -1):  # the heading row and keep_rows rows stay
        copy.delete_rows(r)
    if hidden:
        copy.sheet_state = "hidden"
    wb.save(dest)


def test_rows_on_a_copy_of_the_services_sheet_are_an_error_that_says_where(tmp_path):
    d = copy_samples(tmp_path / "in")
    _copy_services_sheet(CHOMUTOV / MUSS, d / MUSS, "Služby (2)", 2)
    [res] = validate_paths([d / MUSS], workers=1)
    [issue] = res.issues
    assert (issue.code, issue.sheet, res.effect_of(issue)) == ("sheet-copy", "Služby (2)", "none")
    assert "List „Služby (2)“ je kopie listu „Služby“ a 2 řádky z něj se nečtou. Přesuňte je na list „Služby“" in to_text([res])
    r = CliRunner().invoke(main, ["validate", str(d / MUSS)])
    assert r.exit_code == 1  # rows would be missing: never a clean pass
    out = tmp_path / "souhrn.xlsx"
    assert merge_cli([d], out, "--orp", "4203").exit_code == 0
    sub = submissions_by_file(out)[MUSS]
    assert (sub["rows_read"], sub["rows_merged"]) == (8, 8)
    from xlkpss.merge.workbook import read_consolidated

    errors = read_consolidated(out).table("errors").to_dict("records")
    assert [e["src_sheet"] for e in errors if e["code"] == "sheet-copy"] == ["Služby (2)"]


@pytest.mark.parametrize("title, keep_rows, hidden", [("Služby (2)", 0, False), ("Záloha", 3, True)])
def test_an_empty_or_hidden_copy_of_a_sheet_is_no_error(tmp_path, title, keep_rows, hidden):
    path = tmp_path / MUSS
    _copy_services_sheet(CHOMUTOV / MUSS, path, title, keep_rows, hidden)
    [res] = validate_paths([path], workers=1)
    assert res.issues == [] and res.rows == 8


def test_an_archive_of_too_many_entries_is_not_unpacked(tmp_path):
    import zipfile

    from xlkpss.read.archives import MAX_MEMBERS, unpack_zip

    many = tmp_path / "mnoho.zip"
    with zipfile.ZipFile(many, "w") as zf:
        for i in range(10 * MAX_MEMBERS + 1):  # its directory is not even parsed
            zf.writestr(f"obec_{i}.xlsx", b"")
    assert unpack_zip(many, {".xlsx"}) is None
    r = CliRunner().invoke(main, ["validate", str(many)])
    assert r.exit_code == 1 and "Soubor je archiv ZIP, ne sešit (10001 sešitů: obec_0.xlsx" in r.output


def test_files_of_several_years_name_the_stray_ones(tmp_path):
    d = copy_samples(tmp_path / "in")
    stray = d / "obec_563200_malkov_sluzby_2025.xlsx"
    shutil.copy2(d / "obec_563200_malkov_sluzby_2026.xlsx", stray)
    set_ident(stray, rok=2025)
    r = merge_cli([d], tmp_path / "souhrn.xlsx", "--orp", "4203")
    assert r.exit_code != 0 and not (tmp_path / "souhrn.xlsx").exists()
    assert "soubory jsou za více let (2025: obec_563200_malkov_sluzby_2025.xlsx; 2026: 11 souborů)" in r.output
    r = merge_cli([d], tmp_path / "souhrn.xlsx", "--orp", "4203", "--year", "2026")
    assert r.exit_code == 0 and "obec_563200_malkov_sluzby_2025.xlsx" in submissions_by_file(tmp_path / "souhrn.xlsx")


def test_files_of_several_territories_say_how_many_of_each(tmp_path):
    d = copy_samples(tmp_path / "in")
    shutil.copy2(SAMPLES / "orp_4204_kadan" / sorted(p.name for p in (SAMPLES / "orp_4204_kadan").glob("obec_*.xlsx"))[0], d)
    r = merge_cli([d], tmp_path / "souhrn.xlsx")
    assert r.exit_code != 0 and not (tmp_path / "souhrn.xlsx").exists()
    stray = sorted(p.name for p in (SAMPLES / "orp_4204_kadan").glob("obec_*.xlsx"))[0]
    assert f"soubory jsou z více území (Kadaň (4204): {stray}; Chomutov (4203): " in r.output and "--orp KÓD" in r.output


def test_last_years_workbook_of_another_territory_or_year_is_refused(tmp_path):
    this_year = tmp_path / "souhrn_2026.xlsx"
    kadan = tmp_path / "kadan_2025.xlsx"
    assert merge_cli([CHOMUTOV], this_year, "--orp", "4203").exit_code == 0
    assert merge_cli([SAMPLES / "orp_4204_kadan"], kadan, "--orp", "4204").exit_code == 0
    out = tmp_path / "souhrn.xlsx"
    r = merge_cli([CHOMUTOV], out, "--orp", "4203", "--previous", str(this_year))
    assert r.exit_code == 1 and not out.exists()  # every service would have been „expected from last year“: 100 %
    assert "--previous: souhrn_2026.xlsx je souhrn za rok 2026, slučuje se rok 2026; zadejte souhrn za dřívější rok (loňský: 2025)" in r.output
    r = merge_cli([CHOMUTOV], out, "--orp", "4203", "--previous", str(kadan))
    assert r.exit_code == 1 and not out.exists()  # none would have been, every service „new“
    assert "--previous: kadan_2025.xlsx je souhrn za ORP Kadaň (4204), slučuje se ORP Chomutov; zadejte loňský souhrn" in r.output
    from xlkpss.merge.guards import previous_mismatch_message
    from xlkpss.merge.workbook import read_consolidated

    meta = read_consolidated(this_year, tables=("services",)).meta
    assert previous_mismatch_message("x.xlsx", meta, "orp", "4203", "ORP Chomutov", 2027) is None  # a year later: last year's
    assert previous_mismatch_message("x.xlsx", meta, "orp", "4203", "ORP Chomutov", 2028) is None  # or an older one


def test_a_wrong_year_writes_nothing_and_says_which_year_the_files_are(tmp_path):
    out = tmp_path / "souhrn.xlsx"
    r = merge_cli([CHOMUTOV], out, "--orp", "4203", "--year", "2027")
    assert r.exit_code == 1 and not out.exists()  # every file rejected: an empty workbook with exit 0 before
    assert "ani jeden soubor s řádky není za rok 2027; souhrn nebyl vytvořen: soubory jsou za rok 2026 – nezadali jste špatné --year?" in r.output
    d = copy_samples(tmp_path / "in")  # one file of the wrong year among the right ones is left out, as ever
    set_ident(d / MUSS, rok=2025)
    r = merge_cli([d], out, "--orp", "4203", "--year", "2026")
    assert r.exit_code == 0 and submissions_by_file(out)[MUSS]["status"] == "rejected"


def test_the_unpacked_copies_are_removed_when_the_command_ends(tmp_path):
    import glob
    import subprocess
    import sys
    import tempfile
    import zipfile

    with zipfile.ZipFile(tmp_path / "podklady.zip", "w") as zf:
        zf.write(CHOMUTOV / MUSS, MUSS)
    pattern = str(Path(tempfile.gettempdir()) / "xlkpss-zip-*")
    before = set(glob.glob(pattern))
    r = subprocess.run([sys.executable, "-m", "xlkpss", "validate", str(tmp_path)], capture_output=True, text=True)
    assert r.returncode == 0 and f"podklady.zip – {MUSS}: 8 řádků" in r.stdout  # read by the sandboxed workers
    assert set(glob.glob(pattern)) == before


def test_files_of_a_folder_are_reported_in_czech_alphabetical_order(tmp_path):
    d = tmp_path / "dosle"
    d.mkdir()
    for name in ("zlín", "cheb", "ústí", "čáslav", "hodonín", "dolany"):
        shutil.copy2(CHOMUTOV / "obec_563200_malkov_sluzby_2026.xlsx", d / f"{name}.xlsx")
    r = CliRunner().invoke(main, ["validate", str(d)])
    order = [line.split(".xlsx:")[0] for line in r.output.splitlines() if ".xlsx:" in line]
    assert order == ["čáslav", "dolany", "hodonín", "cheb", "ústí", "zlín"]  # Č after C, ch after h


# ---------------------------------------------------------------------------
# a provider's name merged over its services: every row shows it, every row has it
# ---------------------------------------------------------------------------


def _merge_cells(src: Path, dest: Path, ranges: list[str]) -> None:
    wb = openpyxl.load_workbook(src)
    ws = wb[get_template("sluzby").sheet("sluzby").name]
    for ref in ranges:
        ws.merge_cells(ref)
    wb.save(dest)


def test_a_value_merged_down_a_column_counts_for_every_row_of_it(tmp_path):
    d = copy_samples(tmp_path / "in")
    # Poskytovatel (D) and IČO (E) merged over the first three services; the comment (AH) over rows
    # 8-14, below the last service too; a service name (C) merged across into Poskytovatel (D) on row 6
    _merge_cells(CHOMUTOV / MUSS, d / MUSS, ["D2:D4", "E2:E4", "AH8:AH14", "C6:D6"])
    [res] = validate_paths([d / MUSS], workers=1)
    assert res.rows == 8  # the rows the merged comment covers below the services are no records
    frame = res.frames["sluzby"]
    assert frame["poskytovatel"].tolist()[:3] == [frame["poskytovatel"].tolist()[0]] * 3
    assert frame["ico_poskytovatele"].tolist()[:3] == ["00075655"] * 3
    assert [(i.code, i.cell) for i in res.issues] == [("required", "D6")]  # across columns: never copied
    out = tmp_path / "souhrn.xlsx"
    assert merge_cli([d], out, "--orp", "4203").exit_code == 0
    sub = submissions_by_file(out)[MUSS]
    assert (sub["rows_read"], sub["rows_merged"]) == (8, 7)


def test_merged_cells_survive_the_other_formats(tmp_path):
    from tests import lo

    lo.require()
    src = tmp_path / "sloucene.xlsx"
    _merge_cells(CHOMUTOV / MUSS, src, ["D2:D4", "E2:E4"])
    converted = [lo.convert([src], fmt, tmp_path / fmt)[0] for fmt in ("ods", "xls")]
    for path in [src, *converted]:
        [res] = validate_paths([path], workers=1)
        assert (res.rows, res.issues) == (8, []), (path.suffix, res.issues)
