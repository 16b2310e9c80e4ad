"""Merge: submissions → consolidated ORP workbook → regional workbook → national workbook.

The figures are checked against totals computed *here*, from the sample files read
with openpyxl (no xlkpss reader, validator or merge code), and the workbook is read
back with openpyxl (cached values, as a program that never recalculates sees them).
LibreOffice tests recalculate every formula and compare with what xlkpss wrote.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import os
import re
import shutil
import tempfile
import zipfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import lo  # tests/lo.py
import openpyxl
import pytest
from click.testing import CliRunner
from support import GOOD_PLAN_ROWS, GOOD_SERVICE, make_orp_submissions, make_submission

from xlkpss.cli import main
from xlkpss.codelists import STATE, municipalities, orps, regions, territory
from xlkpss.fsutil import OutputError
from xlkpss.merge.consolidate import VIA_SEPARATOR, MergeError, MergeUsageError, merge_paths, merge_results
from xlkpss.merge.model import OPTIONAL_SHEETS, SHEET_COLUMNS, SHEETS, STATUS_LABELS, column_label
from xlkpss.merge.workbook import (
    META_SHEET,
    NUMBER_FORMATS,
    is_consolidated,
    read_consolidated,
    write_consolidated,
)
from xlkpss.spec import get_template

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"
ORP_FOLDERS = sorted(p for p in SAMPLES.glob("orp_*") if p.is_dir())
GENERATED = "2026-04-01"
YEAR = 2026


# ---------------------------------------------------------------------------
# Reading sample files independently (openpyxl, labels from the spec only)
# ---------------------------------------------------------------------------


def _table(ws, sheet_key: str, kind: str) -> list[dict[str, Any]]:
    """Data rows of a template table sheet as {field key: value}, plus ``_row``."""
    fields = get_template(kind).sheet(sheet_key).fields
    by_label = {f.label: f.key for f in fields}
    rows = list(ws.iter_rows(values_only=True))
    header = [str(v).strip() if v is not None else "" for v in rows[0]]
    cols = {by_label[h]: i for i, h in enumerate(header) if h in by_label}
    out = []
    for n, row in enumerate(rows[1:], start=2):
        rec = {k: (row[i] if i < len(row) else None) for k, i in cols.items()}
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in rec.values()):
            continue
        rec["_row"] = n
        out.append(rec)
    return out


def read_sample(path: Path) -> dict[str, Any]:
    wb = openpyxl.load_workbook(path, data_only=True)
    meta = {r[0]: r[1] for r in wb[META_SHEET].iter_rows(values_only=True)}
    kind = meta["kind"]
    t = get_template(kind)
    ident_spec = t.sheet("identifikace")
    labels = {f.label: f.key for f in ident_spec.fields}
    ident = {labels[r[0]]: r[1] for r in wb[ident_spec.name].iter_rows(values_only=True) if r[0] in labels}
    tables = {s.key: _table(wb[s.name], s.key, kind) for s in t.table_sheets}
    return {
        "path": path,
        "kind": kind,
        "ident": ident,
        "tables": tables,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
    }


def counted_services(samples: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The merge rule, independently: a registered service reported by several
    submitters counts once, from the provider's report (obec otherwise)."""
    registered: dict[str, list[tuple[int, list[dict[str, Any]]]]] = defaultdict(list)
    out = []
    for s in samples:
        if s["kind"] != "sluzby":
            continue
        rank = 0 if s["ident"]["typ_predkladatele"] == "poskytovatel" else 2
        per_id: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in s["tables"]["sluzby"]:
            if r.get("identifikator"):
                per_id[str(r["identifikator"])].append(r)
            else:
                if r.get("registrovana") == "ne" and not r.get("druh"):
                    # spec [related_services]: an unregistered service without a type is „související služba“
                    r = {**r, "druh": "související služba (není druh podle zákona)"}
                out.append(r)
        for ident, rows in per_id.items():
            registered[ident].append((rank, rows))
    for reports in registered.values():
        out.extend(min(reports, key=lambda rr: rr[0])[1])
    return out


def num(v: Any) -> float:
    return float(v) if isinstance(v, (int, float)) else 0.0


# ---------------------------------------------------------------------------
# Reading the consolidated workbook independently (openpyxl, cached values)
# ---------------------------------------------------------------------------


def sheet_records(path: Path, key: str) -> list[dict[str, Any]]:
    wb = openpyxl.load_workbook(path, data_only=True, read_only=True)
    ws = wb[SHEETS[key]]
    rows = list(ws.iter_rows(values_only=True))
    # the table header's row: Přehled and Chyby have title rows above it (the hidden
    # sheet says where; a workbook without that row has the header on top)
    meta = {r[0]: r[1] for r in wb[META_SHEET].iter_rows(values_only=True)}
    header_row = int(meta.get(f"header:{key}") or 0)
    header = list(rows[header_row])
    labels = {column_label(key, c): c for c in SHEET_COLUMNS[key]}
    keys = [labels.get(h, h) for h in header]
    out = []
    for row in rows[header_row + 1 :]:
        if all(v is None for v in row):
            continue
        out.append(dict(zip(keys, row)))
    wb.close()
    return out


def formula_cells(path: Path) -> list[tuple[str, str, str]]:
    """(sheet, cell, formula) of every formula in a workbook."""
    wb = openpyxl.load_workbook(path)
    out = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f":
                    out.append((ws.title, c.coordinate, str(c.value)))
    return out


# ---------------------------------------------------------------------------
# The sample merges (once per module)
# ---------------------------------------------------------------------------


class Books:
    def __init__(self, out: Path):
        assert len(ORP_FOLDERS) >= 2, f"samples of at least two ORP expected in {SAMPLES}"
        self.out = out
        self.orp: dict[str, Path] = {}
        self.samples: dict[str, list[dict[str, Any]]] = {}
        for folder in ORP_FOLDERS[:2]:
            code = folder.name.split("_")[1]
            c = merge_paths([folder], generated=GENERATED)
            assert c.meta["territory_code"] == code and c.meta["year"] == YEAR
            self.orp[code] = write_consolidated(
                c, out / f"souhrn_orp_{code}.xlsx", protect_inputs=list(folder.iterdir())
            )
            self.samples[code] = [read_sample(p) for p in sorted(folder.glob("*.xlsx"))]
        self.kraj_c = merge_paths(list(self.orp.values()), generated=GENERATED)
        self.kraj = write_consolidated(self.kraj_c, out / "souhrn_kraj.xlsx", protect_inputs=list(self.orp.values()))


@pytest.fixture(scope="module")
def books(tmp_path_factory) -> Books:
    return Books(tmp_path_factory.mktemp("merge"))


def _orp_codes() -> list[str]:
    return [f.name.split("_")[1] for f in ORP_FOLDERS[:2]]


def _capacity_totals(services: list[dict[str, Any]], key=lambda s: ()) -> dict[tuple, float]:
    out: dict[tuple, float] = defaultdict(float)
    for s in services:
        out[(*key(s), s["druh"], s["forma"], s["typ_kapacity"])] += num(s["kapacita"])
    return dict(out)


# ---------------------------------------------------------------------------
# ORP workbooks against the sample rows
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("code", _orp_codes())
def test_orp_capacities_equal_independent_totals(books: Books, code: str):
    services = counted_services(books.samples[code])
    expected_whole = _capacity_totals(services)
    expected_obec = _capacity_totals(services, key=lambda s: (s["obec"],))
    rows = sheet_records(books.orp[code], "capacities")
    whole = {(r["druh"], r["forma"], r["typ_kapacity"]): r["capacity"] for r in rows if r["territory_level"] == "ORP"}
    per_obec = {
        (r["territory_name"], r["druh"], r["forma"], r["typ_kapacity"]): r["capacity"]
        for r in rows
        if r["territory_level"] == "obec"
    }
    assert whole == pytest.approx(expected_whole)
    assert per_obec == pytest.approx(expected_obec)
    # beds are never added to clients: every row has exactly one capacity type
    assert all(r["typ_kapacity"] for r in rows)
    services_sheet = sheet_records(books.orp[code], "services")
    assert len(services_sheet) == len(services)


@pytest.mark.parametrize("code", _orp_codes())
def test_orp_funding_and_per_1000_equal_independent_totals(books: Books, code: str):
    services = counted_services(books.samples[code])
    sources = [f.key for f in get_template("sluzby").sheet("sluzby").fields if f.funding]
    rows = sheet_records(books.orp[code], "funding")
    whole = {r["druh"]: r for r in rows if r["territory_level"] == "ORP"}
    costs: dict[str, float] = defaultdict(float)
    for s in services:
        costs[s["druh"]] += num(s["naklady"])
    total = sum(costs.values())
    assert whole["Celkem"]["naklady"] == pytest.approx(total)
    for druh, value in costs.items():
        assert whole[druh]["naklady"] == pytest.approx(value)
        assert whole[druh]["share"] == pytest.approx(100 * value / total)
    for key in sources:
        assert whole["Celkem"][key] == pytest.approx(sum(num(s[key]) for s in services))
    pop = territory(orp=code).population
    for r in sheet_records(books.orp[code], "capacities"):
        if r["territory_level"] == "ORP":
            assert r["population"] == pop
            assert r["per_1000"] == pytest.approx(r["capacity"] / pop * 1000)


@pytest.mark.parametrize("code", _orp_codes())
def test_orp_nothing_lost(books: Books, code: str):
    """rows read = rows merged + rows excluded, per file, against rows counted here."""
    subs = [r for r in sheet_records(books.orp[code], "submissions") if r["file"]]
    assert {r["file"] for r in subs} == {s["path"].name for s in books.samples[code]}
    services = sheet_records(books.orp[code], "services")
    activities = sheet_records(books.orp[code], "activities")
    projects = sheet_records(books.orp[code], "projects")
    errors = sheet_records(books.orp[code], "errors")
    merged_by_file = Counter(r["src_file"] for r in services + activities + projects)
    excluded_by_file = Counter((e["src_file"]) for e in errors)
    for sample in books.samples[code]:
        name = sample["path"].name
        row = next(r for r in subs if r["file"] == name)
        read_here = sum(len(rows) for rows in sample["tables"].values())
        assert row["rows_read"] == read_here, name
        assert row["rows_read"] == row["rows_merged"] + row["rows_excluded"], name
        assert row["rows_merged"] == merged_by_file[name], name
        assert row["rows_excluded"] == excluded_by_file[name], name
        assert row["status"] == STATUS_LABELS["valid"], name
        assert row["sha256"] == sample["sha256"]
    # the only exclusions are services counted from the provider's own report
    assert {e["code"] for e in errors} <= {"duplicate-service"}
    overview = {r["metric"]: r["value"] for r in sheet_records(books.orp[code], "overview")}
    assert overview["rows_read"] == overview["rows_merged"] + overview["rows_excluded"]


@pytest.mark.parametrize("code", _orp_codes())
def test_orp_completeness_counts_obce_with_a_file(books: Books, code: str):
    obce = {
        str(s["ident"]["kod_obce"]) for s in books.samples[code] if s["ident"]["typ_predkladatele"] in ("obec", "ORP")
    }
    expected = len(territory(orp=code).municipalities)
    overview = {r["metric"]: r["value"] for r in sheet_records(books.orp[code], "overview")}
    assert overview["expected"] == expected
    assert overview["delivered"] == len(obce)
    assert overview["completeness"] == pytest.approx(round(100 * len(obce) / expected, 1))
    subs = sheet_records(books.orp[code], "submissions")
    missing = {r["territory_code"] for r in subs if r["status"] == STATUS_LABELS["missing"]}
    assert len(missing) == expected - len(obce) and not (missing & obce)


@pytest.mark.parametrize("code", _orp_codes())
def test_plan_fulfilment_equals_plan_rows(books: Books, code: str):
    plans = [s for s in books.samples[code] if s["kind"] == "plan"]
    rows = sheet_records(books.orp[code], "plan_summary")
    assert sum(1 for _ in plans) == len({r["src_file"] for r in rows})
    for plan in plans:
        items = plan["tables"]["plan"]
        numbers = [str(r["cislo"]) for r in items]
        per_prio: dict[str, Counter] = defaultdict(Counter)
        budget: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
        for r in items:
            number = str(r["cislo"])
            leaf = not any(n.startswith(number + ".") for n in numbers)
            evaluated = r.get("stav") or r.get("uroven") == "aktivita" or (leaf and "." in number)
            if not evaluated:
                continue
            prio = number.split(".")[0]
            per_prio[prio][r.get("stav") or "-"] += 1
            budget[prio][0] += num(r.get("rozpocet"))
            budget[prio][1] += num(r.get("cerpano"))
        mine = {r["priority"]: r for r in rows if r["src_file"] == plan["path"].name}
        assert set(mine) == set(per_prio)
        for prio, counts in per_prio.items():
            got = mine[prio]
            assert got["items"] == sum(counts.values())
            assert got["n_splneno"] == counts["splněno"]
            assert got["n_nesplneno"] == counts["nesplněno"]
            assert got["n_castecne"] == counts["částečně splněno"]
            rated = sum(counts.values()) - counts["-"]
            assert got["pct_done"] == pytest.approx(100 * counts["splněno"] / rated)
            assert got["rozpocet"] == pytest.approx(budget[prio][0])
            assert got["cerpano"] == pytest.approx(budget[prio][1])


# ---------------------------------------------------------------------------
# ORP → kraj
# ---------------------------------------------------------------------------


def test_regional_totals_equal_both_orp(books: Books):
    services = [s for code in books.orp for s in counted_services(books.samples[code])]
    expected = _capacity_totals(services)
    rows = sheet_records(books.kraj, "capacities")
    whole = {(r["druh"], r["forma"], r["typ_kapacity"]): r["capacity"] for r in rows if r["territory_level"] == "kraj"}
    assert whole == pytest.approx(expected)
    for code in books.orp:
        orp_whole = {
            (r["druh"], r["forma"], r["typ_kapacity"]): r["capacity"]
            for r in sheet_records(books.orp[code], "capacities")
            if r["territory_level"] == "ORP"
        }
        in_kraj = {
            (r["druh"], r["forma"], r["typ_kapacity"]): r["capacity"]
            for r in rows
            if r["territory_level"] == "ORP" and r["territory_code"] == code
        }
        assert in_kraj == orp_whole
    costs = sum(num(s["naklady"]) for s in services)
    funding = sheet_records(books.kraj, "funding")
    assert next(r for r in funding if r["territory_level"] == "kraj" and r["druh"] == "Celkem")[
        "naklady"
    ] == pytest.approx(costs)
    subs = sheet_records(books.kraj, "submissions")
    delivered = {
        r["territory_code"] for r in subs if r["status"] in (STATUS_LABELS["valid"], STATUS_LABELS["warnings"])
    }
    assert delivered == set(books.orp)
    overview = {r["metric"]: r["value"] for r in sheet_records(books.kraj, "overview")}
    assert overview["expected"] == 16  # ORP of Ústecký kraj
    assert overview["completeness"] == pytest.approx(round(100 * 2 / 16, 1))


def test_regional_provenance_names_the_original_file_and_cell(books: Books):
    by_name = {s["path"].name: s for code in books.orp for s in books.samples[code]}
    rows = sheet_records(books.kraj, "services") + sheet_records(books.kraj, "activities")
    assert rows
    via_names = {p.name for p in books.orp.values()}
    opened: dict[Path, Any] = {}
    for r in rows:
        sample = by_name[r["src_file"]]  # the municipality / provider file, not the ORP workbook
        assert r["via"] in via_names
        assert r["src_sha256"] == sample["sha256"]
        assert r["src_cell"] == f"A{r['src_row']}"
        if sample["path"] not in opened:
            opened[sample["path"]] = openpyxl.load_workbook(sample["path"], data_only=True)
        ws = opened[sample["path"]][r["src_sheet"]]
        original = [c.value for c in ws[r["src_row"]]]
        if "identifikator" in r and r.get("kapacita") is not None:
            assert r["kapacita"] in original and (r["identifikator"] is None or r["identifikator"] in original)
        else:
            assert r["cislo"] in original
    # the same rows, provenance unchanged, in the ORP workbooks
    orp_rows = {
        (r["src_file"], r["src_row"], r["src_sha256"]) for p in books.orp.values() for r in sheet_records(p, "services")
    }
    assert {(r["src_file"], r["src_row"], r["src_sha256"]) for r in sheet_records(books.kraj, "services")} == orp_rows


def test_regional_merge_of_a_workbook_and_its_own_files_counts_each_row_once(books: Books):
    """The filled templates are left out (they belong to the ORP merge), each with a line;
    the rows count once, from the ORP workbook."""
    code = ORP_FOLDERS[0].name.split("_")[1]
    c = merge_paths([books.orp[code], ORP_FOLDERS[0]], level="kraj", generated=GENERATED)
    orp = read_consolidated(books.orp[code])
    assert len(c.table("services")) == len(orp.table("services"))
    assert len(c.table("activities")) == len(orp.table("activities"))
    subs = c.table("submissions")
    files = subs[subs["file"].notna()]
    assert (files["rows_read"] == files["rows_merged"] + files["rows_excluded"]).all()
    assert c.meta["rows_read"] == c.meta["rows_merged"] + c.meta["rows_excluded"]
    assert c.meta["rows_merged"] == len(c.table("services")) + len(c.table("activities")) + len(c.table("projects"))
    raw = files[files["kind"] != "souhrn ORP"]
    assert len(raw) == len(list(ORP_FOLDERS[0].glob("*.xlsx")))
    assert set(raw["status"]) == {"rejected"} and (raw["rows_merged"] == 0).all()
    assert all("patří do souhrnu ORP" in n for n in raw["note"])


def test_orp_workbook_is_recognised_and_roundtrips(books: Books):
    code = next(iter(books.orp))
    assert is_consolidated(books.orp[code])
    sample = next(p for p in ORP_FOLDERS[0].glob("*.xlsx"))
    assert not is_consolidated(sample)
    c = read_consolidated(books.orp[code])
    assert c.meta["kind"] == "souhrn" and c.meta["level"] == "orp" and c.meta["territory_code"] == code
    again = merge_paths([ORP_FOLDERS[0]], generated=GENERATED)
    for key in SHEETS:
        a = again.table(key).astype(object).where(again.table(key).notna(), None).values.tolist()
        b = c.table(key).astype(object).where(c.table(key).notna(), None).values.tolist()
        assert a == b, key
    assert list(c.table("coverage").columns) == list(again.table("coverage").columns)


def test_orp_workbook_in_an_orp_merge_is_refused(books: Books):
    """Left out with a line saying what to do; the other files are merged (issue 13)."""
    book = books.orp[next(iter(books.orp))]
    c = merge_paths([book, ORP_FOLDERS[0]], level="orp", generated=GENERATED)
    line = _status_of(c, book.name)
    assert line["status"] == "rejected" and line["rows_merged"] == 0
    assert "vyjměte" in line["note"]
    assert c.meta["rows_merged"] == merge_paths([ORP_FOLDERS[0]], generated=GENERATED).meta["rows_merged"] > 0


# ---------------------------------------------------------------------------
# kraj → stát (the Czech Republic)
# ---------------------------------------------------------------------------


class National:
    """Ústecký kraj (the sample ORP Chomutov and Kadaň) and Liberecký kraj (ORP Liberec,
    generated submissions), each merged into its regional workbook, then both into the
    national workbook."""

    def __init__(self, books: Books, d: Path):
        self.dir = d
        self.folder = d / "dosle_5105"
        self.folder.mkdir()
        self.files = make_orp_submissions(self.folder, "5105")
        self.orp = write_consolidated(
            merge_paths([self.folder], generated=GENERATED), d / "souhrn_orp_5105.xlsx", protect_inputs=self.files
        )
        self.kraj = {"CZ042": d / "souhrn_kraj_CZ042.xlsx"}
        shutil.copy(books.kraj, self.kraj["CZ042"])
        self.kraj["CZ051"] = write_consolidated(
            merge_paths([self.orp], generated=GENERATED), d / "souhrn_kraj_CZ051.xlsx"
        )
        self.c = merge_paths(list(self.kraj.values()), generated=GENERATED)
        self.out = write_consolidated(self.c, d / "souhrn_cr.xlsx", protect_inputs=list(self.kraj.values()))
        self.regional = {code: read_consolidated(p) for code, p in self.kraj.items()}


@pytest.fixture(scope="module")
def national(books, tmp_path_factory) -> National:
    return National(books, tmp_path_factory.mktemp("national"))


def _records_of(c, key: str) -> list[dict[str, Any]]:
    df = c.table(key)
    return df.astype(object).where(df.notna(), None).to_dict("records")


def test_national_level_territory_and_completeness(national: National):
    m = national.c.meta
    assert (m["level"], m["territory_code"], m["territory_name"]) == ("stat", STATE.code, STATE.name)
    assert (m["expected"], m["delivered"]) == (14, 2) and len(regions()) == 14
    assert m["completeness"] == pytest.approx(round(100 * 2 / 14, 1))
    # ORP with an accepted workbook inside the regional ones: Chomutov, Kadaň, Liberec
    assert m["delivered_orp_codes"] == ["4203", "4204", "5105"]
    assert (m["expected_orp"], m["delivered_orp"]) == (len(orps()), 3)
    assert m["completeness_orp"] == pytest.approx(round(100 * 3 / len(orps()), 1))
    # obce: what each regional workbook counted (Liberec: one obec)
    assert national.regional["CZ051"].meta["delivered_obce"] == 1
    obce = sum(k.meta["delivered_obce"] for k in national.regional.values())
    assert (m["delivered_obce"], m["expected_obce"]) == (obce, len(municipalities()))
    assert m["completeness_obce"] == pytest.approx(round(100 * obce / len(municipalities()), 1))
    subs = sheet_records(national.out, "submissions")
    assert {r["territory_code"] for r in subs} == set(regions())
    delivered = {
        r["territory_code"] for r in subs if r["status"] in (STATUS_LABELS["valid"], STATUS_LABELS["warnings"])
    }
    assert delivered == {"CZ042", "CZ051"}
    missing = [r for r in subs if r["status"] == STATUS_LABELS["missing"]]
    assert len(missing) == 12 and all(r["submitter_type"] == "kraj (souhrn)" for r in missing)
    assert {r["kind"] for r in subs if r["file"]} == {"souhrn kraje"}
    overview = {r["metric"]: r for r in sheet_records(national.out, "overview")}
    assert overview["level"]["value"] == "stát (souhrny krajů)"
    assert overview["territory"]["value"] == "Česká republika (CZ)"
    assert overview["completeness_orp"]["value"] == pytest.approx(m["completeness_orp"])
    assert overview["completeness_obce"]["value"] == pytest.approx(m["completeness_obce"])


def test_national_rows_reconcile_at_every_level(national: National):
    """rows read = merged + excluded for every input of every level, and the national
    workbook holds every row the regional ones merged, once."""
    books = [*(national.regional[k] for k in national.kraj), read_consolidated(national.orp)]
    for c in [*books, national.c]:
        m = c.meta
        assert m["rows_read"] == m["rows_merged"] + m["rows_excluded"], m["territory_name"]
        subs = c.table("submissions")
        files = subs[subs["file"].notna()]
        assert (files["rows_read"] == files["rows_merged"] + files["rows_excluded"]).all(), m["territory_name"]
        assert m["rows_merged"] == sum(len(c.table(k)) for k in ("services", "activities", "projects"))
    subs = {r["file"]: r for r in sheet_records(national.out, "submissions") if r["file"]}
    assert set(subs) == {p.name for p in national.kraj.values()}
    for code, path in national.kraj.items():
        regional = national.regional[code]
        rows = sum(len(regional.table(k)) for k in ("services", "activities", "projects"))
        assert subs[path.name]["rows_read"] == rows == subs[path.name]["rows_merged"], code
        assert subs[path.name]["rows_excluded"] == 0
    for key in ("services", "activities", "projects"):
        national_rows = Counter((r["src_sha256"], r["src_sheet"], r["src_row"]) for r in _records_of(national.c, key))
        regional_rows = Counter(
            (r["src_sha256"], r["src_sheet"], r["src_row"])
            for k in national.regional.values()
            for r in _records_of(k, key)
        )
        assert national_rows == regional_rows, key
    # nothing excluded on the way up: the errors of the regional workbooks, each once
    assert len(national.c.table("errors")) == sum(len(k.table("errors")) for k in national.regional.values())


def test_national_provenance_names_the_original_file_through_both_workbooks(national: National, books: Books):
    services = sheet_records(national.out, "services")
    submissions = {p.name for p in national.files} | {s["path"].name for v in books.samples.values() for s in v}
    orp_books = {f"souhrn_orp_{code}.xlsx" for code in (*books.orp, "5105")}
    for r in services:
        assert r["src_file"] in submissions  # the obec's / provider's file, never a workbook
        orp_book, kraj_book = r["via"].split(VIA_SEPARATOR)
        assert orp_book in orp_books and kraj_book in {p.name for p in national.kraj.values()}
        assert r[column_label("services", "kod_statu")] == "CZ"
    # a row of Liberec's own file: obec → ORP → kraj → stát, still its file, sheet, row and hash
    original = national.files[0]
    mine = [r for r in services if r["src_file"] == original.name]
    assert [r["identifikator"] for r in mine] == ["5105102"]  # the home is counted from the provider's report
    row = mine[0]
    assert row["via"] == f"souhrn_orp_5105.xlsx{VIA_SEPARATOR}souhrn_kraj_CZ051.xlsx"
    assert row["src_sha256"] == hashlib.sha256(original.read_bytes()).hexdigest()
    assert (row["nazev_kraje"], row["nazev_orp"], row["nazev_obce"]) == ("Liberecký kraj", "Liberec", "Liberec")
    ws = openpyxl.load_workbook(original, data_only=True)[row["src_sheet"]]
    assert row["src_cell"] == f"A{row['src_row']}"
    assert row["identifikator"] in [c.value for c in ws[row["src_row"]]]
    # the exclusion made in the ORP merge is still explained, with the way it came
    errors = sheet_records(national.out, "errors")
    dup = next(e for e in errors if e["src_file"] == original.name)
    assert dup["code"] == "duplicate-service" and dup["via"] == row["via"]


def test_national_derived_sheets_split_by_kraj(national: National):
    rows = _records_of(national.c, "capacities")
    assert {r["territory_level"] for r in rows} == {"stát", "kraj"}
    whole = {(r["druh"], r["forma"], r["typ_kapacity"]): r["capacity"] for r in rows if r["territory_level"] == "stát"}
    expected: dict[tuple, float] = defaultdict(float)
    for code, regional in national.regional.items():
        mine = {
            (r["druh"], r["forma"], r["typ_kapacity"]): r["capacity"]
            for r in _records_of(regional, "capacities")
            if r["territory_level"] == "kraj"
        }
        per_kraj = {
            (r["druh"], r["forma"], r["typ_kapacity"]): r["capacity"]
            for r in rows
            if r["territory_level"] == "kraj" and r["territory_code"] == code
        }
        assert per_kraj == mine, code
        for k, v in mine.items():
            expected[k] += v
    assert whole == pytest.approx(dict(expected))
    pop = STATE.population
    assert all(r["population"] == pop for r in rows if r["territory_level"] == "stát")
    assert {r["territory_code"] for r in rows if r["territory_level"] == "kraj"} == set(national.kraj)
    funding = _records_of(national.c, "funding")
    total = next(r for r in funding if r["territory_level"] == "stát" and r["druh"] == "Celkem")
    assert total["naklady"] == pytest.approx(sum(num(s["naklady"]) for s in _records_of(national.c, "services")))
    coverage = national.c.table("coverage")
    kraje = [k["nazev_kraje"] for k in regions().values()]
    columns = list(coverage.columns)
    assert columns[0] == "target_group" and columns[-1] == "total" and sorted(columns[1:-1]) == sorted(kraje)
    assert (coverage["total"] == coverage[kraje].sum(axis=1)).all()
    assert coverage["Zlínský kraj"].sum() == 0 and coverage["Liberecký kraj"].sum() > 0
    # gaps: per ORP of the kraje that delivered, one line for a kraj that did not
    gaps = _records_of(national.c, "gaps")
    no_kraj = [g for g in gaps if g["territory_level"] == "kraj"]
    assert {g["territory_code"] for g in no_kraj} == set(regions()) - set(national.kraj)
    assert all(g["druh"] is None and "kraj nedodal" in g["note"] for g in no_kraj)
    per_orp = {g["territory_code"] for g in gaps if g["territory_level"] == "ORP"}
    assert per_orp == {o["kod_orp"] for o in orps().values() if o["kod_kraje"] in national.kraj}
    liberec = [g for g in gaps if g["territory_code"] == "5105"]
    assert liberec and all(g["druh"] for g in liberec)
    assert "§40 Pečovatelská služba" not in {g["druh"] for g in liberec}
    assert [g["note"] for g in gaps if g["territory_code"] == "5102"] == [
        "ORP nedodalo údaje – chybění služeb nelze posoudit"
    ]
    assert national.c.meta["core_missing"] == sum(1 for g in gaps if g["core"] == "ano")


def test_national_workbook_roundtrips(national: National):
    assert is_consolidated(national.out)
    back = read_consolidated(national.out)
    assert back.meta["level"] == "stat" and back.meta["territory_code"] == "CZ"
    for key in SHEETS:
        a, b = national.c.table(key), back.table(key)
        assert list(a.columns) == list(b.columns), key
        assert (
            a.astype(object).where(a.notna(), None).values.tolist()
            == b.astype(object).where(b.notna(), None).values.tolist()
        ), key
    services = back.table("services")
    assert set(services["kod_statu"]) == {"CZ"}
    wb = openpyxl.load_workbook(national.out, read_only=True)
    assert wb.properties.title == "Souhrn KPSS – Česká republika, 2026"
    wb.close()


def _status_of(c, name: str) -> dict[str, Any]:
    """The Odevzdání line of a file (names are relative to the inputs' common folder)."""
    subs = _records_of(c, "submissions")
    return next(r for r in subs if r["file"] and (r["file"] == name or r["file"].endswith("/" + name)))


def test_summary_levels_are_refused_with_a_reason(national: National, books: Books, tmp_path):
    cz042, cz051 = national.kraj["CZ042"], national.kraj["CZ051"]
    orp_4203 = books.orp[_orp_codes()[0]]
    # a regional workbook in a regional merge: it belongs to the national one
    c = merge_paths([orp_4203, cz051], level="kraj", territory=territory(kraj="CZ042"), generated=GENERATED)
    line = _status_of(c, cz051.name)
    assert line["status"] == "rejected" and "souhrnu za Českou republiku (--level stat)" in line["note"]
    assert line["rows_read"] == line["rows_excluded"] > 0 and line["rows_merged"] == 0
    assert "summary-level" in set(c.table("errors")["code"])
    assert c.meta["rows_read"] == c.meta["rows_merged"] + c.meta["rows_excluded"]
    # an ORP workbook in a national merge: it belongs to a regional one
    c = merge_paths([cz051, orp_4203], level="stat", generated=GENERATED)
    line = _status_of(c, orp_4203.name)
    assert line["status"] == "rejected" and "souhrnu kraje (--level kraj)" in line["note"]
    assert line["kind"] == "souhrn ORP" and line["rows_excluded"] == line["rows_read"]
    assert c.meta["delivered"] == 1 and c.meta["rows_read"] == c.meta["rows_merged"] + c.meta["rows_excluded"]
    # the national workbook goes nowhere
    for level, others in (("stat", [cz051]), ("kraj", [orp_4203])):
        c = merge_paths([national.out, *others], level=level, generated=GENERATED)
        line = _status_of(c, national.out.name)
        assert line["status"] == "rejected" and "nejvyšší úroveň" in line["note"], level
        assert line["kind"] == "souhrn za Českou republiku"
    with pytest.raises(MergeError, match="nejvyšší úroveň"):
        merge_paths([national.out], generated=GENERATED)
    # ORP and regional workbooks together: which level is meant is asked
    with pytest.raises(MergeError, match="--level kraj.*--level stat"):
        merge_paths([orp_4203, cz051], generated=GENERATED)
    # another year
    old = read_consolidated(cz051)
    old.meta["year"] = YEAR - 1
    old_path = write_consolidated(old, tmp_path / "souhrn_kraj_CZ051_2025.xlsx")
    c = merge_paths([cz042, old_path], level="stat", year=YEAR, generated=GENERATED)
    line = _status_of(c, old_path.name)
    assert line["status"] == "rejected" and f"za rok {YEAR - 1}" in line["note"]
    assert "year-mismatch" in set(c.table("errors")["code"])


def test_submissions_in_a_national_merge_are_refused(national: National):
    with pytest.raises(MergeUsageError, match="vyplněné šablony i souhrnné sešity"):
        merge_paths([national.kraj["CZ051"], national.folder], generated=GENERATED)
    with pytest.raises(MergeError, match="souhrnu ORP"):
        merge_paths([national.folder], level="stat", generated=GENERATED)
    # with --level stat the templates are left out and the regional workbook merged
    c = merge_paths([national.kraj["CZ051"], national.folder], level="stat", generated=GENERATED)
    assert c.meta["rows_merged"] > 0 and c.meta["delivered"] == 1
    # the library call: each file rejected with its reason, its rows accounted as excluded
    from xlkpss.validate.engine import validate_paths

    results = validate_paths(national.files)
    c = merge_results(
        results,
        level="stat",
        territory=STATE,
        year=YEAR,
        summaries=[read_consolidated(national.kraj["CZ051"])],
        generated=GENERATED,
    )
    for path in national.files:
        line = _status_of(c, path.name)
        assert line["status"] == "rejected" and "souhrnu ORP" in line["note"]
        assert line["rows_read"] == line["rows_excluded"] > 0
    assert set(c.table("errors")["code"]) >= {"submission-level"}
    assert c.meta["rows_read"] == c.meta["rows_merged"] + c.meta["rows_excluded"]
    assert c.meta["delivered"] == 1


def test_cli_national_merge(national: National, tmp_path):
    runner = CliRunner()
    out = tmp_path / "souhrn_cr.xlsx"
    inputs = [str(p) for p in national.kraj.values()]
    res = runner.invoke(main, ["merge", *inputs, "--level", "stat", "-o", str(out), "--generated", GENERATED])
    assert res.exit_code == 0, res.output
    assert "Česká republika (CZ)" in res.output and "úplnost za ORP" in res.output
    assert out.read_bytes() == national.out.read_bytes()
    for option in (["--kraj", "CZ042"], ["--orp", "4203"]):
        res = runner.invoke(main, ["merge", *inputs, "--level", "stat", *option, "-o", str(tmp_path / "x.xlsx")])
        assert res.exit_code == 2 and "--level stat nelze kombinovat" in res.output, option
    res = runner.invoke(main, ["merge", str(national.folder), "--level", "stat", "-o", str(tmp_path / "x.xlsx")])
    assert res.exit_code == 1 and "souhrnu ORP" in res.output
    assert not (tmp_path / "x.xlsx").exists()


# ---------------------------------------------------------------------------
# Reconciliation with every kind of trouble at once
# ---------------------------------------------------------------------------

PROVIDER = {
    "typ_predkladatele": "poskytovatel",
    "kod_obce": None,
    "ico": "00075655",
    "nazev": "Městský ústav sociálních služeb",
}
CHOMUTOV = {"kod_obce": "562971", "ico": "00261891", "nazev": "Statutární město Chomutov"}
HYPERLINK = '=HYPERLINK("http://x","y")'


def _as_text(path: Path, sheet: str, cells: list[str]) -> None:
    """Make cells hold text that looks like a formula (what a person can type with ')."""
    wb = openpyxl.load_workbook(path)
    for ref in cells:
        wb[sheet][ref].data_type = "s"
    wb.save(path)


@pytest.fixture(scope="module")
def trouble(tmp_path_factory) -> dict[str, Any]:
    d = tmp_path_factory.mktemp("trouble")
    inp = d / "dosle"
    inp.mkdir()
    pecovatelska = {
        **GOOD_SERVICE,
        "identifikator": "7654321",
        "nazev_sluzby": "Pečovatelská služba Jirkov",
        "druh": "§40 Pečovatelská služba",
        "forma": "terénní",
        "kapacita": 30,
        "typ_kapacity": "klienti",
        "naklady": 1_000_000,
        "zdroj_mpsv_kraj": 500_000,
        "zdroj_obec": 500_000,
        "zdroj_uhrady": 0,
        "zdroj_zp": 0,
        "zdroj_ostatni": 0,
    }
    # Jirkov sent twice: the older file is superseded, the newer one is merged
    make_submission(
        inp / "jirkov_stary.xlsx",
        rows=[{**GOOD_SERVICE, "kapacita": 100}],
        ident={"datum_vyplneni": dt.date(2026, 2, 1)},
    )
    make_submission(
        inp / "jirkov.xlsx", rows=[GOOD_SERVICE, pecovatelska], ident={"datum_vyplneni": dt.date(2026, 3, 2)}
    )
    # the provider reports the same home with another capacity → conflict, provider counted
    make_submission(
        inp / "muss.xlsx", rows=[{**GOOD_SERVICE, "kapacita": 110, "poskytovatel": HYPERLINK}], ident=PROVIDER
    )
    _as_text(inp / "muss.xlsx", "Služby", ["D2"])
    # Chomutov: one invalid row, one good row
    bad = {**GOOD_SERVICE, "identifikator": "1111111", "kapacita": "cca 20", "obec": "Chomutov"}
    good = {
        **GOOD_SERVICE,
        "identifikator": "2222222",
        "nazev_sluzby": "Domov Písečná",
        "obec": "Chomutov",
        "kapacita": 90,
    }
    make_submission(inp / "chomutov.xlsx", rows=[bad, good], ident=CHOMUTOV)
    # a plan evaluation and a file that is no spreadsheet at all
    make_submission(
        inp / "plan_jirkov.xlsx",
        kind="plan",
        rows=GOOD_PLAN_ROWS,
        ident={"nazev_planu": "Plán Jirkov", "obdobi": "2026"},
    )
    (inp / "odmitnuty.xlsx").write_bytes(b"kod;nazev\n1;text\n")
    c = merge_paths([inp], generated=GENERATED)
    out = write_consolidated(c, d / "souhrn.xlsx", protect_inputs=list(inp.iterdir()))
    return {"dir": inp, "c": c, "out": out}


def test_reconciliation_with_invalid_rows_rejected_file_resubmission_and_conflict(trouble):
    out = trouble["out"]
    subs = {r["file"]: r for r in sheet_records(out, "submissions") if r["file"]}
    status = {name: r["status"] for name, r in subs.items()}
    assert status == {
        "jirkov_stary.xlsx": STATUS_LABELS["superseded"],
        "jirkov.xlsx": STATUS_LABELS["valid"],
        "muss.xlsx": STATUS_LABELS["valid"],
        "chomutov.xlsx": STATUS_LABELS["errors"],  # a row excluded: accepted with errors
        "plan_jirkov.xlsx": STATUS_LABELS["valid"],
        "odmitnuty.xlsx": STATUS_LABELS["rejected"],
    }
    expected_read = {
        "jirkov_stary.xlsx": 1,
        "jirkov.xlsx": 2,
        "muss.xlsx": 1,
        "chomutov.xlsx": 2,
        "plan_jirkov.xlsx": 4,
        "odmitnuty.xlsx": 0,
    }
    expected_merged = {
        "jirkov_stary.xlsx": 0,
        "jirkov.xlsx": 1,
        "muss.xlsx": 1,
        "chomutov.xlsx": 1,
        "plan_jirkov.xlsx": 4,
        "odmitnuty.xlsx": 0,
    }
    services = sheet_records(out, "services")
    activities = sheet_records(out, "activities")
    errors = sheet_records(out, "errors")
    merged_rows = Counter(r["src_file"] for r in services + activities)
    for name, r in subs.items():
        assert r["rows_read"] == expected_read[name], name
        assert r["rows_merged"] == expected_merged[name], name
        assert r["rows_read"] == r["rows_merged"] + r["rows_excluded"], name
        assert merged_rows[name] == r["rows_merged"], name
        if r["rows_excluded"] or r["status"] == STATUS_LABELS["rejected"]:
            assert any(e["src_file"] == name for e in errors), f"{name}: excluded without a reason in Chyby"
    reasons = {(e["src_file"], e["code"]) for e in errors}
    assert ("jirkov_stary.xlsx", "superseded") in reasons
    assert ("chomutov.xlsx", "not-an-integer") in reasons
    assert ("jirkov.xlsx", "duplicate-service") in reasons
    assert any(name == "odmitnuty.xlsx" for name, _ in reasons)
    # the home is counted once, from the provider's report
    homes = [s for s in services if s["identifikator"] == GOOD_SERVICE["identifikator"]]
    assert len(homes) == 1 and homes[0]["kapacita"] == 110 and homes[0]["src_file"] == "muss.xlsx"
    assert "Město Jirkov" in homes[0]["reported_by"]
    conflicts = sheet_records(out, "conflicts")
    cap = [r for r in conflicts if r["field"] == column_label("services", "kapacita")]
    assert len(cap) == 1
    assert (cap[0]["kept_value"], cap[0]["other_value"]) == ("110", "120")
    assert "muss.xlsx" in cap[0]["kept_src"] and "jirkov.xlsx" in cap[0]["other_src"]
    # totals: 110 + 90 beds, 30 clients — never 120 + 110
    overview = {r["metric"]: r["value"] for r in sheet_records(out, "overview")}
    assert overview["capacity:luzka"] == 200 and overview["capacity:klient"] == 30
    assert overview["rows_read"] == 10 == overview["rows_merged"] + overview["rows_excluded"]
    assert trouble["c"].meta["rows_read"] == sum(expected_read.values())


def test_provider_name_that_looks_like_a_formula_stays_text(trouble):
    out = trouble["out"]
    wb = openpyxl.load_workbook(out)
    ws = wb[SHEETS["services"]]
    header = [c.value for c in ws[1]]
    col = header.index(column_label("services", "poskytovatel")) + 1
    cells = [ws.cell(r, col) for r in range(2, ws.max_row + 1)]
    hit = [c for c in cells if c.value == HYPERLINK]
    assert hit and all(c.data_type == "s" for c in hit)
    with zipfile.ZipFile(out) as z:
        xml = "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("xl/worksheets/"))
    formulas = re.findall(r"<f[^>]*>(.*?)</f>", xml)
    assert formulas and not any("HYPERLINK" in f for f in formulas)


def test_strict_refuses_and_writes_nothing(trouble, tmp_path):
    with pytest.raises(MergeError, match="--strict"):
        merge_paths([trouble["dir"]], strict=True, generated=GENERATED)
    out = tmp_path / "souhrn.xlsx"
    res = CliRunner().invoke(main, ["merge", str(trouble["dir"]), "-o", str(out), "--strict", "-q"])
    assert res.exit_code == 1
    assert "strict" in res.output and "Traceback" not in res.output
    assert not out.exists() and not list(tmp_path.iterdir())


# ---------------------------------------------------------------------------
# The workbook as a file: structure, determinism, safety
# ---------------------------------------------------------------------------


def test_workbook_structure(books: Books):
    path = books.kraj
    wb = openpyxl.load_workbook(path)
    visible = [ws.title for ws in wb.worksheets if ws.sheet_state == "visible"]
    # the optional sheets (completeness per service: merge --registry/--previous/--deadline) are not computed
    # here; Neobvyklé hodnoty is: the samples' regional merge has queries (tests/test_peers.py)
    assert visible == [name for key, name in SHEETS.items() if key not in OPTIONAL_SHEETS or key == "queries"]
    assert wb[META_SHEET].sheet_state == "hidden"
    meta = {r[0]: r[1] for r in wb[META_SHEET].iter_rows(values_only=True)}
    assert meta["kind"] == "souhrn" and meta["level"] == "kraj" and meta["year"] == str(YEAR)
    for name in visible:
        ws = wb[name]
        assert len(ws.tables) == 1, name
        table = next(iter(ws.tables.values()))
        assert table.autoFilter is not None, name
        assert ws.freeze_panes is not None, name
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9, name
        # fit to a few pages wide (1 is the default, so it is not written), any height; the
        # ~50 columns of Služby take several pages so the text stays legible (tests/test_print.py)
        assert ws.sheet_properties.pageSetUpPr.fitToPage and (ws.page_setup.fitToWidth or 1) <= 10, name
        assert ws.page_setup.fitToHeight == 0, name
    formats = {c.number_format for ws in wb.worksheets for row in ws.iter_rows() for c in row}
    assert NUMBER_FORMATS["money"] in formats and '#,##0" Kč"' == NUMBER_FORMATS["money"]
    assert not any(lo.comma_scaled(f) for f in formats if f)
    assert wb.properties.created == dt.datetime(2026, 4, 1)


def test_same_inputs_give_identical_bytes(books: Books, tmp_path):
    again = merge_paths(list(books.orp.values()), generated=GENERATED)
    path = write_consolidated(again, tmp_path / "kraj.xlsx")
    assert path.read_bytes() == books.kraj.read_bytes()


def test_write_is_atomic_and_never_overwrites_an_input(books: Books, tmp_path, monkeypatch):
    import xlkpss.merge.workbook as wbmod

    c = read_consolidated(books.kraj)
    target = tmp_path / "souhrn.xlsx"

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(wbmod, "_write_meta", boom)
    with pytest.raises(RuntimeError):
        write_consolidated(c, target)
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    victim = tmp_path / "vstup.xlsx"
    shutil.copy(books.orp[next(iter(books.orp))], victim)
    before = victim.read_bytes()
    with pytest.raises(OutputError):
        write_consolidated(c, victim, protect_inputs=[victim])
    assert victim.read_bytes() == before


def test_cli_merge_outputs_and_guards(books: Books, tmp_path):
    runner = CliRunner()
    folder = ORP_FOLDERS[0]
    out = tmp_path / "orp.xlsx"
    html = tmp_path / "orp.html"
    args = ["merge", str(folder), "-o", str(out), "--generated", GENERATED, "--html", str(html)]
    res = runner.invoke(main, args)
    assert res.exit_code == 0, res.output
    assert "Souhrnný sešit uložen" in res.output and "přečteno" in res.output
    assert out.read_bytes() == books.orp[folder.name.split("_")[1]].read_bytes()
    try:
        import xlkpss.render.summary  # noqa: F401
    except ImportError:
        assert "není k dispozici" in res.output
    else:
        assert html.is_file()
    # -o naming an input file: refused, input untouched
    victim = next(folder.glob("*.xlsx"))
    before = victim.read_bytes()
    res = runner.invoke(main, ["merge", str(victim), "-o", str(victim)])
    assert res.exit_code == 2 and "přepsal" in res.output
    assert victim.read_bytes() == before
    # unknown territory, quiet mode, missing input
    res = runner.invoke(main, ["merge", str(folder), "-o", str(out), "--orp", "9999"])
    assert res.exit_code == 2 and "neznámý kód ORP" in res.output
    res = runner.invoke(main, ["merge", str(folder), "-o", str(tmp_path / "q.xlsx"), "-q", "--generated", GENERATED])
    assert res.exit_code == 0 and res.output == ""
    res = runner.invoke(main, ["merge", str(tmp_path / "nic"), "-o", str(out)])
    assert res.exit_code == 2 and "neexistuje" in res.output


def test_territory_and_year_are_inferred_or_asked_for(tmp_path):
    make_submission(tmp_path / "a.xlsx", rows=[GOOD_SERVICE])
    kadan = {**GOOD_SERVICE, "obec": "Kadaň"}
    make_submission(
        tmp_path / "b.xlsx",
        rows=[kadan],
        orp="4204",
        ident={"kod_obce": "563102", "ico": "00261912", "nazev": "Město Kadaň", "kod_orp": "Kadaň"},
    )
    with pytest.raises(MergeError, match="více území"):
        merge_paths([tmp_path], generated=GENERATED)
    c = merge_paths([tmp_path], territory=territory(orp="4203"), generated=GENERATED)
    subs = c.table("submissions")
    assert set(subs.loc[subs["file"] == "b.xlsx", "status"]) == {"outside"}
    assert c.meta["rows_read"] == c.meta["rows_merged"] + c.meta["rows_excluded"]
    # filled templates do not go into a regional merge (issue 13: a workflow mistake, said, not merged)
    with pytest.raises(MergeError, match="patří do souhrnu ORP"):
        merge_paths([tmp_path], level="kraj", generated=GENERATED)


def test_core_services_are_configurable(trouble):
    c = trouble["c"]
    gaps = c.table("gaps")
    core = set(gaps.loc[gaps["core"] == "ano", "druh"])
    assert "§37 Odborné sociální poradenství" in core  # default list: spec.toml [gaps]
    assert "§40 Pečovatelská služba" not in set(gaps["druh"])  # present in the territory
    again = merge_paths([trouble["dir"]], core_services=["§69", "Tísňová péče"], generated=GENERATED)
    gaps = again.table("gaps")
    assert set(gaps.loc[gaps["core"] == "ano", "druh"]) == {"§69 Terénní programy", "§41 Tísňová péče"}
    with pytest.raises(MergeError, match="neznámý druh"):
        merge_paths([trouble["dir"]], core_services=["§999"], generated=GENERATED)


def test_previous_year_changes_are_flagged(tmp_path):
    last = tmp_path / "2025"
    now = tmp_path / "2026"
    last.mkdir()
    now.mkdir()
    make_submission(
        last / "jirkov.xlsx",
        rows=[{**GOOD_SERVICE, "kapacita": 80}],
        year=2025,
        ident={"rok": 2025, "datum_vyplneni": dt.date(2025, 3, 1)},
    )
    make_submission(now / "jirkov.xlsx", rows=[GOOD_SERVICE])
    prev = write_consolidated(merge_paths([last], generated="2025-04-01"), tmp_path / "souhrn_2025.xlsx")
    res = CliRunner().invoke(
        main,
        [
            "merge",
            str(now),
            "-o",
            str(tmp_path / "souhrn_2026.xlsx"),
            "--previous",
            str(prev),
            "--generated",
            GENERATED,
            "-q",
        ],
    )
    assert res.exit_code == 0, res.output
    changes = sheet_records(tmp_path / "souhrn_2026.xlsx", "changes")
    service = next(r for r in changes if r["identifikator"] == GOOD_SERVICE["identifikator"])
    assert (service["prev_capacity"], service["curr_capacity"]) == (80, 120)
    assert service["capacity_change_pct"] == pytest.approx(50.0)
    assert service["flag"] == "ano" and "kapacita" in service["note"]
    c = merge_paths([now], previous=prev, threshold=60, generated=GENERATED)
    assert set(c.table("changes")["flag"]) == {"ne"}


# ---------------------------------------------------------------------------
# LibreOffice: opens, prints, and recalculates to the same totals
# ---------------------------------------------------------------------------

_RECALC = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Setup/L10N"><prop oor:name="ooSetupSystemLocale" oor:op="fuse"><value>cs-CZ</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="FirstRun" oor:op="fuse"><value>false</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def _soffice(inputs: list[Path], target: str, outdir: Path) -> list[Path]:
    """``soffice --convert-to`` with a fresh profile that recalculates on load (cs-CZ)."""
    with tempfile.TemporaryDirectory(prefix="xlkpss_lo_recalc_") as prof:
        user = Path(prof) / "user"
        user.mkdir()
        (user / "registrymodifications.xcu").write_text(_RECALC, encoding="utf-8")
        cmd = [
            "soffice",
            f"-env:UserInstallation={Path(prof).as_uri()}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            lo.CONVERT_FILTERS[target],
            "--outdir",
            str(outdir),
            *map(str, inputs),
        ]
        res = lo._run(cmd, env=dict(os.environ), timeout=lo.TIMEOUT)
    ext = lo.CONVERT_FILTERS[target].split(":")[0]
    outs = [outdir / f"{p.stem}.{ext}" for p in inputs]
    assert res.returncode == 0 and all(o.is_file() for o in outs), res.stderr
    return outs


@pytest.mark.libreoffice
def test_libreoffice_prints_and_recalculates_to_the_written_totals(books: Books, trouble, national, tmp_path):
    lo.require(pdftotext=True)
    books_ = [*books.orp.values(), books.kraj, trouble["out"], national.out]
    jobs = {
        "xlsx": lambda: _soffice(books_, "xlsx", tmp_path / "recalc"),
        "pdf": lambda: _soffice([books.kraj], "pdf", tmp_path / "pdf"),
    }
    done = lo.run_parallel(jobs)
    checked = 0
    for original, recalculated in zip(books_, done["xlsx"]):
        formulas = formula_cells(original)
        assert len(formulas) > 20, original.name
        cached = openpyxl.load_workbook(original, data_only=True)
        after = openpyxl.load_workbook(recalculated, data_only=True)
        for sheet, ref, formula in formulas:
            a, b = cached[sheet][ref].value, after[sheet][ref].value
            a, b = (None if a == "" else a), (None if b == "" else b)
            if isinstance(a, (int, float)) and isinstance(b, (int, float)):
                assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6), (
                    f"{original.name} {sheet}!{ref} {formula}: {a} != {b}"
                )
            else:
                assert a == b, f"{original.name} {sheet}!{ref} {formula}: {a!r} != {b!r}"
            checked += 1
    assert checked > 300
    # the national workbook's whole-country and per-kraj totals are live formulas too
    ws = openpyxl.load_workbook(national.out)[SHEETS["capacities"]]
    header = [c.value for c in ws[1]]
    level_col = header.index(column_label("capacities", "territory_level"))
    cap_col = header.index(column_label("capacities", "capacity"))
    levels = {row[level_col].value for row in ws.iter_rows(min_row=2) if str(row[cap_col].value).startswith("=SUMIFS(")}
    assert levels == {"stát", "kraj"}
    # an ORP workbook saved by LibreOffice is still a valid input of the regional merge
    resaved = done["xlsx"][: len(books.orp)]
    assert all(is_consolidated(p) for p in resaved)
    again = merge_paths(resaved, generated=GENERATED)
    for key in ("services", "activities", "capacities", "funding", "coverage", "gaps", "plan_summary", "carryover"):
        a, b = again.table(key), books.kraj_c.table(key)
        assert (
            a.astype(object).where(a.notna(), None).values.tolist()
            == b.astype(object).where(b.notna(), None).values.tolist()
        ), key
    text = lo.pdf_text(done["pdf"][0])
    for name in ("Přehled", "Odevzdání", "Kapacity", "Chybějící služby", "Plnění plánu"):
        assert name in text
    assert "Kč" in text and "Ústecký kraj" in text


def test_cli_levels_are_the_merge_levels():
    """``--level`` lists its choices in the command (importing the merge module would
    cost ``xlkpss --help`` 60 ms); they must stay the library's levels."""
    from xlkpss.commands.merge import command
    from xlkpss.merge.consolidate import LEVELS

    level = next(p for p in command.params if p.name == "level")
    assert tuple(level.type.choices) == LEVELS
