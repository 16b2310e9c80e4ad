"""The history store, the trends page and the Parquet export on real consolidated
workbooks of three years (tests/history_data.py: the samples, and earlier years made
from them with other figures, validated and merged for real).

Every number is checked against an independent count: the services sheet of each
consolidated workbook read back with ``read_consolidated``."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import html5lib
import pytest
from click.testing import CliRunner
from history_data import history_workbooks

from xlkpss.cli import main
from xlkpss.history import add_paths, connect
from xlkpss.history.report import build_trends, render_trends, trends_html
from xlkpss.history.schema import TABLES, tables
from xlkpss.merge.workbook import read_consolidated


@pytest.fixture(scope="module")
def hist():
    return history_workbooks()


@pytest.fixture(scope="module")
def db(hist, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("db") / "kpss.duckdb"
    results = add_paths(path, [*hist.orp.values(), *hist.kraj.values()])
    assert [r.status for r in results] == ["added"] * 8
    return path


def _count(db: Path, sql: str, params=()):
    con = connect(db, read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def _snapshot(db: Path) -> dict[str, list]:
    con = connect(db, read_only=True)
    try:
        out = {t.name: con.execute(f'SELECT * FROM "{t.name}" ORDER BY ALL').fetchall() for t in tables()}
        out["workbooks"] = con.execute(
            "SELECT * EXCLUDE (loaded_at) FROM workbooks ORDER BY ALL").fetchall()
        return out
    finally:
        con.close()


def _services_sum(path: Path) -> dict[tuple[str, str], float]:
    """Capacity per (obec's ORP, capacity type) counted from the workbook itself."""
    out: dict[tuple[str, str], float] = {}
    for r in read_consolidated(path).table("services").to_dict("records"):
        if r["kapacita"] is not None:
            key = (r["kod_orp"], r["typ_kapacity"])
            out[key] = out.get(key, 0) + r["kapacita"]
    return out


# ---------------------------------------------------------------------------
# history add
# ---------------------------------------------------------------------------


def test_every_row_of_every_table_is_stored(db, hist):
    for path in [*hist.orp.values(), *hist.kraj.values()]:
        c = read_consolidated(path)
        for sheet, name in TABLES.items():
            (n,), = _count(db, f'SELECT count(*) FROM "{name}" WHERE workbook_sha256 = ?', [c.meta["sha256"]])
            assert n == len(c.table(sheet)), (path.name, sheet)


def test_stored_capacity_equals_workbook(db, hist):
    for (code, year), path in hist.orp.items():
        rows = _count(db, "SELECT kod_orp, typ_kapacity, sum(kapacita) FROM services WHERE year = ? AND "
                          "workbook_level = 'orp' AND workbook_territory = ? AND kapacita IS NOT NULL GROUP BY ALL",
                      [year, code])
        assert {(o, t): v for o, t, v in rows} == _services_sum(path)


def test_provenance_kept(db, hist):
    c = read_consolidated(hist.orp[("4203", 2026)])
    expected = sorted((r["src_file"], r["src_row"], r["src_sha256"]) for r in c.table("services").to_dict("records"))
    got = sorted(_count(db, "SELECT src_file, src_row, src_sha256 FROM services WHERE workbook_sha256 = ?",
                        [c.meta["sha256"]]))
    assert got == expected


def test_adding_again_changes_nothing(db, hist, tmp_path):
    copy = tmp_path / "kpss.duckdb"
    shutil.copy(db, copy)
    before = _snapshot(copy)
    results = add_paths(copy, [*hist.orp.values(), *hist.kraj.values()])
    assert {r.status for r in results} == {"unchanged"}
    assert all("beze změny" in r.message for r in results)
    assert _snapshot(copy) == before


def test_newer_workbook_replaces_older_and_older_is_not_loaded(db, hist, tmp_path):
    copy = tmp_path / "kpss.duckdb"
    shutil.copy(db, copy)
    old = read_consolidated(hist.orp[("4203", 2026)])
    new = read_consolidated(hist.replacement)
    (r,) = add_paths(copy, [hist.replacement])
    assert r.status == "replaced"
    assert "nahrazuje starší souhrn" in r.message and old.meta["generated"] in r.message
    rows = _count(copy, "SELECT DISTINCT workbook_sha256 FROM services WHERE year = 2026 AND workbook_territory = '4203'")
    assert rows == [(new.meta["sha256"],)]
    (cap,), = _count(copy, "SELECT sum(kapacita) FROM services WHERE year = 2026 AND workbook_territory = '4203'")
    assert cap == sum(_services_sum(hist.replacement).values()) == sum(_services_sum(hist.orp[("4203", 2026)]).values()) + 10
    # the older one again: not loaded, said so, store unchanged
    before = _snapshot(copy)
    (r,) = add_paths(copy, [hist.orp[("4203", 2026)]])
    assert r.status == "older" and "starší než uložený" in r.message
    assert _snapshot(copy) == before
    # other slots untouched
    assert _snapshot(copy)["plan_summary"] != [] and _count(copy, "SELECT count(*) FROM workbooks") == [(8,)]


def test_bad_file_is_reported_and_others_loaded(hist, tmp_path):
    bad = tmp_path / "neni_souhrn.xlsx"
    bad.write_bytes(b"not a workbook")
    results = add_paths(tmp_path / "h.duckdb", [bad, hist.orp[("4204", 2025)]])
    assert [r.status for r in results] == ["error", "added"]
    assert "neni_souhrn.xlsx" in results[0].message


def test_cli_add(hist, tmp_path):
    runner = CliRunner()
    dbp = tmp_path / "k.duckdb"
    args = ["history", "add", str(hist.orp[("4203", 2025)]), str(hist.orp[("4203", 2026)]), "--db", str(dbp)]
    r = runner.invoke(main, args)
    assert r.exit_code == 0, r.output
    assert "načteno 2" in r.output and "ORP Chomutov, rok 2025" in r.output
    r = runner.invoke(main, args)
    assert r.exit_code == 0 and "beze změny 2" in r.output
    r = runner.invoke(main, ["history", "add", str(hist.replacement), "--db", str(dbp)])
    assert r.exit_code == 0 and "nahrazeno 1" in r.output and "nahrazuje starší souhrn" in r.output
    bad = tmp_path / "x.xlsx"
    bad.write_text("x")
    r = runner.invoke(main, ["history", "add", str(bad), "--db", str(dbp)])
    assert r.exit_code == 1 and "Traceback" not in r.output
    r = runner.invoke(main, ["history", "add", str(tmp_path / "chybi.xlsx"), "--db", str(dbp)])
    assert r.exit_code == 2
    notdb = tmp_path / "neni.duckdb"
    notdb.write_text("hello")
    r = runner.invoke(main, ["history", "add", str(hist.replacement), "--db", str(notdb)])
    assert r.exit_code == 1 and "nelze otevřít" in r.output and notdb.read_text() == "hello"


# ---------------------------------------------------------------------------
# history report
# ---------------------------------------------------------------------------


def _text(el) -> str:
    return re.sub(r"\s+", " ", "".join(el.itertext())).replace("\u00a0", " ").strip()


def _table(doc, cls: str) -> tuple[list[str], list[list[str]]]:
    for t in doc.iter("table"):
        if cls in (t.get("class") or "").split():
            headers = [_text(th) for th in t.find("thead").iter("th")]
            rows = [[_text(c) for c in tr if c.tag in ("th", "td")] for tr in t.find("tbody").iter("tr")]
            return headers, rows
    raise KeyError(cls)


def _num(text: str) -> float:
    return float(text.replace("\u00a0", "").replace(" ", "").replace("Kč", "").replace("%", "").replace(",", "."))


@pytest.fixture(scope="module")
def orp_page(db) -> str:
    return trends_html(build_trends(db, by="orp", generated="2027-06-01"))


def test_page_is_valid_self_contained_czech(orp_page):
    html5lib.HTMLParser(strict=True).parse(orp_page)
    assert "<script" not in orp_page and "http://" not in orp_page.replace("http://www.w3.org/2000/svg", "")
    assert 'lang="cs"' in orp_page and "Vývoj sociálních služeb – 2 ORP, 2024–2026" in orp_page
    for word in ("capacity", "services", "workbook_level", "None", "nan"):
        assert not re.search(rf">[^<]*\b{word}\b[^<]*<", orp_page), word


def test_overview_capacity_equals_workbooks(orp_page, hist):
    doc = html5lib.parse(orp_page, namespaceHTMLElements=False)
    headers, rows = _table(doc, "trend-overview")
    col = headers.index("Kapacita – lůžka")
    got = {(r[0], r[1]): _num(r[col]) for r in rows}
    for (code, year), path in hist.orp.items():
        name = "ORP Chomutov" if code == "4203" else "ORP Kadaň"
        assert got[(name, str(year))] == _services_sum(path).get((code, "lůžka"), 0)


def test_capacity_chart_numbers_in_table(orp_page, hist):
    doc = html5lib.parse(orp_page, namespaceHTMLElements=False)
    fig = next(f for f in doc.iter("figure") if f.get("data-chart") == "kapacita-1")
    assert any(el.tag.endswith("svg") for el in fig.iter() if isinstance(el.tag, str))
    rows = [[_text(c) for c in tr if c.tag in ("th", "td")] for tr in fig.find(".//tbody").iter("tr")]
    total_2024 = sum(_services_sum(hist.orp[(c, 2024)]).get((c, "lůžka"), 0) for c in ("4203", "4204"))
    row = next(r for r in rows if r[0] == "2024")
    assert _num(row[-1]) == total_2024


def test_lost_target_group_listed(orp_page, hist):
    """Chomutov's first service is missing in 2025: its target groups lost a service."""
    doc = html5lib.parse(orp_page, namespaceHTMLElements=False)
    lost = next(u for u in doc.iter("ul") if u.get("data-list") == "groups-lost")
    lines = [_text(li) for li in lost.iter("li")]
    c25, c26 = (read_consolidated(hist.orp[("4203", y)]).table("services") for y in (2025, 2026))
    new_ids = set(c26.identifikator) - set(c25.identifikator)
    assert new_ids
    groups = set(c26[c26.identifikator.isin(new_ids)].cilova_skupina_1)
    for g in groups:
        assert any(line.startswith((f"ORP Chomutov: {g} – 2024", f"ORP Chomutov: {g} – 2025"))
                   for line in lines), (g, lines)


def test_kraj_trends_use_regional_workbook_and_mark_orp_only_years(db, hist):
    t = build_trends(db, by="kraj", generated="2027-06-01")
    assert [u[0] for u in t.units] == ["CZ042"]
    assert t.partial == ["Ústecký kraj, 2024"]
    levels = {(r[0], r[2]) for r in t.sources.rows}
    assert levels == {("2024", "souhrn ORP"), ("2025", "souhrn kraje"), ("2026", "souhrn kraje")}
    kraj26 = sum(v for (o, typ), v in _services_sum(hist.kraj[2026]).items() if typ == "lůžka")
    col = t.overview.headers.index("Kapacita – lůžka")
    row = next(r for r in t.overview.rows if r[1] == "2026")
    assert _num(row[col]) == kraj26


def test_plan_fulfilment_equals_workbook(db, hist):
    t = build_trends(db, by="orp", territory="4203")
    row = next(r for r in t.plan.rows if r[1] == "2026")
    ov = read_consolidated(hist.orp[("4203", 2026)]).table("overview")
    pct = float(ov[ov.metric == "plan_done"].value.iloc[0])
    assert abs(_num(row[4]) - pct) < 0.5


def test_cli_report_and_browser(db, tmp_path):
    from browser import have_playwright, open_page, require_chromium

    out = tmp_path / "trendy.html"
    r = CliRunner().invoke(main, ["history", "report", "--db", str(db), "--orp", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert out.is_file() and "roky 2024, 2025, 2026" in r.output
    r = CliRunner().invoke(main, ["history", "report", "--db", str(db), "--territory", "Nikde", "-o", str(out)])
    assert r.exit_code == 1 and "Nikde" in r.output
    r = CliRunner().invoke(main, ["history", "report", "--db", str(tmp_path / "none.duckdb")])
    assert r.exit_code == 1 and "neexistuje" in r.output
    require_chromium()
    if not have_playwright():
        pytest.skip("playwright not installed")
    with open_page(out, width=1000, height=1500) as v:
        charts = v.page.evaluate("""() => Array.from(document.querySelectorAll('svg.chart')).map(s => {
            const b = s.getBoundingClientRect(); return [b.width, b.height, s.querySelectorAll('rect').length]; })""")
        v.page.set_viewport_size({"width": 375, "height": 800})
        overflow = v.page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        png = v.screenshot(tmp_path / "phone.png", full_page=False)
    assert v.console_errors == [] and v.failed == []
    assert all(u.startswith(("file:", "data:")) for u in v.requests)
    assert len(charts) >= 5 and all(w > 100 and h > 20 and n >= 1 for w, h, n in charts)
    assert overflow <= 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_render_is_atomic_and_never_overwrites_db(db, tmp_path):
    from xlkpss.fsutil import OutputError

    t = build_trends(db, by="orp")
    with pytest.raises(OutputError):
        render_trends(t, db, protect={db})
    assert db.read_bytes()[:4] != b"<!DO"


# ---------------------------------------------------------------------------
# export --parquet
# ---------------------------------------------------------------------------


def test_parquet_from_db_round_trip_duckdb_and_pyarrow(db, hist, tmp_path):
    import duckdb
    import pyarrow.dataset as ds

    out = tmp_path / "pq"
    r = CliRunner().invoke(main, ["export", "--db", str(db), "--parquet", str(out)])
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in (out / "services").iterdir()) == ["year=2024", "year=2025", "year=2026"]
    assert (out / "services" / "year=2026" / "services.parquet").is_file()
    for (code, year), path in hist.orp.items():
        expect = _services_sum(path)
        got = duckdb.sql(
            f"SELECT kod_orp, typ_kapacity, sum(kapacita) FROM read_parquet('{out}/services/*/*.parquet', "
            f"hive_partitioning = true) WHERE year = {year} AND workbook_level = 'orp' AND workbook_territory = '{code}' "
            "AND kapacita IS NOT NULL GROUP BY ALL").fetchall()
        assert {(o, t): v for o, t, v in got} == expect
        table = ds.dataset(out / "services", format="parquet", partitioning="hive").to_table(
            filter=(ds.field("year") == year) & (ds.field("workbook_territory") == code)
            & (ds.field("workbook_level") == "orp"))
        c = read_consolidated(path).table("services")
        assert table.num_rows == len(c)
        assert sum(v for v in table.column("naklady").to_pylist() if v) == sum(v for v in c.naklady if v)
    # types and Czech labels travel with the files
    schema = ds.dataset(out / "services", format="parquet", partitioning="hive").schema
    assert str(schema.field("kapacita").type) == "int64" and str(schema.field("naklady").type) == "double"
    assert schema.field("kapacita").metadata[b"label"].decode() == "Kapacita"
    doc = (out / "sloupce.csv").read_text(encoding="utf-8")
    assert "services,kapacita,BIGINT,Kapacita" in doc


def test_parquet_from_workbook(hist, tmp_path):
    import duckdb

    path = hist.orp[("4204", 2025)]
    out = tmp_path / "pq"
    r = CliRunner().invoke(main, ["export", str(path), "--parquet", str(out)])
    assert r.exit_code == 0, r.output
    c = read_consolidated(path)
    for sheet, name in TABLES.items():
        (n,), = duckdb.sql(f"SELECT count(*) FROM read_parquet('{out}/{name}/*/*.parquet')").fetchall()
        assert n == len(c.table(sheet)), name
    (y,), = duckdb.sql(f"SELECT DISTINCT year FROM read_parquet('{out}/services/*/*.parquet', hive_partitioning=true)").fetchall()
    assert y == 2025
    # an export again replaces the earlier export; a folder of other files is refused
    assert CliRunner().invoke(main, ["export", str(path), "--parquet", str(out)]).exit_code == 0
    other = tmp_path / "other"
    other.mkdir()
    (other / "mine.txt").write_text("keep")
    r = CliRunner().invoke(main, ["export", str(path), "--parquet", str(other)])
    assert r.exit_code == 1 and (other / "mine.txt").read_text() == "keep" and not (other / "services").exists()
    assert CliRunner().invoke(main, ["export", "--parquet", str(out)]).exit_code == 2


# ---------------------------------------------------------------------------
# catalogue --hsds
# ---------------------------------------------------------------------------

#: field names of HSDS 3.0 (openreferral/specification schema/simple/schema.csv) that the package uses
HSDS_NAMES = {
    "organization": {"id", "name", "description", "email", "website"},
    "organization_identifier": {"id", "organization_id", "identifier_scheme", "identifier_type", "identifier"},
    "service": {"id", "organization_id", "name", "alternate_name", "description", "url", "email", "status"},
    "location": {"id", "location_type", "name", "description", "external_identifier", "external_identifier_type"},
    "address": {"id", "location_id", "address_1", "city", "region", "state_province", "postal_code", "country",
                "address_type"},
    "service_at_location": {"id", "service_id", "location_id"},
    "phone": {"id", "service_id", "number", "type"},
    "schedule": {"id", "service_id", "freq", "byday", "opens_at", "closes_at", "description"},
    "taxonomy": {"id", "name", "description", "uri", "version"},
    "taxonomy_term": {"id", "code", "name", "description", "taxonomy_id", "language"},
    "attribute": {"id", "link_id", "link_type", "link_entity", "taxonomy_term_id", "value"},
}


def _csv(path: Path) -> list[dict]:
    import csv

    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_hsds_package_valid_and_complete(hist, tmp_path):
    import json

    from frictionless import validate

    from xlkpss.render.catalogue import build_catalogue

    wb = hist.orp[("4203", 2026)]
    out = tmp_path / "hsds"
    r = CliRunner().invoke(main, ["catalogue", str(wb), "-o", str(tmp_path / "k.html"), "--hsds", str(out)])
    assert r.exit_code == 0, r.output
    report = validate(out / "datapackage.json")
    assert report.valid, report.flatten(["type", "note"])
    package = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    assert {res["name"] for res in package["resources"]} == set(HSDS_NAMES)
    for name, fields in HSDS_NAMES.items():
        rows = _csv(out / f"{name}.csv")
        assert rows and set(rows[0]) <= fields | {"id"}, name
    model = build_catalogue(read_consolidated(wb))
    services = _csv(out / "service.csv")
    assert len(services) == len(model.entries) == len({s["id"] for s in services})
    assert {s["name"] for s in services} == {e.nazev for e in model.entries}
    orgs = _csv(out / "organization_identifier.csv")
    assert {o["identifier"] for o in orgs} == {e.ico for e in model.entries if e.ico}
    assert all(o["identifier_scheme"] == "CZ-ICO" for o in orgs)
    # capacity travels as the value of the capacity-type attribute: totals equal the workbook
    terms = {t["id"]: t for t in _csv(out / "taxonomy_term.csv")}
    caps = [a for a in _csv(out / "attribute.csv") if terms[a["taxonomy_term_id"]]["code"].startswith("TypKapacity")]
    assert sum(int(a["value"]) for a in caps if a["value"]) == sum(
        e.kapacita_value for e in model.entries if isinstance(e.kapacita_value, (int, float)))
    # opening hours like "po–pá 7:00–15:30" are also structured
    sched = _csv(out / "schedule.csv")
    weekly = [s for s in sched if s["freq"] == "WEEKLY"]
    assert weekly and all(re.fullmatch(r"\d\d:\d\d", s["opens_at"]) for s in weekly)
    # ids are stable: a second export of the same workbook gives the same ids
    out2 = tmp_path / "hsds2"
    assert CliRunner().invoke(main, ["catalogue", str(wb), "-o", str(tmp_path / "k2.html"), "--hsds", str(out2)]).exit_code == 0
    assert _csv(out2 / "service.csv") == services


def test_parse_hours():
    from xlkpss.export.hsds import parse_hours

    assert parse_hours("po–pá 7:00–15:30") == {"freq": "WEEKLY", "byday": "MO,TU,WE,TH,FR", "opens_at": "07:00",
                                              "closes_at": "15:30"}
    assert parse_hours("st 9:00-12:00")["byday"] == "WE"
    assert parse_hours("nepřetržitě") is None and parse_hours("dle dohody") is None


def test_hsds_refuses_foreign_folder(hist, tmp_path):
    other = tmp_path / "jine"
    other.mkdir()
    (other / "moje.txt").write_text("x")
    r = CliRunner().invoke(main, ["catalogue", str(hist.orp[("4204", 2026)]), "-o", str(tmp_path / "k.html"),
                                  "--hsds", str(other)])
    assert r.exit_code == 1 and "není prázdná" in r.output and sorted(p.name for p in other.iterdir()) == ["moje.txt"]


def test_benchmark_smoke(tmp_path):
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from benchmarks.history import run

    r = run(30, 2, tmp_path)
    assert r["rows"] == 30 * 14 * 2 and r["units"] == 14 and r["db_mb"] > 0
