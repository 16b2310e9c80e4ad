"""Completeness per service and the chasing pack, on real files: the registry fixture
and last year's samples → pre-filled files for every submitter of ORP Chomutov → some
filled (openpyxl), one sent back unchanged, the rest missing → merged with --registry,
--previous and --deadline → the comparison sheet and the chasing pack checked against
an independent count (openpyxl reads of the files themselves)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import shutil
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from rpss import CHOMUTOV_ROWS, FIXTURE, JIRKOV, write_rpss

from xlkpss.cli import main
from xlkpss.codelists import codelist, municipalities, territory
from xlkpss.merge.expected import FINDINGS
from xlkpss.merge.model import SHEETS
from xlkpss.registry import import_registry, write_registry
from xlkpss.spec import get_template
from xlkpss.template import field_cell
from xlkpss.template.prefill import is_unchanged
from xlkpss.validate.engine import validate_paths

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "orp_4203_chomutov"
YEAR = 2027
SLUZBY = get_template("sluzby").sheet("sluzby")
COLUMN = {f.key: i + 1 for i, f in enumerate(SLUZBY.fields)}
YEARLY = [f.key for f in SLUZBY.fields if f.yearly]
LABEL = {f.key: f.label for f in SLUZBY.fields}
ORP = "4203"
CHARITA, MUSS, KUPROSPECHU = "46225315", "00075655", "26752018"
MALKOV = "563200"  # one service last year; this year its file is rejected (Rok 2026)
DEADLINE = "2027-03-31"


def _form(value) -> str | None:
    item = codelist("formy").resolve(value) if value else None
    return item.code if item else None


def _keys_of_file(path: Path) -> set[tuple]:
    """(identifikátor, forma) of every service row of a file — read with openpyxl."""
    ws = openpyxl.load_workbook(path, read_only=True)[SLUZBY.name]
    rows = list(ws.iter_rows(values_only=True))
    head = {v: i for i, v in enumerate(rows[0])}
    out = set()
    for r in rows[1:]:
        name = r[head[LABEL["nazev_sluzby"]]]
        if not name:
            continue
        ident = r[head[LABEL["identifikator"]]]
        out.add((str(ident), _form(r[head[LABEL["forma"]]])) if ident else ("", str(name)))
    return out


def _fill(src: Path, out: Path, *, date: dt.date, yearly: bool = True, capacity: dict | None = None,
          drop: set[str] = frozenset(), forma: dict | None = None, add: dict | None = None,
          ident: dict | None = None) -> Path:  # fmt: skip
    """What a clerk does (openpyxl): contacts and date, the year's figures, some edits."""
    wb = openpyxl.load_workbook(src)
    kv = get_template("sluzby").sheet("identifikace")
    for key, value in {"zpracoval": "Jana Nováková", "email": "jana.novakova@example.cz", "telefon": "474123456",
                       "datum_vyplneni": date, **(ident or {})}.items():  # fmt: skip
        wb[kv.name][field_cell("sluzby", "identifikace", key)] = value
    ws = wb[SLUZBY.name]
    for r in range(ws.max_row, 1, -1):
        if str(ws.cell(r, COLUMN["identifikator"]).value) in drop:
            ws.delete_rows(r)
    if add:
        r = ws.max_row + 1
        while ws.cell(r - 1, COLUMN["nazev_sluzby"]).value is None and r > 2:
            r -= 1
        for key, value in add.items():
            ws.cell(r, COLUMN[key], value)
    for r in range(2, ws.max_row + 1):
        if ws.cell(r, COLUMN["nazev_sluzby"]).value is None:
            continue
        ident = str(ws.cell(r, COLUMN["identifikator"]).value)
        if yearly:
            for key in YEARLY:
                ws.cell(r, COLUMN[key], 0 if key.startswith("zdroj_") else 10)
        if capacity and ident in capacity:
            ws.cell(r, COLUMN["kapacita"], capacity[ident])
        if forma and ident in forma:
            ws.cell(r, COLUMN["forma"], forma[ident])
    wb.save(out)
    return out


def _run(*args) -> str:
    res = CliRunner().invoke(main, [str(a) for a in args])
    assert res.exit_code == 0, res.output
    return res.output


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    d = tmp_path_factory.mktemp("completeness")
    souhrn = d / "souhrn_2026.xlsx"
    _run("merge", SAMPLES, "--orp", ORP, "-o", souhrn, "--generated", "2026-12-01", "--quiet")
    registr = write_registry(import_registry(write_rpss(d / "rpss.json"), territory=territory(orp=ORP)),
                             d / "registr.xlsx")  # fmt: skip
    files = d / "predvyplneno"
    _run("template", "sluzby", "--orp", ORP, "--prefill", souhrn, "--prefill", registr, "--year", YEAR,
         "--per-submitter", files)  # fmt: skip
    back = d / "dosle"
    back.mkdir()
    by_code = {p.name.split("_")[1]: p for p in files.glob("*.xlsx")}
    # the single-file forms of the pre-fill: an obec, the ORP itself and a provider
    single = d / "jednotlive"
    single.mkdir()
    for option, code in (("--obec", MALKOV), ("--orp", ORP), ("--ico", CHARITA)):
        _run("template", "sluzby", option, code, "--prefill", souhrn, "--prefill", registr, "--year", YEAR,
             "-o", single / f"{code}.xlsx")  # fmt: skip
    # Jirkov: filled on time; the low-threshold club reported as terénní (registry: ambulantní);
    # one new service that is in no registry
    jirkov = _fill(by_code[JIRKOV], back / "jirkov.xlsx", date=dt.date(2027, 3, 20), forma={"2025145": "terénní"},
                   add={"identifikator": "1111111", "registrovana": "ano", "nazev_sluzby": "Nová poradna Jirkov",
                        "poskytovatel": "Město Jirkov", "ico_poskytovatele": "00261904",
                        "druh": codelist("druhy_sluzeb").get("1").display, "forma": "ambulantní",
                        "kapacita": 5, "typ_kapacity": "klienti", "obec": "Jirkov",
                        "cilova_skupina_1": codelist("cilove_skupiny").get("24").display})  # fmt: skip
    # Charita: late; one capacity differs from the registry; two services left out
    charita = _fill(single / f"{CHARITA}.xlsx", back / "charita.xlsx", date=dt.date(2027, 4, 5),
                    capacity={"7439893": 40}, drop={"9323766", "9000001"})  # fmt: skip
    # Málkov: filled, but Rok says last year: the whole file is rejected
    malkov = _fill(single / f"{MALKOV}.xlsx", back / "malkov.xlsx", date=dt.date(2027, 3, 10), ident={"rok": 2026})
    # MÚSS: contacts and date filled, the services sheet sent back exactly as pre-filled
    muss = _fill(by_code[MUSS], back / "muss.xlsx", date=dt.date(2027, 3, 1), yearly=False)
    out = d / "souhrn_2027.xlsx"
    html = d / "souhrn_2027.html"
    log = _run("merge", back, "--orp", ORP, "--year", YEAR, "--registry", registr, "--previous", souhrn, "--deadline", DEADLINE,
               "-o", out, "--html", html, "--generated", "2027-04-10")  # fmt: skip
    return {"dir": d, "souhrn": souhrn, "registr": registr, "files": files, "out": out, "html": html, "log": log,
            "jirkov": jirkov, "charita": charita, "muss": muss, "malkov": malkov, "single": single,
            "by_code": by_code}  # fmt: skip


def _sheet(path: Path, key: str) -> list[dict]:
    ws = openpyxl.load_workbook(path, read_only=True)[SHEETS[key]]
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:] if any(v is not None for v in r)]


def _independent_expected(souhrn: Path) -> set[tuple]:
    """Last year's services of the ORP (its workbook read with openpyxl) ∪ the registry
    fixture's services of the ORP provided in the year; minus registrations ended before it."""
    out = set()
    for r in _sheet(souhrn, "services"):
        if str(r["Kód ORP"]) != ORP:
            continue
        ident = r[LABEL["identifikator"]]
        out.add((str(ident), _form(r[LABEL["forma"]])) if ident else ("", r[LABEL["nazev_sluzby"]]))
    ended = {("5781313", "ter")}  # datumPoskytovaniDo 2024-12-31 in the fixture
    return (out | CHOMUTOV_ROWS) - ended


def test_prefilled_for_an_obec_the_orp_and_a_provider(world):
    """Each single-file pre-fill holds exactly the submitter's services (independent reads)."""
    single, by_code = world["single"], world["by_code"]
    last_year = [r for r in _sheet(world["souhrn"], "services") if str(r["Kód ORP"]) == ORP]
    malkov = {_key(r) for r in last_year if str(r["Kód obce"]) == MALKOV}
    assert malkov and _keys_of_file(single / f"{MALKOV}.xlsx") == malkov == _keys_of_file(by_code[MALKOV])
    # the ORP as submitter: what the registry lists in the ORP for the year (it reported nothing itself)
    assert _keys_of_file(single / f"{ORP}.xlsx") == CHOMUTOV_ROWS - {("5781313", "ter")}
    # the provider: its services of last year and of the registry, as in its --per-submitter file
    charita = {_key(r) for r in last_year if str(r[LABEL["ico_poskytovatele"]]) == CHARITA}
    ids = {str(i.get("identifikator")) for i in FIXTURE if isinstance(i, dict) and (i.get("poskytovatel") or {}).get("ico") == CHARITA}  # fmt: skip
    registered = {k for k in CHOMUTOV_ROWS if k[0] in ids}
    assert len(registered) == 3
    assert _keys_of_file(single / f"{CHARITA}.xlsx") == charita | registered == _keys_of_file(by_code[CHARITA])


def _key(r: dict) -> tuple:
    ident = r[LABEL["identifikator"]]
    return (str(ident), _form(r[LABEL["forma"]])) if ident else ("", r[LABEL["nazev_sluzby"]])


def test_comparison_sheet_lists_exactly_the_seeded_findings(world):
    rows = _sheet(world["out"], "service_comparison")
    by_finding: dict[str, set] = {}
    for r in rows:
        by_finding.setdefault(r["Zjištění"], set()).add(_key(r))
    expected = _independent_expected(world["souhrn"])
    fresh = _keys_of_file(world["jirkov"]) | _keys_of_file(world["charita"])
    unchanged = _keys_of_file(world["muss"]) - fresh
    # the Jirkov club was reported as terénní: one row, under the registered form
    club_reported, club_registered = ("2025145", "ter"), ("2025145", "amb")
    new = {("1111111", "amb")}
    assert club_reported in fresh and club_registered not in fresh
    reported_expected = ((fresh - {club_reported}) & expected) | {club_registered}
    assert by_finding.get(FINDINGS["unchanged"]) == unchanged & expected
    assert by_finding.get(FINDINGS["missing"]) == expected - reported_expected - unchanged
    # the rejected file of Málkov counts for nothing: its service is reported by the provider alone
    malkov = [r for r in rows if _key(r) in _keys_of_file(world["malkov"])]
    assert malkov and all("Málkov" not in (r["Hlásí"] or "") and r["Hlásí"] for r in malkov)
    # reported and not in the registry: last year's unregistered ones and the new one
    assert by_finding.get(FINDINGS["unregistered"]) == (reported_expected | new) - CHOMUTOV_ROWS
    assert ("", "Senior Point Jirkov") in by_finding[FINDINGS["unregistered"]]
    # a row shows the report (the club as terénní) and the registry's value where it differs
    assert by_finding.get(FINDINGS["different"]) == {club_reported, ("7439893", "ter")}
    different = {club_registered, ("7439893", "ter")}
    assert by_finding.get(FINDINGS["reported"]) == (reported_expected & CHOMUTOV_ROWS) - different
    assert sum(len(v) for v in by_finding.values()) == len(rows)  # one row per service
    # the registry's values where the report differs, and nothing else
    diffs = {(_key(r), col): r[col] for r in rows for col in ("Druh v registru", "Forma v registru",
             "Kapacita v registru", "Typ kapacity v registru") if r[col] is not None}  # fmt: skip
    assert diffs == {(("7439893", "ter"), "Kapacita v registru"): 35, (club_reported, "Forma v registru"): "ambulantní"}
    # completeness by services = reported ÷ expected, in the overview and the CLI
    n_exp, n_rep = len(expected), len(reported_expected)
    overview = {r["Ukazatel"]: r for r in _sheet_overview(world["out"])}
    assert overview["Úplnost podle služeb"]["Hodnota"] == pytest.approx(round(100 * n_rep / n_exp, 1))
    assert f"({n_rep} z {n_exp} očekávaných" in world["log"]
    assert "vráceno beze změny (předvyplněné šablony bez údajů za rok): 1" in world["log"]


def _sheet_overview(path: Path) -> list[dict]:
    ws = openpyxl.load_workbook(path, read_only=True)[SHEETS["overview"]]
    rows = list(ws.iter_rows(values_only=True))[3:]
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def test_unchanged_file_is_said_so_and_validates(world):
    assert is_unchanged(world["muss"]) is True and is_unchanged(world["charita"]) is False
    [result] = validate_paths([world["muss"]], expected_year=YEAR)
    assert not result.rejected
    subs = {r["Soubor"]: r for r in _sheet(world["out"], "submissions") if r["Soubor"]}
    assert "vráceno beze změny" in subs["muss.xlsx"]["Poznámka"]
    assert "beze změny" not in (subs["jirkov.xlsx"]["Poznámka"] or "")
    # timeliness from Datum vyplnění
    assert subs["jirkov.xlsx"]["Dodržení termínu"] == "včas"
    assert subs["charita.xlsx"]["Dodržení termínu"] == "po termínu"
    assert subs["malkov.xlsx"]["Stav"] == "odmítnuto"
    missing = [r for r in _sheet(world["out"], "submissions") if r["Stav"] == "chybí"]
    assert missing and all(r["Dodržení termínu"] == "chybí" for r in missing)


def test_per_submitter_counts(world):
    rows = {(r["Typ předkladatele"], str(r["Kód / IČO"])): r for r in _sheet(world["out"], "submitter_completeness")
            if r["Kód / IČO"]}  # fmt: skip
    charita = rows[("poskytovatel", CHARITA)]
    assert charita["Nehlášených služeb"] == 2 and "po termínu" in charita["Co chybí nebo je špatně"]
    assert "Azylový dům pro muže Chomutov" in charita["Nehlášené služby"]
    assert charita["E-mail"] == "jana.novakova@example.cz"
    muss = rows[("poskytovatel", MUSS)]
    assert muss["Vráceno beze změny"] == "ano" and muss["Hlášených služeb"] == 0
    assert rows[("obec", JIRKOV)]["Nehlášených služeb"] == 0 and rows[("obec", JIRKOV)]["Nových služeb"] == 1
    total = next(r for r in _sheet(world["out"], "submitter_completeness") if not r["Kód / IČO"])
    assert total["Očekávaných služeb"] == sum(r["Očekávaných služeb"] for r in rows.values())


def test_html_summary_shows_completeness_per_service(world):
    page = world["html"].read_text(encoding="utf-8")
    assert "Úplnost podle služeb" in page and "Porovnání s registrem" in page
    assert "Azylový dům pro muže Chomutov" in page  # a missing service is named


def test_chasing_pack_lists_exactly_the_missing_rejected_unchanged_and_incomplete(world, tmp_path):
    out = tmp_path / "urgence"
    log = _run("chase", world["out"], "--prefill", world["souhrn"], "--prefill", world["registr"], "-o", out)
    assert "rozeslani.csv" in log
    text = (out / "rozeslani.csv").read_bytes().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    got = {(r["Předkladatel"], r["Kód obce / IČO"]): r for r in rows}
    obce = {m.code for m in territory(orp=ORP).municipalities}
    want = {("obec", code) for code in obce - {JIRKOV}}
    want |= {("poskytovatel", CHARITA), ("poskytovatel", MUSS), ("poskytovatel", KUPROSPECHU)}
    assert set(got) == want
    # the rejected file: chased with why, and its fresh pre-filled file
    assert got[("obec", MALKOV)]["Stav"] == "odmítnuto", got[("obec", MALKOV)]
    assert "Rok" in got[("obec", MALKOV)]["Co chybí nebo je špatně"]
    assert _keys_of_file(out / got[("obec", MALKOV)]["Soubor k přiložení"]) == _keys_of_file(world["malkov"])
    assert {r["Stav"] for k, r in got.items() if k[0] == "obec" and k[1] != MALKOV} == {"chybí"}
    assert got[("poskytovatel", MUSS)]["Stav"] == "vráceno beze změny"
    assert got[("poskytovatel", CHARITA)]["Stav"] == "neúplné"
    assert got[("poskytovatel", KUPROSPECHU)]["Stav"] == "chybí" and got[("poskytovatel", KUPROSPECHU)]["Nehlášené služby"]
    assert got[("poskytovatel", CHARITA)]["E-mail"] == "jana.novakova@example.cz"
    assert got[("poskytovatel", MUSS)]["E-mail"] == "jana.novakova@example.cz"  # this year's file before the registry
    assert {r["Termín"] for r in rows} == {"31. 3. 2027"}
    for r in rows:
        attached = out / r["Soubor k přiložení"]
        assert attached.is_file(), r
    assert sorted(p.name for p in out.glob("*.xlsx")) == sorted(r["Soubor k přiložení"] for r in rows)
    # an attached pre-filled file holds the submitter's services and validates once filled
    charita = out / got[("poskytovatel", CHARITA)]["Soubor k přiložení"]
    assert ("9323766", "pob") in _keys_of_file(charita)
    filled = _fill(charita, tmp_path / "charita_doplneno.xlsx", date=dt.date(2027, 4, 20), drop={"9000001"})
    [result] = validate_paths([filled], expected_year=YEAR)
    assert result.valid, [(i.code, i.cell) for i in result.errors]
    # nothing in the CSV is a formula
    assert not any(v.startswith(("=", "+", "@")) for r in rows for v in r.values())


def test_chase_without_deadline_and_merge_without_comparison(world, tmp_path):
    plain = tmp_path / "plain.xlsx"
    _run("merge", world["dir"] / "dosle", "--orp", ORP, "--year", YEAR, "-o", plain, "--quiet")
    assert SHEETS["service_comparison"] not in openpyxl.load_workbook(plain, read_only=True).sheetnames
    res = CliRunner().invoke(main, ["chase", str(plain), "-o", str(tmp_path / "u")])
    assert res.exit_code == 1 and "--deadline" in res.output and "Traceback" not in res.output
    _run("chase", plain, "-o", tmp_path / "u", "--deadline", DEADLINE)
    rows = list(csv.DictReader(io.StringIO((tmp_path / "u" / "rozeslani.csv").read_text("utf-8-sig")), delimiter=";"))
    # without the comparison: the obce that sent nothing (MÚSS' unchanged file was accepted)
    assert {r["Kód obce / IČO"] for r in rows} == {m.code for m in territory(orp=ORP).municipalities} - {JIRKOV}
    assert next(r["Stav"] for r in rows if r["Kód obce / IČO"] == MALKOV) == "odmítnuto"


def test_deadline_from_the_file_time_when_datum_vyplneni_is_blank(world, tmp_path):
    """No Datum vyplnění: timeliness from the file's time (late after the deadline, on time before)."""
    folder = tmp_path / "dosle"
    folder.mkdir()
    wb = openpyxl.load_workbook(world["jirkov"])
    wb[get_template("sluzby").sheet("identifikace").name][field_cell("sluzby", "identifikace", "datum_vyplneni")] = None
    late = folder / "jirkov_bez_data.xlsx"
    wb.save(late)
    saved = dt.datetime(2027, 4, 2, 12, 0).timestamp()
    os.utime(late, (saved, saved))
    out = tmp_path / "s.xlsx"
    _run("merge", folder, "--orp", ORP, "--year", YEAR, "--deadline", DEADLINE, "-o", out, "--quiet")
    row = next(r for r in _sheet(out, "submissions") if r["Soubor"] == late.name)
    assert row["Dodržení termínu"] == "po termínu"
    assert "uložen 2. 4. 2027" in row["Poznámka"] and "datum vyplnění chybí" in row["Poznámka"]
    early = dt.datetime(2027, 3, 30, 12, 0).timestamp()
    os.utime(late, (early, early))
    _run("merge", folder, "--orp", ORP, "--year", YEAR, "--deadline", DEADLINE, "-o", out, "--quiet")
    row = next(r for r in _sheet(out, "submissions") if r["Soubor"] == late.name)
    assert row["Dodržení termínu"] == "včas"
