"""The regional network of services (krajská síť, template ``sit``) against the reports.

Real files end to end: the network template generated from the spec → filled with
openpyxl from an independent reading of the sample submissions (openpyxl, not the
merge) → differences seeded into the network AND into a copied submission → validated →
merged with ``--network`` (ORP and kraj) → the sheet *Síť vs skutečnost* read back and
compared with exactly the seeded differences; units per 1,000 inhabitants and the kraj
median recomputed here from ``obce.csv`` and the network rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from xlkpss.cli import main
from xlkpss.codelists import codelist, municipalities, territory
from xlkpss.merge import network as net
from xlkpss.merge.consolidate import MergeError, merge_paths
from xlkpss.merge.model import SHEETS
from xlkpss.merge.workbook import read_consolidated, write_consolidated
from xlkpss.spec import get_template
from xlkpss.template import build_template, field_cell
from xlkpss.validate.engine import validate_paths

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
ORP_DIRS = {"4203": SAMPLES / "orp_4203_chomutov", "4204": SAMPLES / "orp_4204_kadan"}
KRAJ, YEAR = "CZ042", 2026
SLUZBY = get_template("sluzby").sheet("sluzby")
SIT = get_template("sit").sheet("sit")
S_LABEL = {f.key: f.label for f in SLUZBY.fields}
IDENT = {"nazev": "Krajský úřad Ústeckého kraje", "zpracoval": "Ing. Petra Novotná", "email": "sit@kr-ustecky.cz"}


def _run(*args) -> tuple[int, str]:
    res = CliRunner().invoke(main, [str(a) for a in args])
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    assert "Traceback" not in res.output
    return res.exit_code, res.output


# --- an independent reading of the submissions (openpyxl) ------------------------------------------


def _reported(folder: Path) -> dict[tuple[str, str], dict]:
    """Registered services of a sample folder by (identifikátor, forma text): the values of
    the Služby sheets as typed, ORP from the obec (services reported twice are the same)."""
    code = folder.name.split("_")[1]
    obce = {codelist("obce", territory(orp=code)).get(m.code).display: m for m in municipalities().values() if m.orp == code}
    out: dict[tuple[str, str], dict] = {}
    for path in sorted(folder.glob("*.xlsx")):
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        if SLUZBY.name not in wb.sheetnames:
            continue
        rows = list(wb[SLUZBY.name].iter_rows(values_only=True))
        head = {v: i for i, v in enumerate(rows[0])}
        for r in rows[1:]:
            get = lambda key: r[head[S_LABEL[key]]]  # noqa: E731
            if not get("nazev_sluzby") or get("registrovana") != "ano":
                continue
            rec = {k: get(k) for k in ("identifikator", "nazev_sluzby", "poskytovatel", "ico_poskytovatele", "druh",
                                        "forma", "kapacita", "typ_kapacity", "uvazky")}  # fmt: skip
            rec["orp"] = obce[get("obec")].orp
            out[(str(rec["identifikator"]), rec["forma"])] = rec
    return out


def _clean_network() -> list[dict]:
    """The network exactly as reported: one entry per registered service of both sample ORP."""
    rows = []
    for folder in ORP_DIRS.values():
        for rec in _reported(folder).values():
            rows.append({**rec, "orp": codelist("orp").get(rec["orp"]).display})
    return rows


def write_network(path: Path, rows: list[dict], *, kraj: str = KRAJ, year: int = YEAR) -> Path:
    """The network template generated from the spec, filled as a regional office would (openpyxl)."""
    blank = build_template("sit", path, year=year, scope=territory(kraj=kraj), prefill=IDENT)
    wb = openpyxl.load_workbook(blank)
    ident = wb[get_template("sit").sheet("identifikace").name]
    ident[field_cell("sit", "identifikace", "datum_vyplneni")].value = dt.datetime(2026, 1, 15)
    ws = wb[SIT.name]
    cols = {f.key: i + 1 for i, f in enumerate(SIT.fields)}
    for r, values in enumerate(rows, start=2):
        for key, value in values.items():
            if value is not None and key in cols:
                ws.cell(r, cols[key], value)
    wb.save(path)
    return path


# --- the seeded differences ----------------------------------------------------------------------------------

NEW_ID = "7777777"  # in the network, reported by nobody
DROPPED = "Nízkoprahový klub Jirkov"  # reported, left out of the network
MORE_BEDS = "Domov pro seniory Bezručova"  # network +7 beds
LESS_FTE = "Terénní programy Chomutovsko"  # network FTE 5 → 7.5
OTHER_TYPE = "Raná péče Kuprospěchu"  # network in contacts instead of clients
CHANGED_REPORT = "Domov pro seniory Jirkov"  # the submission changed 65 → 70 beds (network keeps 65)
MOVED = "Pečovatelská služba Kadaň"  # reported in ORP Kadaň, network lists it for ORP Chomutov

def _rest_of_kraj() -> list[dict]:
    """A home for seniors and a care service in each of the 14 other ORP of the kraj (whose
    workbooks nobody merged), with capacities that differ from ORP to ORP."""
    from xlkpss.codelists import orps

    out = []
    others = sorted(o for o, r in orps().items() if r["kod_kraje"] == KRAJ and o not in ORP_DIRS)
    for i, code in enumerate(others):
        name = orps()[code]["nazev_orp"]
        for j, (druh, forma, typ, units) in enumerate((("13", "pobytová", "lůžka", 40 + 17 * i), ("4", "terénní", "klienti", 90 + 23 * (i % 5)))):
            out.append({"identifikator": f"76{int(code):04d}{j}", "nazev_sluzby": f"Služba {j + 1} ORP {name}",
                        "ico_poskytovatele": "00075655", "poskytovatel": f"Poskytovatel {name}", "forma": forma,
                        "druh": codelist("druhy_sluzeb").get(druh).display, "orp": name, "kapacita": units,
                        "typ_kapacity": typ, "uvazky": units / 4})  # fmt: skip
    return out



def _seeded(rows: list[dict]) -> list[dict]:
    out = []
    for r in rows:
        r = dict(r)
        if r["nazev_sluzby"] == DROPPED:
            continue
        if r["nazev_sluzby"] == MORE_BEDS:
            r["kapacita"] += 7
        if r["nazev_sluzby"] == LESS_FTE:
            r["uvazky"] = 7.5
        if r["nazev_sluzby"] == OTHER_TYPE:
            r["typ_kapacity"] = "kontakty"
        if r["nazev_sluzby"] == MOVED:
            r["orp"] = "Chomutov"
        out.append(r)
    common = {"ico_poskytovatele": "00075655", "poskytovatel": "Městský ústav sociálních služeb Chomutov, p. o."}
    out.append({**common, "identifikator": NEW_ID, "nazev_sluzby": "Odlehčovací služby terénní", "forma": "terénní",
                "druh": codelist("druhy_sluzeb").get("8").display, "orp": "Chomutov", "kapacita": 12,
                "typ_kapacity": "klienti", "uvazky": 2.0})  # fmt: skip
    return out + _rest_of_kraj()


def _change_report(folder: Path) -> None:
    """In the copied Jirkov file, the home for seniors now reports 70 beds (the network keeps 65)."""
    path = next(folder.glob("obec_563099_jirkov_*.xlsx"))
    wb = openpyxl.load_workbook(path)
    ws = wb[SLUZBY.name]
    head = {c.value: c.column for c in ws[1]}
    for row in ws.iter_rows(min_row=2):
        if row[head[S_LABEL["nazev_sluzby"]] - 1].value == CHANGED_REPORT:
            row[head[S_LABEL["kapacita"]] - 1].value = 70
    wb.save(path)


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("network")
    dirs = {}
    for code, src in ORP_DIRS.items():
        dirs[code] = tmp / src.name
        shutil.copytree(src, dirs[code])
    _change_report(dirs["4203"])
    clean = _clean_network()
    sit = write_network(tmp / "sit_2026.xlsx", _seeded(clean))
    books = {}
    for code, folder in dirs.items():
        c = merge_paths([folder], territory=territory(orp=code), generated="2026-12-01", network=sit if code == "4203" else None)
        books[code] = write_consolidated(c, tmp / f"souhrn_orp_{code}.xlsx")
    kraj = merge_paths(list(books.values()), territory=territory(kraj=KRAJ), generated="2026-12-01", network=sit)
    kraj_book = write_consolidated(kraj, tmp / "souhrn_kraj.xlsx")
    return {"tmp": tmp, "sit": sit, "clean": clean, "orp": books, "kraj": kraj_book, "dirs": dirs}


def _services(book: Path) -> list[dict]:
    t = read_consolidated(book).table(net.SHEET_KEY)
    return [r for r in t.to_dict("records") if r["row_kind"] == net.SERVICE]


def _name_of(clean: list[dict], name: str) -> dict:
    return next(r for r in clean if r["nazev_sluzby"] == name)


# --- the template ------------------------------------------------------------------------------------------------


def test_the_demo_names_the_network_kind_without_importing_it():
    from xlkpss.commands import demo

    assert demo.NETWORK_KIND == net.KIND


def test_network_fields_share_the_rules_of_the_services_fields():
    for f in SIT.fields:
        if f.key in S_LABEL:
            g = SLUZBY.field(f.key)
            assert (f.label, f.type, f.codelist, f.min, f.max, f.pattern, f.max_length) == (
                g.label, g.type, g.codelist, g.min, g.max, g.pattern, g.max_length)  # fmt: skip
    assert SIT.field("identifikator").required and not SLUZBY.field("identifikator").required
    assert SIT.field("orp").codelist == "orp" and SIT.unique == ("identifikator", "forma", "orp")
    ident = [f.key for f in get_template("sit").sheet("identifikace").fields]
    assert "kod_kraje" in ident and "rok" in ident and "kod_orp" not in ident and "typ_predkladatele" not in ident


def test_template_sit_from_the_cli(tmp_path):
    out = tmp_path / "sit.xlsx"
    code, text = _run("template", "sit", "--kraj", KRAJ, "--year", "2027", "-o", out)
    assert code == 0, text
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[:3] == ["Návod", "Identifikace", SIT.name]
    ws = wb[SIT.name]
    assert [c.value for c in ws[1]] == [f.label for f in SIT.fields]
    assert ws.freeze_panes == "A2"
    # the ORP dropdown lists the 16 ORP of Ústecký kraj only
    lists = wb["Číselníky"]
    orp_col = next(c for c in lists[1] if c.value == codelist("orp").title)
    names = [lists.cell(r, orp_col.column).value for r in range(2, 30)]
    assert len([n for n in names if n]) == 16 and "Chomutov" in names and "Zlín" not in names
    orp_letter = openpyxl.utils.get_column_letter(SIT.labels.index("ORP") + 1)
    assert any(dv.type == "list" and f"{orp_letter}2" in str(dv.sqref) for dv in ws.data_validations.dataValidation)
    meta = {r[0].value: r[1].value for r in wb["_xlkpss"].iter_rows()}
    assert meta["kind"] == "sit" and meta["version"] == "1"


# --- validation ---------------------------------------------------------------------------------------------------


def test_a_clean_network_validates(work):
    code, text = _run("validate", work["sit"])
    assert code == 0, text
    [res] = validate_paths([work["sit"]], workers=1)
    assert res.kind == "sit" and not res.issues and res.rows == len(_seeded(work["clean"])) == len(work["clean"]) + 28


def test_mistakes_in_a_network_are_found_in_czech(tmp_path):
    rows = [dict(r) for r in _clean_network()[:6]]
    rows[0]["orp"] = "Zlín"  # not in the kraj
    rows[1]["forma"] = "terénní"  # §49 is residential only
    rows[1]["typ_kapacity"] = "lůžka"
    rows[2]["druh"] = codelist("druhy_sluzeb").get("souvisejici").display
    rows[3]["kapacita"] = "cca 20"
    rows[5] = {**rows[4]}  # the same service, form and ORP twice
    path = write_network(tmp_path / "sit_chyby.xlsx", rows)
    [res] = validate_paths([path], workers=1)
    found = {(i.code, i.row) for i in res.issues}
    assert found == {
        ("network-orp-outside-kraj", 2), ("form-not-allowed", 3), ("beds-not-residential", 3),
        ("network-related-type", 4), ("not-an-integer", 5), ("duplicate-row", 7),
    }, found  # fmt: skip
    code, text = _run("validate", path)
    assert code == 1
    assert "ORP „Zlín“ neleží v kraji Ústecký kraj" in text
    assert "do sítě nepatří" in text
    # the merge refuses it, naming the cells
    code, text = _run("merge", ORP_DIRS["4203"], "--orp", "4203", "-o", tmp_path / "x.xlsx", "--network", path)
    assert code == 1 and "Chyba: --network: soubor sit_chyby.xlsx má 6 chyb" in text and "buňka" in text
    assert not (tmp_path / "x.xlsx").exists()


# --- the comparison ---------------------------------------------------------------------------------------------------


def test_orp_merge_finds_exactly_the_seeded_differences(work):
    rows = _services(work["orp"]["4203"])
    clean = work["clean"]
    odd = {(r["finding"], r["nazev_sluzby"]) for r in rows if r["finding"] != net.MATCH}
    assert odd == {
        (net.MISSING, "Odlehčovací služby terénní"),
        (net.OUTSIDE, DROPPED),
        (net.DIFFERENT, MORE_BEDS),
        (net.DIFFERENT, LESS_FTE),
        (net.DIFFERENT, OTHER_TYPE),
        (net.DIFFERENT, CHANGED_REPORT),
        # in an ORP merge of Chomutov, the Kadaň service the network puts in Chomutov is not reported there
        (net.MISSING, MOVED),
    }, odd
    chomutov = [r for r in clean if r["orp"] == "Chomutov"]
    matched = [r for r in rows if r["finding"] == net.MATCH]
    assert len(matched) == len(chomutov) - 5  # dropped, 3 network changes, 1 report change
    by = {r["nazev_sluzby"]: r for r in rows}
    beds = _name_of(clean, MORE_BEDS)["kapacita"]
    assert (by[MORE_BEDS]["net_kapacita"], by[MORE_BEDS]["rep_kapacita"], by[MORE_BEDS]["diff_kapacita"]) == (beds + 7, beds, -7)
    assert (by[CHANGED_REPORT]["net_kapacita"], by[CHANGED_REPORT]["rep_kapacita"], by[CHANGED_REPORT]["diff_kapacita"]) == (65, 70, 5)
    assert (by[LESS_FTE]["net_uvazky"], by[LESS_FTE]["rep_uvazky"], by[LESS_FTE]["diff_uvazky"]) == (7.5, 5, -2.5)
    assert "typ kapacity: v síti kontakty, hlášeno klienti" in by[OTHER_TYPE]["note"]
    assert by[DROPPED]["rep_kapacita"] == _name_of(clean, DROPPED)["kapacita"] and by[DROPPED]["net_kapacita"] is None
    meta = read_consolidated(work["orp"]["4203"]).meta["network"]
    assert meta["findings"][net.MISSING] == 2 and meta["findings"][net.DIFFERENT] == 4
    assert meta["unregistered_not_compared"] == 2  # Klub seniorů, Senior Point


def test_kraj_merge_finds_the_other_orp_and_no_data(work):
    rows = _services(work["kraj"])
    odd = {(r["finding"], r["nazev_sluzby"]) for r in rows if r["finding"] != net.MATCH}
    assert odd == {
        (net.MISSING, "Odlehčovací služby terénní"),
        (net.OUTSIDE, DROPPED),
        (net.DIFFERENT, MORE_BEDS),
        (net.DIFFERENT, LESS_FTE),
        (net.DIFFERENT, OTHER_TYPE),
        (net.DIFFERENT, CHANGED_REPORT),
        (net.OTHER_ORP, MOVED),
        *((net.NO_DATA, r["nazev_sluzby"]) for r in _rest_of_kraj()),
    }, odd
    moved = next(r for r in rows if r["nazev_sluzby"] == MOVED)
    assert moved["nazev_orp"] == "Kadaň" and "v síti pro ORP Chomutov" in moved["note"]
    # every network row and every reported registered service is on the sheet exactly once
    # the clean network + the new one + the other ORP's (the dropped one is there as „mimo síť“)
    assert len(rows) == len(work["clean"]) + 1 + 28


def test_units_per_1000_and_the_kraj_median_equal_an_independent_computation(work):
    # population per ORP straight from the shipped obce.csv
    pop: dict[str, int] = {}
    names: dict[str, str] = {}
    data = ROOT / "xlkpss" / "codelists" / "data" / "obce.csv"
    with data.open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            if r["kod_kraje"] == KRAJ:
                pop[r["kod_orp"]] = pop.get(r["kod_orp"], 0) + int(r["pocet_obyvatel"])
                names[r["nazev_orp"]] = r["kod_orp"]
    assert len(pop) == 16
    network_rows = _seeded(work["clean"])

    def per_1000(orp: str, typ: str) -> float:
        units = sum(r["kapacita"] for r in network_rows if names[r["orp"]] == orp and r["typ_kapacity"] == typ)
        return units / pop[orp] * 1000

    def median(values: list[float]) -> float:
        v = sorted(values)
        n = len(v)
        return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2

    table = read_consolidated(work["kraj"]).table(net.SHEET_KEY).to_dict("records")
    totals = [r for r in table if r["row_kind"] == net.ORP_TOTAL]
    types = {r["typ_kapacity"] for r in network_rows}
    assert {r["typ_kapacity"] for r in totals} == types
    assert sum(1 for r in totals if r["pct_of_median"]) > 16  # medians that are not 0
    assert len(totals) == 16 * len({r["typ_kapacity"] for r in totals})
    reported = {}
    for code in ORP_DIRS:
        for rec in _reported(work["dirs"][code]).values():  # the changed Jirkov report included
            reported[(code, rec["typ_kapacity"])] = reported.get((code, rec["typ_kapacity"]), 0) + rec["kapacita"]
    for r in totals:
        orp, typ = r["kod_orp"], r["typ_kapacity"]
        med = median([per_1000(o, typ) for o in pop])
        assert r["population"] == pop[orp]
        assert r["net_per_1000"] == pytest.approx(per_1000(orp, typ), rel=1e-9)
        assert r["median_per_1000"] == pytest.approx(med, rel=1e-9)
        if med:
            assert r["pct_of_median"] == pytest.approx(per_1000(orp, typ) / med * 100, rel=1e-9)
        if orp in ORP_DIRS:
            assert r["rep_per_1000"] == pytest.approx(reported.get((orp, typ), 0) / pop[orp] * 1000, rel=1e-9)
        else:
            assert r["rep_kapacita"] is None and "nebyl sloučen" in r["note"]


def test_sheet_and_html_are_clerk_readable(work, tmp_path):
    wb = openpyxl.load_workbook(work["kraj"])
    name = SHEETS[net.SHEET_KEY]
    assert name == "Síť vs skutečnost" and name in wb.sheetnames
    ws = wb[name]
    header = [c.value for c in ws[1]]
    assert header[:4] == ["Řádek", "Zjištění", "Kód ORP", "ORP"] and "Medián ORP kraje v síti na 1 000 obyvatel" in header
    assert ws.freeze_panes == "A2"
    col = {v: i + 1 for i, v in enumerate(header)}
    assert ws.cell(2, col["V síti na 1 000 obyvatel"]).number_format == "#,##0.00"
    pct = next(r[col["Síť v ORP proti mediánu kraje (%)"] - 1] for r in ws.iter_rows(min_row=2) if r[col["Síť v ORP proti mediánu kraje (%)"] - 1].value)
    assert pct.number_format == '0.0" %"'
    fte = next(r[col["Úvazky v síti"] - 1] for r in ws.iter_rows(min_row=2) if r[col["Úvazky v síti"] - 1].value)
    assert fte.number_format == "#,##0.0#"
    assert all(ws.column_dimensions[openpyxl.utils.get_column_letter(i)].width >= 7 for i in range(1, len(header) + 1))
    # ORP in Czech alphabetical order (Bílina, Děčín, Chomutov … Ústí nad Labem, Varnsdorf, Žatec)
    orps_in_order = list(dict.fromkeys(r[3].value for r in ws.iter_rows(min_row=2) if r[3].value))
    assert orps_in_order[:3] == ["Bílina", "Děčín", "Chomutov"] and orps_in_order[-1] == "Žatec"
    # the HTML summary, written from the workbook alone
    page = tmp_path / "kraj.html"
    code, text = _run("report", work["kraj"], "-o", page)
    assert code == 0, text
    html = page.read_text(encoding="utf-8")
    assert 'id="sit"' in html and "Jednotky podle ORP a medián kraje" in html
    assert 'data-figure="network-entries">' + str(len(_seeded(work["clean"]))) in html
    assert "v síti, ORP nedodalo souhrn: <strong>28</strong>" in html and "liší se: <strong>4</strong>" in html
    assert "net_kapacita" not in html and "v síti, nehlášena" in html


def test_end_to_end_cli(work, tmp_path):
    """template → filled (openpyxl) → validate → merge --network, all from the command line."""
    sit = tmp_path / "sit_2026.xlsx"
    write_network(sit, _seeded(work["clean"]))
    assert _run("validate", sit)[0] == 0
    out, page = tmp_path / "souhrn.xlsx", tmp_path / "souhrn.html"
    code, text = _run("merge", work["dirs"]["4203"], "--orp", "4203", "-o", out, "--html", page, "--network", sit,
                      "--generated", "2026-12-01")  # fmt: skip
    assert code == 0, text
    assert "síť kraje (sit_2026.xlsx): " in text and "liší se 4, nehlášeno 2, mimo síť 1" in text
    assert SHEETS[net.SHEET_KEY] in openpyxl.load_workbook(out, read_only=True).sheetnames
    assert 'id="sit"' in page.read_text(encoding="utf-8")
    # a merge without --network writes no such sheet
    plain = tmp_path / "bez_site.xlsx"
    assert _run("merge", work["dirs"]["4203"], "--orp", "4203", "-o", plain, "-q")[0] == 0
    assert SHEETS[net.SHEET_KEY] not in openpyxl.load_workbook(plain, read_only=True).sheetnames


def test_wrong_network_files_are_clear_czech_errors(work, tmp_path):
    folder = work["dirs"]["4203"]

    def merge(network, *extra) -> tuple[int, str]:
        return _run("merge", folder, "--orp", "4203", "-o", tmp_path / "x.xlsx", "--network", network, *extra)

    other_kraj = write_network(tmp_path / "sit_zlin.xlsx", [], kraj="CZ072")
    code, text = merge(other_kraj)
    assert code == 1 and "neobsahuje na listu Síť žádnou službu" in text
    rows = [dict(_clean_network()[0], orp="Zlín")]
    zlin = write_network(tmp_path / "sit_zlin2.xlsx", rows, kraj="CZ072")
    code, text = merge(zlin)
    assert code == 1 and "je sítí kraje Zlínský kraj, slučuje se ale ORP Chomutov (Ústecký kraj)" in text
    code, text = merge(write_network(tmp_path / "sit_2027.xlsx", _clean_network(), year=2027))
    assert code == 1 and "síť v souboru sit_2027.xlsx je na rok 2027, slučují se údaje za rok 2026" in text
    code, text = merge(next(folder.glob("obec_562971_*.xlsx")))
    assert code == 1 and "je šablona „Sociální služby na území“, ne krajská síť" in text
    garbage = tmp_path / "sit.xlsx"
    garbage.write_text("IČO;služba\n", encoding="utf-8")
    code, text = merge(garbage)
    assert code == 1 and "nelze použít jako krajskou síť" in text
    code, text = _run("merge", tmp_path / "souhrn_cr_none.xlsx", "--level", "stat", "-o", tmp_path / "y.xlsx", "--network", work["sit"])
    assert code == 2  # the input does not exist: a usage error before anything
    assert not (tmp_path / "x.xlsx").exists()


def test_a_contact_error_in_the_network_is_said_but_does_not_stop_the_merge(work, tmp_path):
    sit = write_network(tmp_path / "sit_email.xlsx", _seeded(work["clean"]))
    wb = openpyxl.load_workbook(sit)
    wb[get_template("sit").sheet("identifikace").name][field_cell("sit", "identifikace", "email")].value = "sit(at)kraj"
    wb.save(sit)
    code, text = _run("merge", work["dirs"]["4203"], "--orp", "4203", "-o", tmp_path / "x.xlsx", "--network", sit)
    assert code == 0, text
    assert "v souboru sítě je chyba, která porovnání neovlivní: List Identifikace, buňka" in text and "sit(at)kraj" in text


def test_a_national_merge_refuses_a_network(work):
    c = read_consolidated(work["kraj"])
    from xlkpss.codelists import STATE
    from xlkpss.merge.consolidate import merge_results

    with pytest.raises(MergeError, match="ne se souhrnem za Českou republiku"):
        merge_results([], level="stat", territory=STATE, year=YEAR, generated="2026-12-01", summaries=[c],
                      network=net.read_network(work["sit"]))  # fmt: skip


def test_a_network_among_the_inputs_is_left_out_with_a_line(work, tmp_path):
    folder = tmp_path / "dosle"
    shutil.copytree(work["dirs"]["4203"], folder)
    shutil.copy(work["sit"], folder / "sit_2026.xlsx")
    code, text = _run("merge", folder, "--orp", "4203", "-o", tmp_path / "x.xlsx", "--generated", "2026-12-01")
    assert code == 0, text
    assert "Vynechán soubor sit_2026.xlsx: krajská síť sociálních služeb se neslučuje" in text
    c = read_consolidated(tmp_path / "x.xlsx")
    sub = next(r for r in c.table("submissions").to_dict("records") if r["file"] == "sit_2026.xlsx")
    assert sub["status"] == "rejected" and sub["rows_excluded"] == sub["rows_read"] > 0
    assert any(r["code"] == "network-input" for r in c.table("errors").to_dict("records"))
    # given as --network from inside the input folder, it is the network, not an input
    code, text = _run("merge", folder, "--orp", "4203", "-o", tmp_path / "y.xlsx", "--network", folder / "sit_2026.xlsx")
    assert code == 0 and "Vynechán soubor" not in text
