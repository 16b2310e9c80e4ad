"""Katalog poskytovatelů from the sample merge (samples/orp_4203_chomutov): every valid
service exactly once per form, in the right sections, complete indexes with working
anchors, escaped submitted text, the open-data CSV, the CLI; in headless Chromium: no
console errors, no network requests, a working search box, a printed PDF with every
service name.  Also: a services file made with template version 1 still validates (with
the version warning) and merges.

The README's screenshots come from ``scripts/screenshots.py``.
"""

from __future__ import annotations

import csv
import importlib.util
import os
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import html5lib
import pytest
from click.testing import CliRunner
from support import GOOD_SERVICE, make_submission
from test_summary import GENERATED, XSS, _merge, sample_consolidated

from xlkpss.cli import main
from xlkpss.codelists import codelist, territory
from xlkpss.render.catalogue import (
    CSV_COLUMNS,
    CatalogueError,
    build_catalogue,
    catalogue_html,
    catalogue_sections,
    print_pdf,
    render_catalogue_html,
    write_catalogue_csv,
)
from xlkpss.spec import get_template

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples" / "orp_4203_chomutov"
V1_SAMPLE = ROOT / "samples" / "starsi_verze" / "obec_563099_jirkov_sluzby_2026_v1.xlsx"


def _make_samples():
    import sys

    if "make_samples" in sys.modules:
        return sys.modules["make_samples"]
    spec = importlib.util.spec_from_file_location("make_samples", ROOT / "scripts" / "make_samples.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["make_samples"] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def truth():
    """The services of ORP Chomutov as the sample generator defines them (independent of the merge)."""
    return list(_make_samples().S.values())


@pytest.fixture(scope="module")
def model():
    c, _ = sample_consolidated()
    return build_catalogue(c)


@pytest.fixture(scope="module")
def page(model) -> str:
    return catalogue_html(model)


def _forma(code: str) -> str:
    return codelist("formy").get(code).label


# --- content -------------------------------------------------------------------------------------------


def test_every_service_once_per_form(model, page, truth):
    expected = Counter((s.nazev, _forma(s.forma)) for s in truth)
    assert max(expected.values()) == 1
    got = Counter((e.nazev, e.forma) for e in model.entries)
    assert got == expected
    # on the page: one card per service and form (data-service is the dedup key)
    cards = re.findall(r'<li class="service[^"]*" id="(sluzba-\d+)" data-service="([^"]+)"', page)
    assert len(cards) == len(truth)
    assert len({k for _, k in cards}) == len(cards)
    names = re.findall(r'<span class="name">([^<]+)</span>', page)
    import html as _html

    assert Counter(_html.unescape(n) for n in names) == Counter(s.nazev for s in truth)
    # registered vs related services are marked
    reg = {e.nazev: e.registrovana for e in model.entries}
    assert reg["Klub seniorů Chomutov"] is False and reg["Senior Point Jirkov"] is False
    assert reg["Domov pro seniory Písečná"] is True
    assert page.count('<span class="badge unreg">související</span>') == 1 + sum(not s.registrovana for s in truth)


def test_sections_follow_the_first_target_group(model, truth):
    by_code = {code: s["key"] for s in catalogue_sections() for code in s["codes"]}
    entries = {(e.nazev, e.forma): e for e in model.entries}
    for s in truth:
        e = entries[(s.nazev, _forma(s.forma))]
        keys = list(dict.fromkeys(by_code.get(g, catalogue_sections()[-1]["key"]) for g in s.skupiny))
        assert e.section == keys[0], s.nazev
        assert e.also_in == keys[1:], s.nazev
    sections = {s.key: s for s in model.sections}
    assert [s.key for s in model.sections][:4] == ["seniori", "zp", "rodiny", "vylouceni"]
    assert "Domov pro seniory Písečná" in [e.nazev for e in sections["seniori"].entries]
    # Osobní asistence: zdravotní postižení first, also listed (not repeated) under senioři
    oa = entries[("Osobní asistence Charity Chomutov", "terénní")]
    assert oa.section == "zp" and "seniori" in oa.also_in
    assert oa in sections["seniori"].see_also and oa not in sections["seniori"].entries
    assert entries[("Raná péče Kuprospěchu", "terénní")].section == "rodiny"
    assert entries[("Noclehárna Chomutov", "ambulantní")].section == "vylouceni"
    # numbering runs through the sections
    assert [e.number for s in model.sections for e in s.entries] == list(range(1, len(model.entries) + 1))


def test_indexes_complete_with_working_anchors(model, page, truth):
    providers = {s.provider[0] for s in truth}
    assert {p.name for p in model.providers} == providers
    from xlkpss.codelists import normalize_key

    assert [p.name for p in model.providers] == sorted((p.name for p in model.providers), key=lambda n: (normalize_key(n), n))
    # every card is referenced exactly once from each index
    for index in (model.providers, model.municipalities):
        refs = Counter(e.number for item in index for e in item.entries)
        assert refs == Counter(range(1, len(model.entries) + 1))
    munis = {codelist("obce").get(s.obec).label for s in truth}
    assert {m.name for m in model.municipalities} == munis
    # anchors: every internal link points to an element of the page; ids unique
    doc = html5lib.parse(page, namespaceHTMLElements=False)
    ids = [el.get("id") for el in doc.iter() if el.get("id")]
    assert len(ids) == len(set(ids))
    hrefs = [el.get("href") for el in doc.iter("a") if (el.get("href") or "").startswith("#")]
    assert hrefs and {h[1:] for h in hrefs} <= set(ids)
    for section in ("providers", "municipalities"):
        ul = next(el for el in doc.iter("ul") if el.get("data-index") == section)
        linked = {a.get("href")[1:] for a in ul.iter("a")}
        assert linked == {e.anchor for e in model.entries}


def test_labels_and_contacts_from_the_spec(model, page):
    sheet = get_template("sluzby").sheet("sluzby")
    for key in ("telefon_sluzby", "email_sluzby", "casovy_rozsah", "druh", "forma", "kapacita"):
        assert f"<dt>{sheet.field(key).label}</dt>" in page
    ds = next(e for e in model.entries if e.nazev == "Domov pro seniory Písečná")
    assert ds.adresa.startswith("Písečná") and ds.telefon and ds.email and ds.web_href.startswith("https://")
    assert ds.casovy_rozsah == "nepřetržitě" and ds.vekove_skupiny and ds.popis
    assert ds.paragraf == "§49" and ds.kapacita == "120"
    # a service without any contact field renders without empty rows
    klub = next(e for e in model.entries if e.nazev == "Klub seniorů Chomutov")
    assert not (klub.telefon or klub.email or klub.web or klub.adresa)


def test_page_is_self_contained_and_valid(page):
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    parser.parse(page)
    assert not re.search(r'(src|href)="(https?:)?//', page.replace('href="https://www.', "").replace('href="https://', ""))
    assert page.count("<script") == 1
    assert "script-src 'sha256-" in page


def test_territory_filter_and_title(model):
    c, _ = sample_consolidated()
    jirkov = build_catalogue(c, territory="Jirkov", title="Katalog Jirkov")
    assert jirkov.title == "Katalog Jirkov" and jirkov.territory == "Jirkov"
    assert jirkov.entries and {e.obec for e in jirkov.entries} == {"Jirkov"}
    assert len(build_catalogue(c, territory="563099").entries) == len(jirkov.entries)
    assert model.title.endswith("ORP Chomutov")
    with pytest.raises(CatalogueError):
        build_catalogue(c, territory="Kadaň")


def test_submitted_text_is_escaped(tmp_path):
    folder = tmp_path / "evil"
    folder.mkdir()
    shutil.copy(SAMPLES / "obec_562971_chomutov_sluzby_2026.xlsx", folder)
    make_submission(
        folder / "poskytovatel_evil.xlsx",
        rows=[{**GOOD_SERVICE, "identifikator": "9876543", "poskytovatel": XSS, "nazev_sluzby": f"Klub {XSS}",
               "druh": "§62 Nízkoprahová zařízení pro děti a mládež", "forma": "ambulantní", "kapacita": 25,
               "typ_kapacity": "klienti", "obec": "Chomutov", "cilova_skupina_1": "senioři",
               "popis_verejnost": f'"><img src=x onerror=alert(1)> {XSS}', "ico_poskytovatele": "12345679", "web": f"www.example.cz/{XSS}"}],
        ident={"typ_predkladatele": "poskytovatel", "kod_obce": None, "ico": "00075655", "nazev": XSS},
    )
    c, _ = _merge(folder, tmp_path)
    model = build_catalogue(c)
    evil = [e for e in model.entries if XSS in e.poskytovatel]
    assert evil and evil[0].web_href == f"https://www.example.cz/{XSS}"
    html = catalogue_html(model)
    assert XSS not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'href="https://www.example.cz/&lt;script&gt;' in html
    from xlkpss.render.catalogue import _web_href

    assert _web_href("javascript:alert(1)") == "" and _web_href("www.a.cz") == "https://www.a.cz"
    assert html.count("<script") == 1
    # the provider index carries the escaped name too
    assert any(XSS == p.name for p in model.providers)
    rows = list(csv.DictReader((tmp_path / "x.csv").open(encoding="utf-8-sig"))) if write_catalogue_csv(model, tmp_path / "x.csv") else []
    assert any(r["poskytovatel.nazev"] == XSS for r in rows)


# --- CSV ------------------------------------------------------------------------------------------------


def test_csv_open_data(model, tmp_path, truth):
    path = write_catalogue_csv(model, tmp_path / "katalog.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(path.open(encoding="utf-8-sig")))
    assert tuple(rows[0].keys()) == CSV_COLUMNS
    # national registry names where the registry has the field
    assert {"identifikator", "poskytovatel.ico", "poskytovatel.nazev", "druhSocialniSluzby.id", "formy.forma.id",
            "ciloveSkupiny.id", "vekoveSkupiny.id"} <= set(CSV_COLUMNS)
    assert len(rows) == len(truth)
    assert Counter((r["nazev"], r["formy.forma.nazev"]) for r in rows) == Counter((s.nazev, _forma(s.forma)) for s in truth)
    ds = next(r for r in rows if r["nazev"] == "Domov pro seniory Písečná")
    assert ds["druhSocialniSluzby.id"] == "DruhSocialniSluzby/13" and ds["formy.forma.id"] == "FormaSocialniSluzby/pob"
    assert ds["formy.kapacity.typ.id"] == "TypKapacitySocialniSluzby/luzka" and ds["formy.kapacity.pocet"] == "120"
    assert ds["adresa.obec.id"] == "Obec/562971" and ds["ciloveSkupiny.id"] == "CilovaSkupinaOsoby/24"
    assert re.fullmatch(r"\d{8}", ds["poskytovatel.ico"]) and re.fullmatch(r"\d{7}", ds["identifikator"])
    klub = next(r for r in rows if r["nazev"] == "Klub seniorů Chomutov")
    assert klub["identifikator"] == "" and klub["registrovana"] == "ne"
    # documented in the module docstring
    import xlkpss.render.catalogue as mod

    for col in CSV_COLUMNS:
        assert f"``{col}``" in mod.__doc__, col


# --- CLI --------------------------------------------------------------------------------------------------


def test_cli(tmp_path, monkeypatch):
    _, wb = sample_consolidated()
    runner = CliRunner()
    out, data = tmp_path / "katalog.html", tmp_path / "katalog.csv"
    res = runner.invoke(main, ["catalogue", str(wb), "-o", str(out), "--csv", str(data), "--title", "Katalog <b>", "--territory", "4203"])
    assert res.exit_code == 0, res.output
    text = out.read_text(encoding="utf-8")
    assert "<title>Katalog &lt;b&gt;</title>" in text
    assert data.exists()
    monkeypatch.setenv("XLKPSS_CHROMIUM", str(tmp_path / "no-such-browser"))
    res = runner.invoke(main, ["catalogue", str(wb), "-o", str(out), "--pdf", str(tmp_path / "k.pdf")])
    assert res.exit_code == 1 and "Chromium není nainstalován" in res.output
    assert not (tmp_path / "k.pdf").exists()
    res = runner.invoke(main, ["catalogue", str(wb), "-o", str(tmp_path / "k.txt")])
    assert res.exit_code == 2
    res = runner.invoke(main, ["catalogue", str(wb), "--territory", "Kadaň", "-o", str(out)])
    assert res.exit_code == 1 and "Kadaň" in res.output


# --- previous template version ----------------------------------------------------------------------------


def test_v1_file_validates_with_version_warning_and_merges(tmp_path):
    from xlkpss.merge.consolidate import merge_paths
    from xlkpss.validate.engine import validate_paths

    assert get_template("sluzby").version == 3
    [res] = validate_paths([V1_SAMPLE], workers=1)
    codes = [(i.code, i.severity) for i in res.issues]
    assert codes == [("template-version-read", "warning")]
    assert "verze 1" in str(res.issues[0].value)
    assert res.valid and not res.rejected
    df = res.frames["sluzby"]
    assert len(df) == 5 and df["telefon_sluzby"].isna().all() and df["popis_verejnost"].isna().all()
    folder = tmp_path / "v1"
    folder.mkdir()
    shutil.copy(V1_SAMPLE, folder)
    c = merge_paths([folder], level="orp", territory=territory(orp="4203"), generated=GENERATED)
    services = c.table("services")
    assert len(services) == 5
    model = build_catalogue(c)
    assert len(model.entries) == 5 and not any(e.telefon or e.popis for e in model.entries)


def test_v2_columns_after_funding_before_comment():
    keys = [f.key for f in get_template("sluzby").sheet("sluzby").fields]
    assert keys.index("zdroj_ostatni") < keys.index("adresa") < keys.index("popis_verejnost") < keys.index("poznamka")
    assert keys[-1] == "poznamka"
    new = [f for f in get_template("sluzby").sheet("sluzby").fields if f.since == 2]
    assert new and not any(f.required for f in new)


# --- in the browser -------------------------------------------------------------------------------------------


@pytest.mark.chromium
def test_in_chromium_and_printed(model, tmp_path, truth):
    from browser import have_playwright, open_page, require_chromium

    require_chromium()
    html = render_catalogue_html(model, tmp_path / "katalog.html")
    pdf = print_pdf(html, tmp_path / "katalog.pdf")
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) not installed")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = re.sub(r"\s+", " ", text)
    missing = [s.nazev for s in truth if s.nazev not in flat]
    assert missing == []
    assert "Rejstřík poskytovatelů" in flat and "Rejstřík obcí" in flat
    a5 = print_pdf(render_catalogue_html(model, tmp_path / "a5.html", paper="A5"), tmp_path / "a5.pdf")
    info = subprocess.run(["pdfinfo", str(a5)], capture_output=True, text=True, check=False).stdout if shutil.which("pdfinfo") else "A5"
    assert "A5" in info
    if not have_playwright():
        if os.environ.get("CI"):
            pytest.fail("playwright is missing but CI is set")
        pytest.skip("playwright not installed")
    dialogs: list[str] = []
    with open_page(html, width=1000, height=1400) as v:
        v.page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        assert v.page.locator("#hledani").is_visible()
        total = v.page.locator("li.service:visible").count()
        assert total == len(truth)
        v.page.fill("#hledat", "jirkov")
        shown = v.page.locator("li.service:visible").count()
        assert 0 < shown < total
        assert "Nalezeno" in v.page.inner_text("#pocet")
        v.page.fill("#hledat", "")
        assert v.page.locator("li.service:visible").count() == total
        png = v.screenshot(tmp_path / "catalogue.png", full_page=False)
        v.page.set_viewport_size({"width": 375, "height": 800})
        overflow = v.page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert v.console_errors == [] and v.failed == [] and dialogs == []
    assert v.requests and all(u.startswith(("file:", "data:")) for u in v.requests)
    assert overflow <= 1
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.chromium
def test_without_script_the_page_is_a_plain_list(model, tmp_path):
    """Scripts off: the search box stays hidden and every card is shown."""
    from browser import have_playwright, require_chromium

    exe = require_chromium()
    if not have_playwright():
        pytest.skip("playwright not installed")
    from browser import FLAGS
    from playwright.sync_api import sync_playwright

    html = render_catalogue_html(model, tmp_path / "katalog.html")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, headless=True, args=FLAGS)
        try:
            page = browser.new_context(java_script_enabled=False).new_page()
            page.goto(html.resolve().as_uri())
            assert not page.locator("#hledani").is_visible()
            assert page.locator("li.service:visible").count() == len(model.entries)
        finally:
            browser.close()
