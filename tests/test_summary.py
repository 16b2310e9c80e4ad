"""HTML summary: content, escaping, labels from the spec, valid HTML5, self-contained."""

from __future__ import annotations

import re
import time

import html5lib
import pandas as pd
import pytest

from xlkpss.merge.model import COLUMN_LABELS, Consolidated
from xlkpss.render.summary import build_summary, render_summary, summary_html
from xlkpss.spec import load_spec

XSS = "<script>alert(1)</script>"


def _service(**kw):
    base = {
        "identifikator": "1234567",
        "registrovana": "ano",
        "nazev_sluzby": "Domov pro seniory Jirkov",
        "poskytovatel": "Městský ústav sociálních služeb",
        "ico_poskytovatele": "00075655",
        "druh": "13",
        "forma": "pob",
        "kapacita": 120,
        "typ_kapacity": "luzka",
        "pocet_uzivatelu": 143,
        "uvazky": 48.5,
        "obec": "563099",
        "cilova_skupina_1": "24",
        "naklady": 48_500_000,
        "zdroj_mpsv_kraj": 15_200_000,
        "zdroj_obec": 9_800_000,
        "zdroj_uhrady": 19_600_000,
        "zdroj_zp": 2_400_000,
        "zdroj_eu": 0,
        "zdroj_ostatni": 1_500_000,
        "kod_obce": "563099",
        "nazev_obce": "Jirkov",
        "kod_orp": "4203",
        "nazev_orp": "Chomutov",
        "kod_kraje": "CZ042",
        "nazev_kraje": "Ústecký kraj",
        "submitter": "Město Jirkov",
    }
    base.update(kw)
    return base


def make_consolidated() -> Consolidated:
    """A small hand-made consolidated data set shaped like the model (ORP Chomutov)."""
    services = pd.DataFrame(
        [
            _service(),
            _service(identifikator="2345678", nazev_sluzby="Pečovatelská služba Chomutov", druh="4", forma="ter",
                     kapacita=300, typ_kapacity="klient", obec="562971", kod_obce="562971", nazev_obce="Chomutov",
                     naklady=6_000_000, zdroj_mpsv_kraj=2_000_000, zdroj_obec=2_774_600, zdroj_uhrady=1_000_000,
                     zdroj_zp=0, zdroj_ostatni=0, pocet_uzivatelu=280, uvazky=12, cilova_skupina_2="17"),
            _service(identifikator="3456789", nazev_sluzby="Klub Kotelna", poskytovatel=XSS, ico_poskytovatele="25432915",
                     druh="25", forma="amb", kapacita=25, typ_kapacity="klient", obec="562971", kod_obce="562971",
                     nazev_obce="Chomutov", naklady=1_200_000, zdroj_mpsv_kraj=900_000, zdroj_obec=200_000,
                     zdroj_uhrady=0, zdroj_zp=0, zdroj_ostatni=100_000, pocet_uzivatelu=90, uvazky=3,
                     cilova_skupina_1="1"),
        ]
    )
    submissions = pd.DataFrame(
        [
            {"territory_code": "562971", "territory_name": "Chomutov", "submitter_type": "obec", "submitter_code": "00261891",
             "submitter_name": "Statutární město Chomutov", "kind": "sluzby", "status": "valid", "date_filled": "2026-03-02",
             "errors": 0, "warnings": 0, "file": "chomutov.xlsx"},
            {"territory_code": "563099", "territory_name": "Jirkov", "submitter_type": "obec", "submitter_code": "00261904",
             "submitter_name": "Město Jirkov", "kind": "sluzby", "status": "warnings", "date_filled": "2026-03-05",
             "errors": 0, "warnings": 2, "file": "jirkov.xlsx"},
            {"territory_code": "563340", "territory_name": "Spořice", "submitter_type": "obec", "submitter_code": "",
             "submitter_name": "Obec Spořice", "kind": "sluzby", "status": "rejected", "date_filled": None,
             "errors": 3, "warnings": 0, "file": "sporice.xls"},
            {"territory_code": "563013", "territory_name": "Březno", "submitter_type": "obec", "submitter_code": None,
             "submitter_name": None, "kind": "sluzby", "status": "missing", "date_filled": None,
             "errors": None, "warnings": None, "file": None},
        ]
    )
    activities = pd.DataFrame(
        [
            {"cislo": "1", "uroven": "priorita", "nazev": "Finanční podpora sociálních služeb", "submitter": "Statutární město Chomutov"},
            {"cislo": "1.1", "uroven": "opatreni", "nazev": "Přímá podpora poskytovatelů", "submitter": "Statutární město Chomutov"},
            {"cislo": "1.1.1", "uroven": "aktivita", "nazev": "vyčlenit část rozpočtu", "stav": "splneno", "pokracuje": "ano",
             "rozpocet": 2_774_600, "submitter": "Statutární město Chomutov", "realizator": "Odbor sociálních věcí", "termin": "12/2026"},
            {"cislo": "1.1.2", "uroven": "aktivita", "nazev": "pravidla spolufinancování", "stav": "nesplneno", "pokracuje": "ano",
             "submitter": "Statutární město Chomutov"},
            {"cislo": "2", "uroven": "priorita", "nazev": "Senioři", "submitter": "Statutární město Chomutov"},
            {"cislo": "2.1", "uroven": "aktivita", "nazev": "rozšířit pečovatelskou službu", "stav": "castecne", "pokracuje": "ne",
             "submitter": "Statutární město Chomutov"},
        ]
    )
    gaps = pd.DataFrame([{"territory_name": "Jirkov", "druh": "1", "core": True, "reason": "v obci není poskytována"}])
    conflicts = pd.DataFrame([{"identifikator": "1234567", "field": "Kapacita", "values": "Jirkov: 120; MÚSS: 110"}])
    errors = pd.DataFrame([{"file": "sporice.xls", "code": "file-corrupt", "message": "x"}] * 3)
    return Consolidated(
        meta={"level": "orp", "territory_code": "4203", "territory_name": "Chomutov", "year": 2026,
              "generated": "2026-04-01", "version": "0.1.0"},
        tables={"services": services, "submissions": submissions, "activities": activities, "gaps": gaps,
                "conflicts": conflicts, "errors": errors},
    )


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
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page or "<script" not in page
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
    assert figs["capacity_luzka"].raw == 120
    assert figs["capacity_klient"].raw == 325
    assert figs["costs"].value == "55\u00a0700\u00a0000\u00a0Kč"
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
    svgs = re.findall(r"<svg\b.*?</svg>", page, flags=re.S)
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
