"""Queries against peers (issue 17, points 1–3): seeded outliers in generated submissions
are found — exactly those — explained ones are reported as explained, and the figures
(median, MAD, modified z-score) equal an independent computation with numpy.

The world (ORP Chomutov): last year (2025) and this year (2026) two providers report
8 homes for the elderly (§49, pobytová, beds) and 7 care services (§40, terénní, clients)
with realistic spread; this year has four seeded outliers:

* home 3 (Málkov): 4 beds and 40 mil. Kč (costs per bed ~22× the median; last year too,
  so its changes are ordinary) — unexplained;
* care 5 (Vysoká Pec): 0.2 FTE for 65 clients (staff per client far below) — explained in Poznámka;
* care 2 (Březno): the obec pays what MPSV/kraj pays elsewhere (70 % of the costs, the
  others 19–25 %; MPSV/kraj 0 %, the others 45–51 %) — two queries, unexplained;
* home 6 (Blatno): capacity doubled since last year (and its costs with it) — unexplained.
"""

from __future__ import annotations

import json
import math
import statistics
from pathlib import Path

import html5lib
import numpy as np
import openpyxl
import pytest
from click.testing import CliRunner
from support import GOOD_SERVICE, cell_of, make_submission

from xlkpss.cli import main
from xlkpss.merge.consolidate import merge_paths
from xlkpss.merge.workbook import read_consolidated, write_consolidated
from xlkpss.validate.peers import MEANAD_FACTOR, Z_FACTOR, find_queries, peer_settings

HOME_SPREAD = [1.00, 0.92, 1.06, 0.97, 1.10, 0.95, 1.03, 0.89]
CARE_SPREAD = [1.00, 1.08, 0.94, 1.12, 0.90, 1.04, 0.97]
#: last year's costs ÷ this year's, per service (the year-over-year changes differ a little)
LAST_YEAR = [0.97, 0.99, 1.01, 0.98, 1.02, 0.96, 1.00, 0.995]
OBCE = ["Chomutov", "Jirkov", "Březno", "Málkov", "Spořice", "Vysoká Pec", "Blatno", "Křimov"]
NOTE = "Od září 2026 jen jedna pečovatelka, ostatní na nemocenské; výkony zajišťoval dobrovolník."


def _home(n: int, year: int) -> dict:
    k = HOME_SPREAD[n]
    cap = 60 + 10 * n
    costs = round(cap * 450_000 * k * (1.0 if year == 2026 else LAST_YEAR[n]))
    return {
        **GOOD_SERVICE,
        "identifikator": f"42031{n:02d}",
        "nazev_sluzby": f"Domov pro seniory {OBCE[n]}",
        "obec": OBCE[n],
        "kapacita": cap,
        "pocet_uzivatelu": round(cap * 1.2 * (2 - k)),
        "uvazky": round(cap * 0.42 * k, 1),
        "naklady": costs,
        "zdroj_mpsv_kraj": round(costs * 0.32),
        "zdroj_obec": round(costs * 0.20),
        "zdroj_uhrady": round(costs * 0.40),
        "zdroj_zp": round(costs * 0.05),
        "zdroj_eu": 0,
        "zdroj_ostatni": round(costs * 0.03),
    }


def _care(n: int, year: int) -> dict:
    k = CARE_SPREAD[n]
    cap = 40 + 5 * n
    costs = round(cap * 60_000 * k * (1.0 if year == 2026 else LAST_YEAR[7 - n]))
    return {
        **GOOD_SERVICE,
        "identifikator": f"42032{n:02d}",
        "nazev_sluzby": f"Pečovatelská služba {OBCE[n]}",
        "poskytovatel": "Oblastní charita Chomutov",
        "ico_poskytovatele": "46225315",
        "druh": "§40 Pečovatelská služba",
        "forma": "terénní",
        "typ_kapacity": "klienti",
        "obec": OBCE[n],
        "kapacita": cap,
        "pocet_uzivatelu": round(cap * 1.1 * k),
        "uvazky": round(cap * 0.12 * (2 - k), 2),
        "naklady": costs,
        "zdroj_mpsv_kraj": round(costs * (0.45 + 0.01 * n)),
        "zdroj_obec": round(costs * (0.25 - 0.01 * n)),
        "zdroj_uhrady": round(costs * 0.25),
        "zdroj_zp": 0,
        "zdroj_eu": 0,
        "zdroj_ostatni": round(costs * 0.05),
    }


def _rows(year: int, seeded: bool) -> tuple[list[dict], list[dict]]:
    homes = [_home(n, year) for n in range(8)]
    care = [_care(n, year) for n in range(7)]
    # home 3 (Málkov) reports 4 beds and 40 mil. Kč, this year as last year
    h = homes[3]
    costs = 40_000_000 if year == 2026 else 39_000_000
    h.update(kapacita=4, uvazky=1.7, pocet_uzivatelu=5, naklady=costs, zdroj_mpsv_kraj=round(costs * 0.32),
             zdroj_obec=round(costs * 0.2), zdroj_uhrady=round(costs * 0.4), zdroj_zp=round(costs * 0.05),
             zdroj_ostatni=round(costs * 0.03))  # fmt: skip
    if seeded:
        care[5].update(uvazky=0.2, poznamka=NOTE)
        c = care[2]
        c.update(zdroj_mpsv_kraj=0, zdroj_obec=c["zdroj_obec"] + c["zdroj_mpsv_kraj"])
        h = homes[6]
        for key in (
            "kapacita",
            "uvazky",
            "pocet_uzivatelu",
            "naklady",
            "zdroj_mpsv_kraj",
            "zdroj_obec",
            "zdroj_uhrady",
            "zdroj_zp",
            "zdroj_ostatni",
        ):
            h[key] = h[key] * 2
    return homes, care


def _files(folder: Path, year: int, seeded: bool) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    homes, care = _rows(year, seeded)
    base = {"kod_orp": "Chomutov", "kod_kraje": "Ústecký kraj", "rok": year, "typ_predkladatele": "poskytovatel",
            "kod_obce": None}  # fmt: skip
    return [
        make_submission(folder / "muss.xlsx", rows=homes, year=year,
                        ident={**base, "ico": "00075655", "nazev": "Městský ústav sociálních služeb"}),
        make_submission(folder / "charita.xlsx", rows=care, year=year,
                        ident={**base, "ico": "46225315", "nazev": "Oblastní charita Chomutov"}),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("peers")
    _files(root / "2025", 2025, seeded=False)
    prev = merge_paths([root / "2025"], year=2025, generated="2026-04-01")
    write_consolidated(prev, root / "souhrn_2025.xlsx")
    _files(root / "2026", 2026, seeded=True)
    c = merge_paths([root / "2026"], year=2026, generated="2027-04-01", previous=root / "souhrn_2025.xlsx")
    write_consolidated(c, root / "souhrn_2026.xlsx")
    return root, c


EXPECTED = [
    ("Domov pro seniory Málkov", "query-costs-per-unit", "Náklady na lůžko (Kč)", "ne"),
    ("Domov pro seniory Blatno", "query-capacity-change", "Meziroční změna kapacity (%)", "ne"),
    ("Domov pro seniory Blatno", "query-costs-change", "Meziroční změna nákladů (%)", "ne"),
    ("Pečovatelská služba Březno", "query-funding-share", "Podíl zdroje Dotace MPSV/kraj na nákladech (%)", "ne"),
    ("Pečovatelská služba Březno", "query-funding-share", "Podíl zdroje Obec na nákladech (%)", "ne"),
    ("Pečovatelská služba Vysoká Pec", "query-staff-per-unit", "Úvazky v přímé péči na klienta", "ano"),
]


def _sheet_rows(path: Path) -> list[dict]:
    wb = openpyxl.load_workbook(path, read_only=True)
    rows = list(wb["Neobvyklé hodnoty"].iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:] if any(v is not None for v in r)]


def test_merge_finds_exactly_the_seeded_outliers(world):
    root, c = world
    rows = _sheet_rows(root / "souhrn_2026.xlsx")
    found = [(r["Název služby"], r["Kód problému"], r["Poměr"], r["Vysvětleno"]) for r in rows]
    assert sorted(found) == sorted(EXPECTED)
    costs = next(r for r in rows if r["Kód problému"] == "query-costs-per-unit")
    assert costs["Poměr"] == "Náklady na lůžko (Kč)"
    assert costs["Hodnota poměru"] == 10_000_000
    assert costs["Poskytovatel"] == "Městský ústav sociálních služeb"
    assert costs["Popis"].startswith("Náklady na lůžko 10 mil. Kč jsou ")
    assert "× vyšší než medián srovnatelných služeb (" in costs["Popis"] and costs["Popis"].endswith(
        "Vysvětlete v Poznámce."
    )
    explained = next(r for r in rows if r["Vysvětleno"] == "ano")
    assert explained["Poznámka"] == NOTE
    # the queries are warnings of their files: MÚSS has unexplained ones, so is "přijato s upozorněním"
    subs = {r["file"]: r for r in c.table("submissions").to_dict("records") if r.get("file")}
    assert subs["muss.xlsx"]["status"] == "warnings" and subs["muss.xlsx"]["warnings"] == 3
    assert subs["charita.xlsx"]["warnings"] == 3
    over = {r["metric"]: r for r in c.table("overview").to_dict("records")}
    assert over["queries"]["value"] == 6 and "vysvětleno 1" in over["queries"]["note"]
    # what was written reads back (xlkpss report renders from the workbook)
    back = read_consolidated(root / "souhrn_2026.xlsx")
    assert len(back.table("queries")) == 6 and back.meta["queries"] == 6


def _ratio_values(c, druh: str, num: str, den: str, scale: float = 1.0) -> dict[str, float]:
    return {
        r["nazev_sluzby"]: scale * r[num] / r[den]
        for r in c.table("services").to_dict("records")
        if r["druh"] == druh and r.get(den)
    }


def _independent(values: list[float], x: float) -> tuple[float, float, float]:
    arr = np.array(values, dtype=float)
    med = float(np.median(arr))
    mad = float(np.median(np.abs(arr - med)))
    if mad > 0:
        z = Z_FACTOR * (x - med) / mad
    else:
        z = (x - med) / (MEANAD_FACTOR * float(np.mean(np.abs(arr - med))))
    return med, mad, z


def test_figures_equal_an_independent_computation(world):
    root, c = world
    rows = {(r["Název služby"], r["Poměr"]): r for r in _sheet_rows(root / "souhrn_2026.xlsx")}
    cases = [
        (
            "Domov pro seniory Málkov",
            "Náklady na lůžko (Kč)",
            _ratio_values(c, "§49 Domovy pro seniory", "naklady", "kapacita"),
            0,
        ),
        (
            "Pečovatelská služba Vysoká Pec",
            "Úvazky v přímé péči na klienta",
            _ratio_values(c, "§40 Pečovatelská služba", "uvazky", "kapacita"),
            3,
        ),
        (
            "Pečovatelská služba Březno",
            "Podíl zdroje Obec na nákladech (%)",
            _ratio_values(c, "§40 Pečovatelská služba", "zdroj_obec", "naklady", 100.0),
            2,
        ),
    ]
    for name, ratio, values, decimals in cases:
        r = rows[(name, ratio)]
        med, mad, z = _independent(list(values.values()), values[name])
        assert statistics.median(values.values()) == pytest.approx(med)
        assert r["Medián srovnatelných služeb"] == pytest.approx(round(med, decimals), abs=10**-decimals)
        assert r["MAD (medián odchylek)"] == pytest.approx(round(mad, decimals), abs=10**-decimals)
        assert r["Modifikované z-skóre"] == pytest.approx(round(z, 2), abs=0.01)
        assert r["Počet srovnatelných služeb"] == len(values)
        assert abs(z) > 3.5
    # year over year: the others changed by −3 % … +3 %, MAD > 0
    prev = {
        r["nazev_sluzby"]: r for r in read_consolidated(root / "souhrn_2025.xlsx").table("services").to_dict("records")
    }
    curr = {
        r["nazev_sluzby"]: r for r in c.table("services").to_dict("records") if r["druh"] == "§49 Domovy pro seniory"
    }
    changes = {n: 100.0 * (curr[n]["naklady"] - prev[n]["naklady"]) / prev[n]["naklady"] for n in curr}
    med, mad, z = _independent(list(changes.values()), changes["Domov pro seniory Blatno"])
    r = rows[("Domov pro seniory Blatno", "Meziroční změna nákladů (%)")]
    assert r["Medián srovnatelných služeb"] == pytest.approx(med, abs=0.01)
    assert r["Modifikované z-skóre"] == pytest.approx(round(z, 2), abs=0.01)


def test_mad_zero_uses_the_mean_absolute_deviation():
    recs = [
        {**GOOD_SERVICE, "identifikator": f"99000{n:02d}", "zdroj_eu": 0, "naklady": 1_000_000, "zdroj_mpsv_kraj": 300_000,
         "zdroj_obec": 200_000, "zdroj_uhrady": 400_000, "zdroj_zp": 50_000, "zdroj_ostatni": 50_000}
        for n in range(9)
    ]  # fmt: skip
    recs[4] = {**recs[4], "zdroj_eu": 400_000, "zdroj_uhrady": 0}
    q = next(q for q in find_queries(recs).queries if q.funding_field.key == "zdroj_eu")
    shares = [40.0 if n == 4 else 0.0 for n in range(9)]
    assert q.mad == 0
    assert q.z == pytest.approx((40.0 - 0.0) / (MEANAD_FACTOR * float(np.mean(np.abs(np.array(shares))))))
    # all equal: nothing is unusual
    same = [{**GOOD_SERVICE, "identifikator": f"99100{n:02d}"} for n in range(6)]
    assert find_queries(same).queries == []


def test_small_groups_get_no_z_score_and_say_so(world):
    _root, c = world
    homes, _care = _rows(2026, seeded=True)
    result = find_queries(homes[:4], settings=peer_settings(min_peers=5))
    assert result.queries == [] and result.not_assessed > 0 and result.assessed == 0
    assert c.meta["queries_min_peers"] == 5 and "queries_not_assessed" in c.meta
    over = {r["metric"]: r for r in c.table("overview").to_dict("records")}
    assert "skupina menší než 5 služeb" in over["queries"]["note"]


def test_threshold_comes_from_the_spec():
    s = peer_settings()
    assert (s.threshold, s.min_peers) == (3.5, 5)
    homes, _care = _rows(2026, seeded=True)
    strict = find_queries(homes, settings=peer_settings(threshold=1000))
    assert strict.queries == []


def test_validate_with_reference_raises_the_same_queries(world, tmp_path):
    root, _c = world
    ref = root / "souhrn_2025.xlsx"  # last year's homes and care services are the peers
    res = CliRunner().invoke(main, ["validate", str(root / "2026"), "--reference", str(ref), "--format", "json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    found = {
        (Path(f["path"]).name, i["code"], i["explained"], i["cell"])
        for f in report["files"]
        for i in f["issues"]
        if i["code"].startswith("query-")
    }
    # no previous year in validate: no changes; the doubled home is a normal home per bed
    at = lambda key, row: cell_of("sluzby", "sluzby", key, row)  # the template's own columns
    assert found == {
        ("muss.xlsx", "query-costs-per-unit", False, at("naklady", 5)),  # home 3 is on row 5
        ("charita.xlsx", "query-staff-per-unit", True, at("uvazky", 7)),
        ("charita.xlsx", "query-funding-share", False, at("zdroj_mpsv_kraj", 4)),
        ("charita.xlsx", "query-funding-share", False, at("zdroj_obec", 4)),
    }
    text = CliRunner().invoke(main, ["validate", str(root / "2026" / "charita.xlsx"), "--reference", str(ref)])
    assert "[vysvětleno]" in text.output and "Úvazky v přímé péči na klienta" in text.output
    assert "Srovnání se souhrnem" in text.stderr


#: the only unusual values of the bundled samples, found in the regional merge (Chomutov +
#: Kadaň: 7 pečovatelské služby, enough peers): small obce's care services cost more and
#: have more staff per client than the towns' (each ORP alone has too few peers)
SAMPLE_QUERIES = {
    ("Pečovatelská služba obce Březno", "query-costs-per-unit"),
    ("Pečovatelská služba obce Březno", "query-staff-per-unit"),
    ("Pečovatelská služba Spořice", "query-costs-per-unit"),
    ("Pečovatelská služba Spořice", "query-staff-per-unit"),
    ("Pečovatelská služba Perštejn", "query-staff-per-unit"),
}


def test_queries_on_the_clean_samples(tmp_path):
    from xlkpss.codelists import territory

    samples = Path(__file__).resolve().parents[1] / "samples"
    orp = {}
    for code, folder in (("4203", "orp_4203_chomutov"), ("4204", "orp_4204_kadan")):
        c = merge_paths([samples / folder], territory=territory(orp=code), generated="2027-04-01")
        assert "queries" not in c.tables  # too few peers in one ORP: no query, no sheet
        orp[code] = write_consolidated(c, tmp_path / f"souhrn_orp_{code}.xlsx")
    assert "Neobvyklé hodnoty" not in openpyxl.load_workbook(orp["4203"], read_only=True).sheetnames
    kraj = merge_paths(list(orp.values()), generated="2027-04-01")
    found = {(r["nazev_sluzby"], r["code"]) for r in kraj.table("queries").to_dict("records")}
    assert found == SAMPLE_QUERIES
    # with the region as reference, a single sample file gets the same queries before it is sent
    ref = write_consolidated(kraj, tmp_path / "souhrn_kraj.xlsx")
    res = CliRunner().invoke(
        main, ["validate", str(samples / "orp_4203_chomutov"), "--reference", str(ref), "--format", "json"]
    )
    by_file = {
        (Path(f["path"]).name, i["code"])
        for f in json.loads(res.stdout)["files"]
        for i in f["issues"]
        if i["code"].startswith("query-")
    }
    assert by_file == {
        ("obec_563013_brezno_sluzby_2026.xlsx", "query-costs-per-unit"),
        ("obec_563013_brezno_sluzby_2026.xlsx", "query-staff-per-unit"),
        ("obec_563340_sporice_sluzby_2026.xlsx", "query-costs-per-unit"),
        ("obec_563340_sporice_sluzby_2026.xlsx", "query-staff-per-unit"),
    }
    # with its own ORP workbook as reference the groups stay small: an empty sheet says so
    c2 = merge_paths([samples / "orp_4203_chomutov"], generated="2027-04-01", reference=orp["4203"])
    assert len(c2.table("queries")) == 0 and c2.meta["queries_not_assessed"] > 0


def test_html_summary_has_the_section(world, tmp_path):
    from xlkpss.render.summary import summary_html

    root, c = world
    html = summary_html(read_consolidated(root / "souhrn_2026.xlsx"))
    assert 'id="neobvykle-hodnoty"' in html and "i ze souhrnu" not in html  # no --reference here
    html5lib.HTMLParser(strict=True).parse(html)
    assert "Domov pro seniory Málkov" in html and "Náklady na lůžko" in html
    assert math.isfinite(c.meta["queries_threshold"])


def test_merge_command_with_reference(world, tmp_path):
    root, _c = world
    out, html = tmp_path / "souhrn.xlsx", tmp_path / "souhrn.html"
    args = ["merge", str(root / "2026"), "--orp", "4203", "--year", "2026", "--previous", str(root / "souhrn_2025.xlsx"),
            "--reference", str(root / "souhrn_2025.xlsx"), "--generated", "2027-04-01", "-o", str(out), "--html", str(html)]  # fmt: skip
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    assert "neobvyklé hodnoty: " in res.stderr and "list Neobvyklé hodnoty" in res.stderr
    back = read_consolidated(out)
    assert back.meta["reference_file"] == "souhrn_2025.xlsx"
    # last year's services as more peers: the seeded outliers are still found
    codes = {(r["nazev_sluzby"], r["code"]) for r in back.table("queries").to_dict("records")}
    assert ("Domov pro seniory Málkov", "query-costs-per-unit") in codes
    assert ("Pečovatelská služba Vysoká Pec", "query-staff-per-unit") in codes
    assert "Neobvyklé hodnoty" in html.read_text(encoding="utf-8")
    bad = CliRunner().invoke(
        main,
        ["merge", str(root / "2026"), "--reference", str(root / "2026" / "muss.xlsx"), "-o", str(tmp_path / "x.xlsx")],
    )
    assert bad.exit_code == 1 and "není souhrnný sešit" in bad.output
