"""Pre-filled services templates: last year's consolidated workbook (the samples of ORP
Chomutov merged) + the registry fixture → one file per submitter → filled → validated,
and the "sent back unchanged" check."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import lo
import openpyxl
import pytest
from click.testing import CliRunner
from rpss import JIRKOV, write_rpss
from support import GOOD_IDENT_OBEC

from xlkpss.cli import main
from xlkpss.codelists import territory
from xlkpss.merge.workbook import read_consolidated
from xlkpss.registry import import_registry, load_registry, write_registry
from xlkpss.spec import get_template
from xlkpss.template import field_cell
from xlkpss.template.prefill import (
    PrefillSources,
    Submitter,
    build_prefilled,
    expected_submitters,
    fingerprint_rows,
    is_unchanged,
    prefill_stamp,
)
from xlkpss.validate.engine import validate_paths

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "orp_4203_chomutov"
YEAR = 2027
SLUZBY = get_template("sluzby").sheet("sluzby")
YEARLY = [f.key for f in SLUZBY.fields if f.yearly]
COLUMN = {f.key: i + 1 for i, f in enumerate(SLUZBY.fields)}


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    d = tmp_path_factory.mktemp("prefill")
    souhrn = d / "souhrn_2026.xlsx"
    res = CliRunner().invoke(
        main, ["merge", str(SAMPLES), "--orp", "4203", "-o", str(souhrn), "--generated", "2026-12-01", "--quiet"]
    )
    assert res.exit_code == 0, res.output
    registr = write_registry(import_registry(write_rpss(d / "rpss.json"), territory=territory(orp="4203")),
                             d / "registr.xlsx")  # fmt: skip
    return souhrn, registr


def _previous(souhrn: Path) -> list[dict]:
    return read_consolidated(souhrn, tables=["services"]).table("services").to_dict("records")


def _rows(path: Path) -> list[dict]:
    """Služby rows of a file by field key, with each cell's comment (openpyxl: independent of the writer)."""
    ws = openpyxl.load_workbook(path)[SLUZBY.name]
    keys = {c.value: f.key for c in ws[1] for f in SLUZBY.fields if f.label == c.value}
    out = []
    for row in ws.iter_rows(min_row=2):
        rec = {keys[ws.cell(1, c.column).value]: c.value for c in row if ws.cell(1, c.column).value in keys}
        rec["_comments"] = {keys[ws.cell(1, c.column).value]: c.comment.text for c in row if c.comment}
        if any(v is not None for k, v in rec.items() if k != "_comments"):
            out.append(rec)
    return out


def _meta(path: Path) -> dict:
    ws = openpyxl.load_workbook(path)["_xlkpss"]
    return {r[0].value: r[1].value for r in ws.iter_rows() if r[0].value}


def _fill(path: Path, out: Path, *, ident: dict | None = None, yearly: bool = True) -> Path:
    """What a clerk does: Identifikace contacts and date, the year's figures of every row."""
    wb = openpyxl.load_workbook(path)
    kv = get_template("sluzby").sheet("identifikace")
    values = {"zpracoval": "Jana Nováková", "email": "jana@jirkov.cz", "datum_vyplneni": dt.date(2028, 2, 1),
              **(ident or {})}  # fmt: skip
    for key, value in values.items():
        wb[kv.name][field_cell("sluzby", "identifikace", key)] = value
    ws = wb[SLUZBY.name]
    if yearly:
        for r in range(2, ws.max_row + 1):
            if ws.cell(r, COLUMN["nazev_sluzby"]).value is None:
                continue
            for key in YEARLY:
                ws.cell(r, COLUMN[key], 0 if key.startswith("zdroj_") else 10)
    wb.save(out)
    return out


def _key(rec: dict) -> tuple:
    return (
        rec.get("identifikator"),
        rec.get("forma"),
        rec.get("nazev_sluzby") if not rec.get("identifikator") else None,
    )


def test_obec_prefilled_from_last_year_and_registry(sources, tmp_path):
    souhrn, registr = sources
    out = tmp_path / "jirkov.xlsx"
    res = CliRunner().invoke(main, ["template", "sluzby", "--obec", JIRKOV, "--prefill", str(souhrn), "--prefill",
                                    str(registr), "--year", str(YEAR), "-o", str(out)])  # fmt: skip
    assert res.exit_code == 0, res.output
    # independently: what Jirkov reported (its file, or named in Hlásí také) …
    prev = [r for r in _previous(souhrn)
            if (r["submitter_type"] == "obec" and r["submitter_code"] == JIRKOV)
            or f"(obec {JIRKOV})" in str(r["reported_by"] or "")]  # fmt: skip
    # … and what the registry places in Jirkov in 2027
    reg = [s for s in load_registry(registr).values() if s.active_in(YEAR) and JIRKOV in s.municipalities_in(YEAR)]
    rows = _rows(out)
    forms = {"pob": "pobytová", "amb": "ambulantní", "ter": "terénní"}
    expected = {_key(r) for r in prev} | {(s.identifikator, forms[s.forma], None) for s in reg}
    assert {_key(r) for r in rows} == expected and len(rows) == len(expected) == 5
    by_id = {r["identifikator"]: r for r in rows}
    last = {r["identifikator"]: r for r in prev}
    # the registry decides the registered capacity; the cell says what was reported
    assert by_id["3463958"]["kapacita"] == 26
    assert by_id["3463958"]["_comments"]["kapacita"] == "Loni hlášeno: 24; podle registru: 26."
    for r in rows:
        assert all(r.get(k) is None for k in YEARLY), r  # the year's figures are left empty
        assert r["_comments"]["identifikator"].startswith("Předvyplněno")
        assert r["obec"] == "Jirkov"
    # last year's figures are in the comments
    home = by_id["5295122"]
    assert home["_comments"]["pocet_uzivatelu"] == f"Loni (2026): {last['5295122']['pocet_uzivatelu']}"
    assert home["_comments"]["naklady"].endswith(" Kč")
    assert "z registru" in by_id["2025145"]["_comments"]["identifikator"]
    # a registered service last year that the registry does not list is pointed out
    assert "tato služba v této formě není" in by_id["5295122"]["_comments"]["identifikator"]
    assert "není" not in by_id["3463958"]["_comments"]["identifikator"]
    # identification
    wb = openpyxl.load_workbook(out)
    ident = wb["Identifikace"]
    assert ident[field_cell("sluzby", "identifikace", "typ_predkladatele")].value == "obec"
    assert ident[field_cell("sluzby", "identifikace", "kod_obce")].value == JIRKOV
    assert ident[field_cell("sluzby", "identifikace", "rok")].value == YEAR
    meta = _meta(out)
    assert meta["prefill_submitter"] == f"obec:{JIRKOV}" and meta["prefill_rows"] == "5"
    assert [s[0] for s in json.loads(meta["prefill_sources"])] == ["souhrn", "registr"]
    assert meta["prefill_fingerprint"] == fingerprint_rows(
        [{k: v for k, v in r.items() if k != "_comments"} for r in rows]
    )


def test_filled_prefilled_file_validates_and_is_no_longer_unchanged(sources, tmp_path):
    souhrn, registr = sources
    src = PrefillSources.load([souhrn, registr])
    path = build_prefilled(Submitter("obec", JIRKOV, "Jirkov", "4203"), src, tmp_path / "p.xlsx", year=YEAR).path
    assert is_unchanged(path) is True
    contacts_only = _fill(path, tmp_path / "contacts.xlsx", yearly=False)
    assert is_unchanged(contacts_only) is True  # Identifikace filled, services untouched
    filled = _fill(path, tmp_path / "filled.xlsx")
    assert is_unchanged(filled) is False
    [result] = validate_paths([filled], expected_year=YEAR)
    assert result.valid and not result.issues, [(i.code, i.cell) for i in result.issues]
    assert len(result.frames["sluzby"]) == 5
    # a blank template and any other file are simply not pre-filled
    blank = tmp_path / "blank.xlsx"
    assert CliRunner().invoke(main, ["template", "sluzby", "--orp", "4203", "-o", str(blank)]).exit_code == 0
    assert is_unchanged(blank) is None
    assert is_unchanged(souhrn) is None


def test_unknown_registry_type_is_left_for_the_clerk_to_pick(sources, tmp_path):
    souhrn, registr = sources
    src = PrefillSources.load([souhrn, registr])
    res = build_prefilled(Submitter("obec", "562971", "Chomutov", "4203"), src, tmp_path / "c.xlsx", year=YEAR)
    rows = _rows(res.path)
    odd = next(r for r in rows if r["identifikator"] == "9000001")
    assert odd["druh"] is None and "vyberte" in odd["_comments"]["druh"]
    relief = sorted(r["forma"] for r in rows if r["identifikator"] == "4455667")
    assert relief == ["ambulantní", "pobytová", "terénní"]
    filled = _fill(res.path, tmp_path / "cf.xlsx", ident={"kod_obce": "562971"})
    [result] = validate_paths([filled], expected_year=YEAR)
    row = 2 + [r["identifikator"] for r in rows].index("9000001")
    assert [(i.code, i.cell) for i in result.errors] == [("required", f"F{row}")]
    wb = openpyxl.load_workbook(filled)
    wb[SLUZBY.name].cell(row, COLUMN["druh"], "§37 Odborné sociální poradenství")
    wb.save(filled)
    [result] = validate_paths([filled], expected_year=YEAR)
    assert result.valid, [(i.code, i.cell) for i in result.errors]


def test_ended_registration_is_not_prefilled(sources, tmp_path):
    souhrn, registr = sources
    out = tmp_path / "sporice.xlsx"
    res = CliRunner().invoke(main, ["template", "sluzby", "--obec", "563340", "--prefill", str(souhrn), "--prefill",
                                    str(registr), "--year", str(YEAR), "-o", str(out)])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "5781313" in res.output and "ukončena k 31. 12. 2024" in res.output
    assert _rows(out) == []
    # without the registry, last year's report is all there is
    res = CliRunner().invoke(main, ["template", "sluzby", "--obec", "563340", "--prefill", str(souhrn),
                                    "--year", str(YEAR), "-o", str(out)])  # fmt: skip
    assert [r["identifikator"] for r in _rows(out)] == ["5781313"]


def test_provider_prefilled_in_its_orp(sources, tmp_path):
    souhrn, registr = sources
    out = tmp_path / "charita.xlsx"
    res = CliRunner().invoke(main, ["template", "sluzby", "--ico", "46225315", "--prefill", str(souhrn), "--prefill",
                                    str(registr), "--year", str(YEAR), "-o", str(out)])  # fmt: skip
    assert res.exit_code == 0, res.output
    prev = {r["identifikator"] for r in _previous(souhrn) if r["ico_poskytovatele"] == "46225315"}
    reg = {s.identifikator for s in load_registry(registr).values() if s.ico == "46225315" and s.active_in(YEAR)
           and s.municipalities_in(YEAR)}  # fmt: skip
    rows = _rows(out)
    assert {r["identifikator"] for r in rows} == prev | reg
    assert all(r["ico_poskytovatele"] == "46225315" for r in rows)
    ident = openpyxl.load_workbook(out)["Identifikace"]
    cell = {k: ident[field_cell("sluzby", "identifikace", k)].value for k in ("typ_predkladatele", "ico", "kod_obce",
                                                                               "nazev", "kod_orp")}  # fmt: skip
    assert cell == {"typ_predkladatele": "poskytovatel", "ico": "46225315", "kod_obce": None,
                    "nazev": "Oblastní charita Chomutov", "kod_orp": "Chomutov"}  # fmt: skip
    filled = _fill(out, tmp_path / "charita_filled.xlsx", ident={"email": "charita@chomutov.cz"})
    [result] = validate_paths([filled], expected_year=YEAR)
    # the only error: the service whose type the registry does not know
    assert [(i.code, i.column) for i in result.errors] == [("required", "Druh služby")]


def test_per_submitter_files_and_index(sources, tmp_path):
    souhrn, registr = sources
    out = tmp_path / "rozeslat"
    res = CliRunner().invoke(main, ["template", "sluzby", "--orp", "4203", "--prefill", str(souhrn), "--prefill",
                                    str(registr), "--year", str(YEAR), "--per-submitter", str(out)])  # fmt: skip
    assert res.exit_code == 0, res.output
    raw = (out / "seznam_souboru.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    obce = [r for r in lines if r["Předkladatel"] == "obec"]
    assert {r["Kód obce / IČO"] for r in obce} == {m.code for m in territory(orp="4203").municipalities}
    prev = _previous(souhrn)
    providers = {r["ico_poskytovatele"] for r in prev} | {
        s.ico for s in load_registry(registr).values() if s.active_in(YEAR) and s.municipalities_in(YEAR)
    }
    assert {r["Kód obce / IČO"] for r in lines if r["Předkladatel"] == "poskytovatel"} == providers
    files = sorted(p.name for p in out.glob("*.xlsx"))
    assert files == sorted(r["Soubor"] for r in lines) and len(files) == len(lines)
    for r in lines:
        path = out / r["Soubor"]
        stamp = prefill_stamp(_meta(path))
        assert stamp is not None and stamp.rows == int(r["Předvyplněných řádků"]) == len(_rows(path))
        assert stamp.submitter.split(":")[1].split("@")[0] == r["Kód obce / IČO"]
    chomutov = next(r for r in obce if r["Kód obce / IČO"] == "562971")
    assert int(chomutov["Z registru"]) == 8 and int(chomutov["Z loňského hlášení"]) == 17
    sporice = next(r for r in obce if r["Kód obce / IČO"] == "563340")
    assert "ukončena" in sporice["Poznámka"]
    # the same list as the library gives
    subs = expected_submitters(territory(orp="4203"), PrefillSources.load([souhrn, registr]), YEAR)
    assert [s.code for s in subs] == [r["Kód obce / IČO"] for r in lines]


def test_usage_errors(sources, tmp_path):
    souhrn, _registr = sources
    run = CliRunner().invoke
    base = ["template", "sluzby", "--prefill", str(souhrn)]
    assert run(main, [*base, "--orp", "4203", "-o", str(tmp_path / "a.xlsx")]).exit_code == 2  # no --year
    assert run(main, [*base, "--kraj", "CZ042", "--year", "2027", "-o", str(tmp_path / "a.xlsx")]).exit_code == 2
    assert run(main, ["template", "plan", "--prefill", str(souhrn), "--obec", JIRKOV, "--year", "2027",
                      "-o", str(tmp_path / "a.xlsx")]).exit_code == 2  # fmt: skip
    res = run(main, [*base, "--ico", "12345678", "--year", "2027", "-o", str(tmp_path / "a.xlsx")])
    assert res.exit_code == 1 and "12345678" in res.output
    res = run(main, ["template", "sluzby", "--prefill", str(SAMPLES / "plan_jirkov_2026.xlsx"), "--obec", JIRKOV,
                     "--year", "2027", "-o", str(tmp_path / "a.xlsx")])  # fmt: skip
    assert res.exit_code == 1 and "souhrnný sešit" in res.output
    assert not (tmp_path / "a.xlsx").exists()


@pytest.mark.libreoffice
def test_unchanged_survives_a_libreoffice_resave_and_a_filled_one_validates(sources, tmp_path):
    lo.require(uno=True)
    souhrn, registr = sources
    src = PrefillSources.load([souhrn, registr])
    path = build_prefilled(Submitter("obec", JIRKOV, "Jirkov", "4203"), src, tmp_path / "jirkov.xlsx", year=YEAR).path
    for fmt in ("xlsx", "ods"):
        [resaved] = lo.convert([path], fmt, tmp_path / f"lo_{fmt}")
        assert is_unchanged(resaved) is True, fmt
    rows = _rows(path)
    values = {"Identifikace": {field_cell("sluzby", "identifikace", "zpracoval"): "Jana Nováková",
                               field_cell("sluzby", "identifikace", "email"): GOOD_IDENT_OBEC["email"],
                               field_cell("sluzby", "identifikace", "datum_vyplneni"): "1.2.2028"},
              SLUZBY.name: {field_cell("sluzby", "sluzby", k, r): ("0" if k.startswith("zdroj_") else "1 250")
                            for r in range(2, len(rows) + 2) for k in YEARLY}}  # fmt: skip
    filled = tmp_path / "filled.ods"
    lo.fill(path, values, filled)
    assert is_unchanged(filled) is False
    [result] = validate_paths([filled], expected_year=YEAR)
    assert result.valid and not result.errors, [(i.code, i.cell) for i in result.errors]
