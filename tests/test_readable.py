"""What a coordinator and a council member read (issue 15): no internal key or code in
any sheet or page rendered from the samples, Chyby ordered by what needs action, the
consolidated workbook printable on A4 (LibreOffice PDF: font scale), heat tables with
the territory's gaps, pages without clipped tables on a phone and a desktop (Chromium),
and the catalogue's search, links and print."""

from __future__ import annotations

import datetime as dt
import html as htmlmod
import re
import shutil
import statistics
import subprocess
from pathlib import Path

import openpyxl
import pytest

from xlkpss.codelists import territory
from xlkpss.i18n import ISSUES
from xlkpss.merge.consolidate import MERGE_CODES, merge_paths
from xlkpss.merge.errorgroups import ERROR_GROUPS, INFO_CODES, error_group
from xlkpss.merge.model import SHEETS, STATUS_LABELS
from xlkpss.merge.workbook import META_SHEET, read_consolidated, write_consolidated
from xlkpss.spec import load_spec

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
GENERATED = "2026-04-01"
#: columns for programs, labelled as such (they may hold codes)
CODE_HEADINGS = ("Kód problému", "Kód ukazatele (pro programy)")


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """An ORP merge of the good and the invalid samples, its workbook, summary page,
    fulfilment page and catalogue."""
    from xlkpss.render.catalogue import build_catalogue, render_catalogue_html
    from xlkpss.render.summary import render_summary

    from xlkpss.registry import import_registry, write_registry

    out = tmp_path_factory.mktemp("readable")
    # with the sample registry and a deadline: the optional sheets (Porovnání služeb,
    # Úplnost předkladatelů) and the page's comparison section are read by people too
    registr = write_registry(import_registry(SAMPLES / "registr" / "rpss_ukazka.json", territory=territory(orp="4203")),
                             out / "registr.xlsx")  # fmt: skip
    c = merge_paths(
        [SAMPLES / "orp_4203_chomutov", SAMPLES / "invalid"], level="orp", territory=territory(orp="4203"),
        generated=GENERATED, registry=registr, deadline=dt.date(2026, 3, 31),
    )  # fmt: skip
    assert "service_comparison" in c.tables and "submitter_completeness" in c.tables
    book = write_consolidated(c, out / "souhrn.xlsx")
    back = read_consolidated(book)
    summary = render_summary(back, out / "souhrn.html")
    catalogue = render_catalogue_html(build_catalogue(back), out / "katalog.html")
    return {"c": c, "book": book, "summary": summary, "catalogue": catalogue, "dir": out, "registr": registr}


def _internal_words() -> set[str]:
    """Spec keys with an underscore (nazev_planu, typ_kapacity …), issue and merge codes,
    status keys and Přehled metric keys: never in text a person reads."""
    spec = load_spec()
    words = {f.key for f in spec.all_fields() if "_" in f.key}
    words |= set(ISSUES) | set(MERGE_CODES) | set(STATUS_LABELS)
    words |= {"capacity:klient", "capacity:luzka", "core_missing", "plan_done", "rows_read"}
    words.discard("missing")
    return words


def _hits(text: str, words: set[str]) -> set[str]:
    tokens = set(re.findall(r"[A-Za-z0-9_:\-]+", text))
    return {t for t in tokens if t in words}


def test_no_internal_key_in_any_sheet(outputs):
    words = _internal_words()
    wb = openpyxl.load_workbook(outputs["book"])
    found: dict[str, set[str]] = {}
    for ws in wb.worksheets:
        if ws.title == META_SHEET:
            continue
        header_row = None
        skip: set[int] = set()
        for row in ws.iter_rows():
            values = [c.value for c in row]
            if header_row is None and any(v in CODE_HEADINGS for v in values):
                header_row = row[0].row
                skip = {c.column for c in row if c.value in CODE_HEADINGS}
            for c in row:
                if isinstance(c.value, str) and not c.value.startswith("=") and c.column not in skip:
                    hit = _hits(c.value, words) - {"sluzby", "plan"}
                    if hit:
                        found.setdefault(f"{ws.title}!{c.coordinate}", set()).update(hit)
    assert found == {}
    # the code columns are hidden or clearly labelled
    overview = wb[SHEETS["overview"]]
    header = [c.value for c in overview[4]]
    code_col = header.index("Kód ukazatele (pro programy)") + 1
    letter = openpyxl.utils.get_column_letter(code_col)
    assert overview.column_dimensions[letter].hidden
    assert "Klíč" not in header
    plan = wb[SHEETS["plan_summary"]]
    assert "Název plánu" in [c.value for c in plan[1]]


def _visible_text(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", text)  # attributes (ids, data-*) are not read by people
    return htmlmod.unescape(text)


def test_no_internal_key_on_any_page(outputs, tmp_path):
    words = _internal_words()
    pages = [outputs["summary"], outputs["catalogue"], _fulfilment_page(tmp_path)]
    for page in pages:
        hits = _hits(_visible_text(page), words) - {"sluzby", "plan"}
        assert hits == set(), page.name
    assert "Kód problému" not in _visible_text(outputs["summary"])


def test_no_internal_key_in_any_message(outputs, tmp_path):
    """What the commands print for the yearly loop (registry import, pre-fill, merge with the
    registry and a deadline, chase): no spec key, issue code or status key."""
    from click.testing import CliRunner

    from xlkpss.cli import main

    words = _internal_words()
    book = tmp_path / "souhrn.xlsx"
    runs = [
        ["registry", "import", str(SAMPLES / "registr" / "rpss_ukazka.json"), "--orp", "4203", "-o", str(tmp_path / "r.xlsx")],
        ["merge", str(SAMPLES / "orp_4203_chomutov"), str(SAMPLES / "invalid"), "--orp", "4203", "--registry",
         str(outputs["registr"]), "--deadline", "2026-03-31", "-o", str(book), "--quiet"],
        ["template", "sluzby", "--obec", "563099", "--prefill", str(outputs["book"]), "--prefill", str(outputs["registr"]),
         "--year", "2027", "-o", str(tmp_path / "jirkov.xlsx")],
        ["chase", str(outputs["book"]), "--prefill", str(outputs["registr"]), "-o", str(tmp_path / "urgence")],
    ]  # fmt: skip
    for args in runs:
        res = CliRunner().invoke(main, args)
        assert res.exit_code == 0, res.output
        # file names and paths are the user's, not our words
        text = " ".join(t for t in res.output.split() if "/" not in t and ".xlsx" not in t and ".csv" not in t)
        assert _hits(text, words) - {"sluzby", "plan"} == set(), (args[0], res.output)
    rows = (tmp_path / "urgence" / "rozeslani.csv").read_text(encoding="utf-8-sig")
    text = " ".join(t for t in rows.replace(";", " ").split() if ".xlsx" not in t)
    assert _hits(text, words) - {"sluzby", "plan"} == set()


def test_chyby_ordered_by_what_needs_action(outputs):
    c = outputs["c"]
    rows = c.table("errors").to_dict("records")
    groups = [error_group(r) for r in rows]
    order = list(ERROR_GROUPS)
    assert [order.index(g) for g in groups] == sorted(order.index(g) for g in groups)
    # the samples have rejected files (excluded) and a service reported twice (info)
    assert groups[0] == "excluded" and groups[-1] == "info"
    # independent: the lines of rejected files come before every informational line
    rejected = [i for i, r in enumerate(rows) if r["code"] in ISSUES and ISSUES[r["code"]].severity == "error"]
    info = [i for i, r in enumerate(rows) if r["code"] in INFO_CODES]
    assert rejected and info and max(rejected) < min(info)
    # the sheet says how many of each above the table
    wb = openpyxl.load_workbook(outputs["book"])
    ws = wb[SHEETS["errors"]]
    counts = ws["A2"].value
    assert f"Pro informaci: {len(info)}" in counts
    assert "Služba hlášena vícekrát" in counts
    # and reading the workbook back gives the same lines in the same order
    back = read_consolidated(outputs["book"]).table("errors")
    assert back["code"].tolist() == c.table("errors")["code"].tolist()


def test_submission_status_not_cut(outputs):
    wb = openpyxl.load_workbook(outputs["book"])
    ws = wb[SHEETS["submissions"]]
    header = [c.value for c in ws[1]]
    letter = openpyxl.utils.get_column_letter(header.index("Stav") + 1)
    longest = max(len(str(c.value or "")) for c in ws[letter][1:])
    assert longest >= len("nahrazeno novějším")
    assert ws.column_dimensions[letter].width >= longest + 1
    sha = openpyxl.utils.get_column_letter(header.index("SHA-256") + 1)
    assert ws.column_dimensions[sha].hidden


def test_target_group_heat_marks_the_territory_gaps(outputs):
    wb = openpyxl.load_workbook(outputs["book"])
    ws = wb[SHEETS["coverage"]]
    header = [c.value for c in ws[1]]
    total = openpyxl.utils.get_column_letter(header.index("Celkem") + 1)
    rules = [(str(rng.sqref), r) for rng, rs in ws.conditional_formatting._cf_rules.items() for r in rs]
    red = [rng for rng, r in rules if r.dxf is not None and r.dxf.fill is not None]
    assert red and all(rng.startswith(total) and ":" + total in rng for rng in red)
    text = outputs["summary"].read_text(encoding="utf-8")
    heat = re.search(r'<table class="heat">(?:(?!</table>).)*Cílová skupina.*?</table>', text, re.S)
    assert heat
    gaps = re.findall(r'<tr class="gap"><th scope="row">([^<]+)</th>', heat.group(0))
    totals = {r["target_group"]: r["total"] for r in read_consolidated(outputs["book"]).table("coverage").to_dict("records")}
    assert set(gaps) == {g for g, t in totals.items() if not t}
    assert "Červeně: cílová skupina bez jediné služby v celém území" in text


def test_service_heat_marks_core_services_missing_in_the_whole_territory(tmp_path):
    """ORP Kadaň has no §37 and no §66 (core services): red rows of the service heat table,
    exactly the core lines of Chybějící služby read back from the workbook."""
    from xlkpss.render.summary import render_summary

    c = merge_paths([SAMPLES / "orp_4204_kadan"], level="orp", territory=territory(orp="4204"), generated=GENERATED)
    book = write_consolidated(c, tmp_path / "kadan.xlsx")
    ws = openpyxl.load_workbook(book, read_only=True)[SHEETS["gaps"]]
    rows = list(ws.iter_rows(values_only=True))
    head = rows[0]
    core = {r[head.index("Druh služby")] for r in rows[1:] if r[head.index("Základní služba")] == "ano"}
    assert len(core) == 2
    text = render_summary(read_consolidated(book), tmp_path / "kadan.html").read_text(encoding="utf-8")
    heat = re.search(r'<table class="heat">(?:(?!</table>).)*Druh služby.*?</table>', text, re.S)
    assert heat
    gaps = re.findall(r'<tr class="gap"><th scope="row">([^<]+)</th>', heat.group(0))
    assert set(gaps) == core
    assert "Červeně: základní služba, která v celém území chybí" in text


# --- LibreOffice: the workbook printed to PDF -----------------------------------------------


def _pdf_pages(pdf: Path) -> list[list[tuple[float, str]]]:
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = []
    for page in re.findall(r"<page [^>]*>(.*?)</page>", out, re.S):
        words = re.findall(r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">(.*?)</word>', page)
        pages.append([(float(b) - float(a), htmlmod.unescape(w)) for a, b, w in words])
    return pages


@pytest.mark.libreoffice
def test_workbook_prints_legibly_on_a4(outputs, tmp_path):
    import lo

    lo.require(pdftotext=True)
    lo.convert([outputs["book"]], "pdf", tmp_path / "pdf")
    pdf = next((tmp_path / "pdf").glob("*.pdf"))
    pages = _pdf_pages(pdf)
    by_sheet: dict[str, list[float]] = {}
    page_texts: dict[str, list[tuple[int, str]]] = {}
    for n, words in enumerate(pages, start=1):
        assert words
        sheet = words[0][1]
        for name in sorted(SHEETS.values(), key=len, reverse=True):
            if " ".join(w for _, w in words[:3]).startswith(name):
                sheet = name
                break
        by_sheet.setdefault(sheet, []).extend(h for h, _ in words)
        page_texts.setdefault(sheet, []).append((n, " ".join(w for _, w in words)))
    # A4 landscape, every page
    sizes = re.findall(r'<page width="([\d.]+)" height="([\d.]+)"',
                       subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True).stdout)  # fmt: skip
    assert sizes and all(round(float(w)) == 842 and round(float(h)) == 595 for w, h in sizes), set(sizes)
    # the header row / the naming column repeat on every page of a sheet longer or wider than one
    submissions, services = page_texts[SHEETS["submissions"]], page_texts[SHEETS["services"]]
    assert len(submissions) > 1 and all("Stav" in t or "Kód území" in t for _, t in submissions)
    assert len(services) > 1 and all("Název služby" in t for _, t in services)
    # one page rendered to an image, as a person sees it (pdftoppm)
    if shutil.which("pdftoppm"):
        first = submissions[0][0]
        subprocess.run(["pdftoppm", "-r", "50", "-f", str(first), "-l", str(first), "-png", str(pdf), str(tmp_path / "odevzdani")],
                       check=True)  # fmt: skip
        png = next(tmp_path.glob("odevzdani*.png")).read_bytes()
        width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and width > height > 300
    # every sheet prints, the optional ones computed here (--registry / --deadline) too
    from xlkpss.merge.model import OPTIONAL_SHEETS

    written = {n for k, n in SHEETS.items() if k not in OPTIONAL_SHEETS or k in outputs["c"].tables}
    assert {SHEETS["service_comparison"], SHEETS["submitter_completeness"]} <= written <= set(by_sheet), sorted(by_sheet)
    # a word's box at 100 % of the 11-point font is ~13 pt high; the old print was ~5.8
    for sheet, heights in by_sheet.items():
        assert statistics.median(heights) >= 7.5, sheet
    text = " ".join(w for words in pages for _, w in words)
    assert "přijato s upozorněním" in text or "v pořádku" in text
    # no text cut by the next column: LibreOffice clips a cut cell's text, so in the PDF
    # its last word overlaps the first word of the next cell on the same line
    assert _clipped_words(pdf) == []


def _clipped_words(pdf: Path) -> list[tuple[int, str, str]]:
    """(page, word, next word) of every pair of words on one line that overlap."""
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    found = []
    for n, page in enumerate(re.findall(r"<page [^>]*>(.*?)</page>", out, re.S), start=1):
        lines: dict[int, list[tuple[float, float, str]]] = {}
        for x0, y0, x1, w in re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">(.*?)</word>',
                                        page):  # fmt: skip
            lines.setdefault(round(float(y0)), []).append((float(x0), float(x1), htmlmod.unescape(w)))
        for words in lines.values():
            words.sort()
            found += [(n, a[2], b[2]) for a, b in zip(words, words[1:]) if a[1] > b[0] + 0.5]
    return found


# --- Chromium: the pages on a phone and a desktop ------------------------------------------

_MEASURE = """() => {
  const doc = document.documentElement;
  const cut = [];
  document.querySelectorAll('.scroll').forEach(s => {
    const t = s.querySelector('table');
    if (!t || t.closest('details:not([open])')) return;
    if (s.scrollWidth > s.clientWidth + 1) cut.push({cls: t.className, sw: s.scrollWidth, cw: s.clientWidth,
        sticky: getComputedStyle(t.querySelector('tbody th') || t).position});
  });
  return {overflow: doc.scrollWidth - doc.clientWidth, cut, sections: Array.from(document.querySelectorAll('section[id]')).map(s => s.id)};
}"""


def _visit(page: Path, width: int):
    from browser import have_playwright, open_page, require_chromium

    require_chromium()
    if not have_playwright():
        pytest.skip("playwright not installed")
    with open_page(page, width=width, height=900) as v:
        result = v.page.evaluate(_MEASURE)
        result["errors"] = v.console_errors
        result["png"] = v.screenshot(page.with_name(f"{page.stem}_{width}.png"))
    return result


@pytest.mark.chromium
@pytest.mark.parametrize("width", [390, 1280])
def test_summary_page_fits(outputs, width):
    r = _visit(outputs["summary"], width)
    assert r["overflow"] <= 0 and r["errors"] == []
    assert r["sections"] and "ocekavane-sluzby" in r["sections"]  # the comparison with the registry is measured too
    # a wide table may scroll only when it is a heat table with its labels kept in view
    assert all("heat" in t["cls"] and t["sticky"] == "sticky" for t in r["cut"]), r["cut"]


@pytest.mark.chromium
@pytest.mark.parametrize("width", [390, 1280])
def test_fulfilment_page_fits(tmp_path, width):
    page = _fulfilment_page(tmp_path)
    r = _visit(page, width)
    assert r["overflow"] <= 0 and r["errors"] == []
    assert r["cut"] == []  # Komentář visible: no table scrolls sideways


@pytest.mark.chromium
@pytest.mark.parametrize("width", [390, 1280])
def test_catalogue_page_fits(outputs, width):
    r = _visit(outputs["catalogue"], width)
    assert r["overflow"] <= 0 and r["errors"] == [] and r["cut"] == []


def _fulfilment_page(tmp_path: Path) -> Path:
    """The fulfilment page of the sample plans (the demo's two plans)."""
    from xlkpss.plan import load_plans
    from xlkpss.render.fulfilment import write_fulfilment_html

    files = sorted(SAMPLES.rglob("*plan*_2026.xlsx"))
    plans = load_plans(files, year=2026, force=False)
    assert plans
    path = tmp_path / "plneni.html"
    write_fulfilment_html(plans, path, year=2026)
    return path


# --- the catalogue ---------------------------------------------------------------------------


def test_catalogue_links_and_search_text(outputs):
    from xlkpss.render.catalogue import mailto_href, search_key, tel_href

    text = outputs["catalogue"].read_text(encoding="utf-8")
    assert 'href="tel:' in text and 'href="mailto:' in text
    assert tel_href("+420 474 651 236") == "tel:+420474651236"
    assert tel_href("viz web") == "" and mailto_href("javascript:alert(1)") == ""
    assert search_key("Pečovatelská služba") == "pecovatelska sluzba"
    assert re.search(r'data-search="[^"]*pecovatelska sluzba', text)
    assert not re.search(r"</a>\s+,", text)


@pytest.mark.chromium
def test_catalogue_search_ignores_diacritics_and_print_has_no_orphan(outputs, tmp_path):
    from browser import have_playwright, open_page, require_chromium

    require_chromium()
    if not have_playwright():
        pytest.skip("playwright not installed")
    with open_page(outputs["catalogue"], width=390) as v:
        v.page.fill("#hledat", "pecovatelska")
        shown = v.page.locator("li.service:not([hidden])").count()
        names = v.page.locator("li.service:not([hidden]) .name").all_inner_texts()
        pdf = v.pdf(tmp_path / "katalog.pdf")
        assert v.console_errors == []
    assert shown >= 1 and all("pečovatelsk" in n.lower() or "Pečovatel" in n for n in names[:1])
    if shutil.which("pdftotext"):
        pages = _pdf_pages(pdf)
        for words in pages:
            body = " ".join(w for _, w in words)
            assert not (body.startswith("Viz také") and len(words) < 60), body[:80]
        assert " , č." not in " ".join(w for p in pages for _, w in p)
