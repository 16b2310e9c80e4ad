"""HTML summary rendered from the sample merge (samples/orp_4203_chomutov): its figures
equal the consolidated workbook's, labels come from the spec, submitted text is
escaped, the page is valid HTML5, self-contained and deterministic."""

from __future__ import annotations

import ast
import atexit
import math
import re
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

import html5lib
import pytest
from click.testing import CliRunner
from support import GOOD_SERVICE, make_orp_submissions, make_submission

from xlkpss.codelists import codelist, territory
from xlkpss.merge.model import COLUMN_LABELS, Consolidated
from xlkpss.render.summary import build_summary, render_summary, summary_html
from xlkpss.spec import load_spec

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples" / "orp_4203_chomutov"
XSS = "<script>alert(1)</script>"
GENERATED = "2026-04-01"


# ---------------------------------------------------------------------------
# The sample merge (shared with test_browser)
# ---------------------------------------------------------------------------


def _merge(folder: Path, out_dir: Path, orp: str = "4203") -> tuple[Consolidated, Path]:
    """Merge a folder of submissions into a consolidated workbook and read it back, so
    the page is rendered from what the workbook holds."""
    from xlkpss.merge.consolidate import merge_paths
    from xlkpss.merge.workbook import read_consolidated, write_consolidated

    c = merge_paths([folder], level="orp", territory=territory(orp=orp), generated=GENERATED)
    path = write_consolidated(c, out_dir / f"orp_{orp}.xlsx")
    return read_consolidated(path), path


@lru_cache(maxsize=1)
def _sample() -> tuple[Consolidated, Path]:
    # one merge per test session, shared by test_summary and test_browser
    out_dir = Path(tempfile.mkdtemp(prefix="xlkpss-sample-"))
    atexit.register(shutil.rmtree, out_dir, ignore_errors=True)
    return _merge(SAMPLES, out_dir)


def sample_consolidated() -> tuple[Consolidated, Path]:
    """(consolidated data read back from the sample workbook, the workbook path)."""
    if not SAMPLES.is_dir():
        pytest.fail(f"samples missing: {SAMPLES}")
    return _sample()


def sample_page(out_dir: Path) -> Path:
    """The summary page of the sample merge, written into ``out_dir`` (used by test_browser)."""
    c, _ = sample_consolidated()
    return render_summary(c, out_dir / "souhrn.html")


def evil_page(out_dir: Path) -> Path:
    """The page of a merge with a provider named ``<script>alert(1)</script>``."""
    folder = out_dir / "evil"
    folder.mkdir()
    shutil.copy(SAMPLES / "obec_562971_chomutov_sluzby_2026.xlsx", folder)
    make_submission(
        folder / "poskytovatel_evil.xlsx",
        rows=[
            {
                **GOOD_SERVICE,
                "identifikator": "9876543",
                "poskytovatel": XSS,
                "nazev_sluzby": f"Klub {XSS}",
                "druh": "§62 Nízkoprahová zařízení pro děti a mládež",
                "forma": "ambulantní",
                "kapacita": 25,
                "typ_kapacity": "klienti",
                "obec": "Chomutov",
            }
        ],
        ident={"typ_predkladatele": "poskytovatel", "kod_obce": None, "ico": "00075655", "nazev": XSS},
    )
    c, _ = _merge(folder, out_dir)
    return render_summary(c, out_dir / "evil.html")


@pytest.fixture(scope="module")
def sample() -> tuple[Consolidated, Path]:
    return sample_consolidated()


@pytest.fixture(scope="module")
def consolidated(sample) -> Consolidated:
    return sample[0]


@pytest.fixture(scope="module")
def page(consolidated) -> str:
    return summary_html(consolidated)


@pytest.fixture(scope="module")
def doc(page):
    return html5lib.parse(page, namespaceHTMLElements=False)


# ---------------------------------------------------------------------------
# Reading the page
# ---------------------------------------------------------------------------


def _text(el) -> str:
    return re.sub(r"\s+", " ", "".join(el.itertext())).replace("\u00a0", " ").strip()


def _page_text(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)).replace("\u00a0", " ")


def _num(text: str) -> float:
    """``2 774 600 Kč`` / ``60,5 %`` / ``1 234 Kč (40 %)`` → a float."""
    text = text.split(" (")[0].replace("\u00a0", " ").replace("Kč", "").replace("%", "").replace(" ", "")
    return float(text.replace(",", "."))


def _figure(doc, key: str) -> str:
    for el in doc.iter():
        if el.get("data-figure") == key:
            value = el.find(".//*[@class='card-value']")
            return _text(value if value is not None else el)
    raise KeyError(key)


def _chart_table(doc, chart_id: str) -> tuple[list[str], list[list[str]]]:
    for fig in doc.iter("figure"):
        if fig.get("data-chart") == chart_id:
            table = fig.find(".//table")
            headers = [_text(th) for th in table.find("thead").iter("th")]
            rows = [[_text(cell) for cell in tr if cell.tag in ("th", "td")] for tr in table.find("tbody").iter("tr")]
            return headers, rows
    raise KeyError(chart_id)


def _records(c: Consolidated, sheet: str) -> list[dict]:
    df = c.table(sheet)
    return [] if df is None or len(df) == 0 else df.to_dict("records")


def _n(v) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return 0.0
    return 0.0 if math.isnan(f) else f


# ---------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------


def test_samples_merge_has_content(consolidated):
    assert len(consolidated.table("services")) >= 10
    assert len(consolidated.table("plan_summary")) >= 2


def test_valid_html5(page):
    html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(page)  # raises on any parse error
    assert page.startswith('<!DOCTYPE html>\n<html lang="cs">')


def test_self_contained(page):
    assert not re.search(r"<script|\bsrc=|@import|url\(", page, flags=re.IGNORECASE)
    links = re.findall(r"<link\b[^>]*>", page)
    assert all('href="data:' in link for link in links)
    # the only URL is the SVG namespace (an identifier, never fetched)
    assert set(re.findall(r"https?://[^\s\"'<>]+", page)) <= {"http://www.w3.org/2000/svg"}
    assert "Content-Security-Policy" in page and "default-src 'none'" in page


def test_deterministic(consolidated, tmp_path):
    a = render_summary(consolidated, tmp_path / "a.html").read_bytes()
    b = render_summary(consolidated, tmp_path / "b.html").read_bytes()
    assert a == b
    assert GENERATED not in a.decode()  # shown the Czech way
    assert "1.\u00a04.\u00a02026" in a.decode()


def test_header(doc, consolidated):
    metas = {el.get("data-meta"): _text(el) for el in doc.iter() if el.get("data-meta")}
    assert metas["territory"] == "ORP Chomutov"
    assert metas["year"] == "2026"
    assert metas["generated"] == "1. 4. 2026"
    assert _num(metas["completeness"]) == pytest.approx(consolidated.meta["completeness"], abs=0.5)


def test_headline_figures_equal_workbook(doc, consolidated):
    services = _records(consolidated, "services")
    overview = {r["metric"]: r for r in _records(consolidated, "overview")}
    assert _num(_figure(doc, "services")) == len(services) == _n(overview["services"]["value"])
    assert _num(_figure(doc, "costs")) == sum(_n(s["naklady"]) for s in services) == _n(overview["costs"]["value"])
    assert _figure(doc, "costs").endswith("Kč")
    for item in codelist("typy_kapacity"):
        key = f"capacity:{item.code}"
        expected = sum(
            _n(s["kapacita"]) for s in services if codelist("typy_kapacity").resolve(s["typ_kapacity"]) == item
        )
        if expected:
            assert _num(_figure(doc, key)) == expected == _n(overview[key]["value"])
    assert _num(_figure(doc, "pocet_uzivatelu")) == sum(_n(s["pocet_uzivatelu"]) for s in services)
    assert _num(_figure(doc, "uvazky")) == pytest.approx(sum(_n(s["uvazky"]) for s in services), abs=0.05)
    assert _num(_figure(doc, "plan_done")) == pytest.approx(_n(overview["plan_done"]["value"]), abs=0.05)
    assert _num(_figure(doc, "carryover")) == len(consolidated.table("carryover"))


def test_capacity_charts_equal_workbook(doc, consolidated):
    services = _records(consolidated, "services")
    types = codelist("typy_kapacity")
    for item in types:
        mine = [s for s in services if types.resolve(s["typ_kapacity"]) == item]
        if not mine:
            continue
        headers, rows = _chart_table(doc, f"graf-kapacita-{item.code}")
        assert headers[0] == load_spec().label("sluzby", "druh")
        assert headers[-1] == load_spec().label("sluzby", "kapacita")
        assert headers[1:-1] == [f.label for f in codelist("formy")]
        assert sum(_num(r[-1]) for r in rows) == sum(_n(s["kapacita"]) for s in mine)
        by_druh = {}
        for s in mine:
            label = codelist("druhy_sluzeb").resolve(s["druh"]).display
            by_druh[label] = by_druh.get(label, 0) + _n(s["kapacita"])
        assert {r[0]: _num(r[-1]) for r in rows} == by_druh


def test_coverage_heat_table_equals_workbook(doc, consolidated):
    heat = next(t for t in doc.iter("table") if "heat" in (t.get("class") or ""))
    columns = [_text(th) for th in heat.find("thead").iter("th")][1:-1]
    totals = [_text(td) for td in heat.find("tfoot").iter("td")][:-1]
    per_obec = {}
    for r in _records(consolidated, "capacities"):
        if r["territory_level"] == "obec":
            per_obec[r["territory_name"]] = per_obec.get(r["territory_name"], 0) + _n(r["services"])
    assert dict(zip(columns, map(_num, totals))) == per_obec
    assert sum(per_obec.values()) == len(consolidated.table("services"))


def test_funding_equals_workbook(doc, consolidated):
    services = _records(consolidated, "services")
    headers, rows = _chart_table(doc, "graf-financovani")
    sources = [f for f in load_spec().template("sluzby").sheet("sluzby").fields if f.funding]
    assert headers[1:-1] == [f.label.replace(" (Kč)", "") for f in sources]
    total_row = rows[0]
    for f, cell in zip(sources, total_row[1:-1]):
        assert _num(cell) == sum(_n(s[f.key]) for s in services), f.key
    assert _num(_figure(doc, "funding-costs")) == sum(_n(s["naklady"]) for s in services)


def test_plan_fulfilment_equals_workbook(doc, consolidated):
    plan = _records(consolidated, "plan_summary")
    headers, rows = _chart_table(doc, "graf-plneni")
    assert headers[1:5] == [i.label for i in codelist("stavy_planu")]
    assert len(rows) == len(plan)
    for row, rec in zip(rows, plan):
        assert str(rec["priority_name"]) in row[0]
        assert _num(row[-1]) == _n(rec["items"])
        assert _num(row[1]) == _n(rec["n_splneno"])
    assert _num(_figure(doc, "plan-done")) == sum(_n(r["n_splneno"]) for r in plan)
    assert _num(_figure(doc, "plan-items")) == sum(_n(r["items"]) for r in plan)


def test_carryover_list(page, consolidated):
    carry = _records(consolidated, "carryover")
    assert f"Pokračuje v příštím roce ({len(carry)})" in _page_text(page)
    for rec in carry:
        assert str(rec["nazev"]).replace("\u00a0", " ") in _page_text(page)


def test_completeness_lists_missing(doc, page, consolidated):
    subs = _records(consolidated, "submissions")
    missing = sorted(r["territory_name"] for r in subs if r["status"] == "missing")
    shown = sorted(_text(li) for ul in doc.iter("ul") if ul.get("data-list") == "missing" for li in ul)
    assert shown == missing
    assert f"Chybí podklady ({len(missing)})" in _page_text(page)
    assert _num(_figure(doc, "status-missing")) == len(missing)


def test_target_groups_equal_workbook(doc, consolidated):
    coverage = {r["target_group"]: _n(r["total"]) for r in _records(consolidated, "coverage") if _n(r["total"])}
    _, rows = _chart_table(doc, "graf-cilove-skupiny")
    assert {r[0]: _num(r[1]) for r in rows} == coverage


def test_problem_counts(doc, consolidated):
    subs = _records(consolidated, "submissions")
    assert _num(_figure(doc, "conflicts")) == len(consolidated.table("conflicts"))
    assert _num(_figure(doc, "rejected")) == sum(1 for r in subs if r["status"] == "rejected")
    # errors and warnings; the lines that only inform (a service reported twice …) apart
    info = {"duplicate-service", "duplicate-row", "superseded"}
    codes = [str(r["code"]) for r in _records(consolidated, "errors")]
    assert _num(_figure(doc, "errors")) == sum(1 for code in codes if code not in info)
    if any(code in info for code in codes):
        assert _num(_figure(doc, "info")) == sum(1 for code in codes if code in info)


def test_charts_have_accessible_names_and_tables(page):
    svgs = re.findall(r"<svg\b.*?</svg>", page, flags=re.DOTALL)
    assert len(svgs) >= 5
    for svg in svgs:
        assert 'role="img"' in svg
        ids = re.search(r'aria-labelledby="([^"]+)"', svg).group(1).split()
        for i in ids:
            assert f'id="{i}"' in svg
        assert re.search(r"<title id=[^>]+>[^<]+</title>", svg)
    assert page.count('<details class="chart-data">') == len(svgs)


def test_labels_from_spec(page):
    text = _page_text(page)
    spec = load_spec()
    for key in ("druh", "kapacita"):
        assert spec.label("sluzby", key) in text
    for key in ("cislo", "nazev", "realizator", "termin", "stav"):
        assert spec.label("plan", key) in text
    assert COLUMN_LABELS["services"] in text


def test_no_label_retyped_in_renderer():
    """Field labels come from the spec: none is written out in the renderer or its templates."""
    # "ORP" is also a level word (ORP, kraj), not only the label of Identifikace → ORP
    labels = {f.label for f in load_spec().all_fields() if len(f.label) > 3}
    render = ROOT / "xlkpss" / "render"
    strings = set()
    for py in ("summary.py", "charts.py", "html.py"):
        for node in ast.walk(ast.parse((render / py).read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                strings.add(node.value.strip())
    for tpl in ("summary.html.j2", "_macros.html.j2"):
        source = (render / "templates" / tpl).read_text(encoding="utf-8")
        strings |= {t.strip() for t in re.findall(r">([^<>{}]+)<", source)}
    assert sorted(labels & strings) == []


def test_provider_name_is_escaped(tmp_path):
    page = evil_page(tmp_path).read_text(encoding="utf-8")
    assert XSS not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script" not in page.lower()
    html5lib.HTMLParser(strict=True).parse(page)


def test_empty_consolidated_renders(tmp_path):
    path = render_summary(
        Consolidated(meta={"level": "orp", "territory_code": "4203", "year": 2026}), tmp_path / "e.html"
    )
    text = path.read_text(encoding="utf-8")
    html5lib.HTMLParser(strict=True).parse(text)
    assert "Žádné údaje" in text and "ORP Chomutov" in text


def test_build_summary_is_plain_data(consolidated):
    s = build_summary(consolidated)
    assert s["territory"] == "ORP Chomutov"
    assert {f.key for f in s["figures"]} >= {"services", "costs", "completeness"}


def test_report_command(sample, tmp_path):
    c, workbook = sample
    from xlkpss.cli import main

    out = tmp_path / "souhrn.html"
    result = CliRunner().invoke(main, ["report", str(workbook), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == render_summary(c, tmp_path / "direct.html").read_bytes()
    # without -o: next to the workbook
    result = CliRunner().invoke(main, ["report", str(workbook)])
    assert result.exit_code == 0, result.output
    assert workbook.with_suffix(".html").read_bytes() == out.read_bytes()


def test_merge_html_equals_report_from_workbook(tmp_path):
    """The page written by ``merge --html`` can be regenerated from the workbook alone."""
    from xlkpss.cli import main

    runner = CliRunner()
    wb, a, b = tmp_path / "orp.xlsx", tmp_path / "merge.html", tmp_path / "report.html"
    result = runner.invoke(
        main, ["merge", str(SAMPLES), "-o", str(wb), "--html", str(a), "--generated", GENERATED, "-q"]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["report", str(wb), "-o", str(b)])
    assert result.exit_code == 0, result.output
    assert a.read_bytes() == b.read_bytes()


def test_regional_summary(sample, tmp_path):
    """A kraj merged from ORP workbooks: territories are ORP, ORP without data are named."""
    from xlkpss.merge.consolidate import merge_paths

    _, chomutov = sample
    _, kadan = _merge(ROOT / "samples" / "orp_4204_kadan", tmp_path, orp="4204")
    c = merge_paths([chomutov, kadan], level="kraj", territory=territory(kraj="CZ042"), generated=GENERATED)
    page = summary_html(c)
    html5lib.HTMLParser(strict=True).parse(page)
    doc = html5lib.parse(page, namespaceHTMLElements=False)
    text = _page_text(page)
    assert "Souhrn za Ústecký kraj" in text
    heat = next(t for t in doc.iter("table") if "heat" in (t.get("class") or ""))
    assert [_text(th) for th in heat.find("thead").iter("th")][1:-1] == ["Chomutov", "Kadaň"]
    assert "ORP nedodalo údaje" in text and "Žatec" in text
    assert _num(_figure(doc, "services")) == len(c.table("services"))


def test_national_summary(sample, tmp_path):
    """The Czech Republic merged from two regional workbooks: territories are kraje, kraje
    without a workbook are named, the heading declines the country."""
    from xlkpss.merge.consolidate import merge_paths
    from xlkpss.merge.workbook import read_consolidated, write_consolidated

    _, chomutov = sample
    folder = tmp_path / "dosle_5105"
    folder.mkdir()
    make_orp_submissions(folder, "5105")
    _, liberec = _merge(folder, tmp_path, orp="5105")
    regional = [
        write_consolidated(merge_paths([orp], generated=GENERATED), tmp_path / f"kraj_{n}.xlsx")
        for n, orp in enumerate((chomutov, liberec))
    ]
    c = read_consolidated(write_consolidated(merge_paths(regional, generated=GENERATED), tmp_path / "cr.xlsx"))
    assert c.meta["level"] == "stat"
    page = summary_html(c)
    html5lib.HTMLParser(strict=True).parse(page)
    doc = html5lib.parse(page, namespaceHTMLElements=False)
    text = _page_text(page)
    assert "Souhrn za Českou republiku" in text
    metas = {el.get("data-meta"): _text(el) for el in doc.iter() if el.get("data-meta")}
    assert metas["territory"] == "Česká republika"
    heat = next(t for t in doc.iter("table") if "heat" in (t.get("class") or ""))
    assert [_text(th) for th in heat.find("thead").iter("th")][1:-1] == ["Liberecký kraj", "Ústecký kraj"]
    assert "podle druhu služby a území (kraje)" in text
    # the 12 kraje without a workbook: listed as missing, and their gaps not judged
    missing = sorted(_text(li) for ul in doc.iter("ul") if ul.get("data-list") == "missing" for li in ul)
    assert len(missing) == 12 and "Zlínský kraj" in missing and "Ústecký kraj" not in missing
    assert "kraj nedodal souhrn" in text and "ORP nedodalo údaje" in text
    assert _num(_figure(doc, "services")) == len(c.table("services"))
    # the capacity charts show the whole country (rows of level stát)
    services = _records(c, "services")
    for item in codelist("typy_kapacity"):
        mine = [s for s in services if codelist("typy_kapacity").resolve(s["typ_kapacity"]) == item]
        if mine:
            _, rows = _chart_table(doc, f"graf-kapacita-{item.code}")
            assert sum(_num(r[-1]) for r in rows) == sum(_n(s["kapacita"]) for s in mine)


def test_report_command_rejects_other_files(tmp_path):
    from xlkpss.cli import main

    bad = tmp_path / "x.xlsx"
    bad.write_bytes(b"not a workbook")
    result = CliRunner().invoke(main, ["report", str(bad), "-o", str(tmp_path / "s.html")])
    assert result.exit_code != 0
    assert not (tmp_path / "s.html").exists()
    result = CliRunner().invoke(main, ["report", str(bad), "-o", str(tmp_path / "s.pdf")])
    assert result.exit_code == 2


def test_year_over_year_changes(sample, tmp_path):
    """With --previous: the whole territory's change and the services changed above the threshold."""
    import copy

    from xlkpss.merge.consolidate import merge_paths
    from xlkpss.merge.workbook import write_consolidated

    c, _ = sample
    prev = copy.deepcopy(c)
    prev.meta["year"] = 2025
    services = prev.tables["services"]
    first = services.index[0]
    services.loc[first, "kapacita"] = 2 * services.loc[first, "kapacita"]
    prev_path = write_consolidated(prev, tmp_path / "orp_2025.xlsx")
    curr = merge_paths([SAMPLES], level="orp", territory=territory(orp="4203"), generated=GENERATED, previous=prev_path)
    page = summary_html(curr)
    html5lib.HTMLParser(strict=True).parse(page)
    doc = html5lib.parse(page, namespaceHTMLElements=False)
    flagged = [r for r in _records(curr, "changes") if r["flag"] == "ano" and not str(r["row_kind"]).endswith("(ORP)")]
    assert flagged
    assert _num(_figure(doc, "changes-flagged")) == len(flagged)
    text = _page_text(page)
    assert "Meziroční změny" in text and "za rok 2025" in text
    assert "\u221250 %" in text  # the doubled capacity of last year halves
    assert str(services.loc[first, "nazev_sluzby"]) in text
