"""HTML summary: content, escaping, labels from the spec, valid HTML5, self-contained."""

from __future__ import annotations

import re
import time
from pathlib import Path

import html5lib
import pandas as pd
import pytest

from xlkpss.merge.model import COLUMN_LABELS, Consolidated
from xlkpss.render.summary import build_summary, render_summary, summary_html
from xlkpss.spec import load_spec

XSS = "<script>alert(1)</script>"


def _frame(sheet: str, rows: list[dict]) -> pd.DataFrame:
    """A consolidated sheet with the model's columns (missing ones blank)."""
    from xlkpss.merge.model import SHEET_COLUMNS

    cols = list(SHEET_COLUMNS.get(sheet, ()))
    extra = [k for r in rows for k in r if k not in cols]
    cols += list(dict.fromkeys(extra))
    return pd.DataFrame([{k: r.get(k) for k in cols} for r in rows], columns=cols, dtype=object)


def _service(**kw):
    base = {
        "identifikator": "1234567", "registrovana": "ano", "nazev_sluzby": "Domov pro seniory Jirkov",
        "poskytovatel": "Městský ústav sociálních služeb", "ico_poskytovatele": "00075655",
        "druh": "§49 Domovy pro seniory", "forma": "pobytová", "kapacita": 120, "typ_kapacity": "lůžka",
        "pocet_uzivatelu": 143, "uvazky": 48.5, "obec": "Jirkov", "cilova_skupina_1": "senioři",
        "naklady": 48_500_000, "zdroj_mpsv_kraj": 15_200_000, "zdroj_obec": 9_800_000, "zdroj_uhrady": 19_600_000,
        "zdroj_zp": 2_400_000, "zdroj_eu": 0, "zdroj_ostatni": 1_500_000,
        "kod_obce": "563099", "nazev_obce": "Jirkov", "kod_orp": "4203", "nazev_orp": "Chomutov",
        "kod_kraje": "CZ042", "nazev_kraje": "Ústecký kraj", "submitter": "Město Jirkov",
    }
    base.update(kw)
    return base


SERVICES = [
    _service(),
    _service(identifikator="2345678", nazev_sluzby="Pečovatelská služba Chomutov", druh="§40 Pečovatelská služba",
             forma="terénní", kapacita=300, typ_kapacity="klienti", obec="Chomutov", kod_obce="562971",
             nazev_obce="Chomutov", naklady=6_000_000, zdroj_mpsv_kraj=2_000_000, zdroj_obec=2_774_600,
             zdroj_uhrady=1_000_000, zdroj_zp=0, zdroj_ostatni=0, pocet_uzivatelu=280, uvazky=12,
             cilova_skupina_2="osoby se zdravotním postižením"),
    _service(identifikator="3456789", nazev_sluzby="Klub Kotelna", poskytovatel=XSS, ico_poskytovatele="25432915",
             druh="§62 Nízkoprahová zařízení pro děti a mládež", forma="ambulantní", kapacita=25, typ_kapacity="klienti",
             obec="Chomutov", kod_obce="562971", nazev_obce="Chomutov", naklady=1_200_000, zdroj_mpsv_kraj=900_000,
             zdroj_obec=200_000, zdroj_uhrady=0, zdroj_zp=0, zdroj_ostatni=100_000, pocet_uzivatelu=90, uvazky=3,
             cilova_skupina_1="děti a mládež ve věku od 6 do 26 let ohrožené společensky nežádoucími jevy"),
]


def _capacities() -> list[dict]:
    rows = []
    for s in SERVICES:
        for level, code, name in (("orp", "4203", "Chomutov"), ("obec", s["kod_obce"], s["nazev_obce"])):
            rows.append({"territory_level": level, "territory_code": code, "territory_name": name, "druh": s["druh"],
                         "forma": s["forma"], "typ_kapacity": s["typ_kapacity"], "services": 1, "capacity": s["kapacita"]})
    return rows


def _funding() -> list[dict]:
    keys = ["naklady", "zdroj_mpsv_kraj", "zdroj_obec", "zdroj_uhrady", "zdroj_zp", "zdroj_eu", "zdroj_ostatni"]
    return [{"territory_level": "orp", "territory_code": "4203", "territory_name": "Chomutov", "druh": s["druh"],
             "services": 1, **{k: s[k] for k in keys}} for s in SERVICES]


def make_consolidated() -> Consolidated:
    """A small hand-made consolidated data set shaped like the model (ORP Chomutov)."""
    submissions = [
        {"territory_code": "562971", "territory_name": "Chomutov", "submitter_type": "obec", "submitter_code": "00261891",
         "submitter_name": "Statutární město Chomutov", "kind": "sluzby", "expected": True, "status": "valid",
         "date_filled": "2026-03-02", "errors": 0, "warnings": 0, "file": "chomutov.xlsx"},
        {"territory_code": "563099", "territory_name": "Jirkov", "submitter_type": "obec", "submitter_code": "00261904",
         "submitter_name": "Město Jirkov", "kind": "sluzby", "expected": True, "status": "warnings",
         "date_filled": "2026-03-05", "errors": 0, "warnings": 2, "file": "jirkov.xlsx"},
        {"territory_code": "563340", "territory_name": "Spořice", "submitter_type": "obec", "submitter_name": "Obec Spořice",
         "kind": "sluzby", "expected": True, "status": "rejected", "errors": 3, "warnings": 0, "file": "sporice.xls"},
        {"territory_code": "563013", "territory_name": "Březno", "submitter_type": "obec", "kind": "sluzby",
         "expected": True, "status": "missing"},
        {"territory_code": "25432915", "territory_name": "Chomutov", "submitter_type": "poskytovatel",
         "submitter_code": "25432915", "submitter_name": XSS, "kind": "sluzby", "expected": False, "status": "valid",
         "date_filled": "2026-03-01", "errors": 0, "warnings": 0, "file": "kotelna.xlsx"},
    ]
    plan_summary = [
        {"territory_code": "562971", "territory_name": "Chomutov", "submitter": "Statutární město Chomutov", "priority": "1",
         "priority_name": "Finanční podpora sociálních služeb", "items": 2, "n_splneno": 1, "n_castecne": 0,
         "n_nesplneno": 1, "n_zruseno": 0, "n_bez_stavu": 0, "pct_done": 50.0},
        {"territory_code": "562971", "territory_name": "Chomutov", "submitter": "Statutární město Chomutov", "priority": "2",
         "priority_name": "Senioři", "items": 1, "n_splneno": 0, "n_castecne": 1, "n_nesplneno": 0, "n_zruseno": 0,
         "n_bez_stavu": 0, "pct_done": 0.0},
    ]
    carryover = [
        {"reason": "pokračuje", "territory_name": "Chomutov", "cislo": "1.1.1", "nazev": "vyčlenit část rozpočtu",
         "realizator": "Odbor sociálních věcí", "termin": "12/2026", "stav": "splněno", "rozpocet": 2_774_600},
        {"reason": "nesplněno", "territory_name": "Chomutov", "cislo": "1.1.2", "nazev": "pravidla spolufinancování",
         "stav": "nesplněno"},
    ]
    coverage = [
        {"target_group": "senioři", "Chomutov": 0, "Jirkov": 1, "total": 1},
        {"target_group": "osoby se zdravotním postižením", "Chomutov": 1, "Jirkov": 0, "total": 1},
        {"target_group": "děti a mládež ve věku od 6 do 26 let ohrožené společensky nežádoucími jevy", "Chomutov": 1,
         "Jirkov": 0, "total": 1},
    ]
    overview = [
        {"metric": "services", "label": "Počet služeb", "value": 3, "unit": ""},
        {"metric": "naklady", "label": "Náklady celkem (Kč)", "value": 55_700_000, "unit": "Kč"},
    ]
    tables = {
        "overview": _frame("overview", overview),
        "services": _frame("services", SERVICES),
        "submissions": _frame("submissions", submissions),
        "capacities": _frame("capacities", _capacities()),
        "coverage": pd.DataFrame(coverage, dtype=object),
        "gaps": _frame("gaps", [{"territory_level": "obec", "territory_code": "563099", "territory_name": "Jirkov",
                                 "druh": "§37 Odborné sociální poradenství", "kategorie": "sociální poradenství",
                                 "core": True, "population": 18000}]),
        "funding": _frame("funding", _funding()),
        "plan_summary": _frame("plan_summary", plan_summary),
        "carryover": _frame("carryover", carryover),
        "conflicts": _frame("conflicts", [{"identifikator": "1234567", "nazev_sluzby": "Domov pro seniory Jirkov",
                                           "field": "kapacita", "kept_submitter": "Město Jirkov", "kept_value": 120,
                                           "other_submitter": "MÚSS", "other_value": 110}]),
        "errors": _frame("errors", [{"src_file": "sporice.xls", "code": "file-corrupt", "message": "x"}] * 3),
    }
    return Consolidated(
        meta={"level": "orp", "territory_code": "4203", "territory_name": "Chomutov", "year": 2026,
              "generated": "2026-04-01", "version": "0.1.0"},
        tables=tables,
    )


def sample_page(directory) -> Path:
    """The summary page of the sample merge, written into ``directory`` (used by test_browser)."""
    return render_summary(make_consolidated(), directory / "souhrn.html")


@pytest.fixture(scope="module")
def consolidated() -> Consolidated:
    return make_consolidated()


@pytest.fixture(scope="module")
def page(consolidated) -> str:
    return summary_html(consolidated)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("\u00a0", " ")


def test_valid_html5(page):
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    parser.parse(page)  # raises on any parse error
    assert page.startswith("<!DOCTYPE html>")


def test_provider_name_is_escaped(page):
    assert XSS not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script" not in page.lower()


def test_self_contained(page):
    for pattern in (r"\bsrc=", r"<link(?![^>]*href=\"data:)", r"url\(", r"@import", r"https?://(?!www\.w3\.org/2000/svg)"):
        assert not re.search(pattern, page), pattern


def test_deterministic(consolidated, tmp_path):
    a = render_summary(consolidated, tmp_path / "a.html").read_bytes()
    b = render_summary(consolidated, tmp_path / "b.html").read_bytes()
    assert a == b


def test_figures(consolidated, page):
    s = build_summary(consolidated)
    figs = {f.key: f for f in s["figures"]}
    assert figs["services"].raw == 3
    assert figs["naklady"].value == "55\u00a0700\u00a0000\u00a0Kč"
    assert s["funding"]["costs"] == 55_700_000
    text = _text(page)
    assert "55 700 000 Kč" in text
    assert "2 774 600 Kč" in text  # money formatting of the carried-over activity budget


def test_labels_from_spec(page):
    spec = load_spec()
    for key in ("druh", "kapacita", "naklady"):
        assert spec.label("sluzby", key).replace(" (Kč)", "") in _text(page)
    for key in ("cislo", "realizator", "termin"):
        assert spec.label("plan", key) in _text(page)
    assert COLUMN_LABELS["services"] in _text(page)


def test_charts_have_accessible_names_and_tables(page):
    svgs = re.findall(r"<svg\b.*?</svg>", page, flags=re.DOTALL)
    assert len(svgs) >= 5
    for svg in svgs:
        assert 'role="img"' in svg
        assert "<title" in svg and "aria-labelledby" in svg
    assert page.count('<details class="chart-data">') == len(svgs)


def test_completeness_lists_missing(page):
    text = _text(page)
    assert "Chybí podklady (1)" in text
    assert "Březno" in text


def test_empty_consolidated_renders(tmp_path):
    path = render_summary(Consolidated(meta={"level": "orp", "territory_code": "4203", "year": 2026}), tmp_path / "e.html")
    html5lib.HTMLParser(strict=True).parse(path.read_text(encoding="utf-8"))
    assert "Žádné údaje" in path.read_text(encoding="utf-8")


def test_render_is_fast(consolidated):
    t0 = time.perf_counter()
    summary_html(consolidated)
    assert time.perf_counter() - t0 < 2
