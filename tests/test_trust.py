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
