"""``xlkpss demo``: the whole job on the bundled samples in one command."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import openpyxl
from click.testing import CliRunner

from xlkpss.cli import main
from xlkpss.merge.workbook import is_consolidated, read_consolidated

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def test_demo_writes_every_output_and_lists_it(tmp_path):
    before = {p: p.stat().st_mtime_ns for p in SAMPLES.rglob("*") if p.is_file()}
    out = tmp_path / "ukazka"
    res = CliRunner().invoke(main, ["demo", str(out), "--generated", "2026-04-01", "-q"])
    assert res.exit_code == 0, res.output
    listed = [line.split()[-1] for line in res.output.splitlines() if line.startswith("  ") and "Poznámka" not in line]
    assert listed and all(Path(p).exists() for p in listed), res.output
    assert (out / "sablony" / "sablona_sluzby.xlsx").is_file() and (out / "sablony" / "sablona_plan.xlsx").is_file()
    report = json.loads((out / "kontrola" / "kontrola.json").read_text(encoding="utf-8"))
    valid = {Path(f["path"]).name: f["valid"] for f in report["files"]}
    expected = json.loads((SAMPLES / "invalid" / "EXPECTED.json").read_text(encoding="utf-8"))
    for name, issues in expected.items():
        assert valid[name] == (not any(i["severity"] == "error" for i in issues)), name
    assert "kapacita_text_cca_20.xlsx" in (out / "kontrola" / "kontrola.txt").read_text(encoding="utf-8")
    assert list((out / "kontrola" / "oznacene").glob("*_kontrola.xlsx"))
    orp_books = sorted(out.glob("souhrn_orp_*.xlsx"))
    kraj_books = sorted(out.glob("souhrn_kraj_*.xlsx"))
    assert len(orp_books) >= 2 and len(kraj_books) == 1
    assert all(is_consolidated(p) for p in orp_books + kraj_books)
    kraj = read_consolidated(kraj_books[0])
    assert kraj.meta["level"] == "kraj" and kraj.meta["generated"] == "2026-04-01"
    orp_services = sum(len(read_consolidated(p).table("services")) for p in orp_books)
    assert len(kraj.table("services")) == orp_services
    national = read_consolidated(out / "souhrn_cr.xlsx")
    assert national.meta["level"] == "stat" and (national.meta["delivered"], national.meta["expected"]) == (1, 14)
    assert len(national.table("services")) == len(kraj.table("services"))
    assert (out / "souhrn_cr.html").is_file()
    wb = openpyxl.load_workbook(kraj_books[0], read_only=True)
    assert "Odevzdání" in wb.sheetnames
    assert "Síť vs skutečnost" in wb.sheetnames  # compared with the sample network of the kraj
    assert kraj.meta["network"]["file"] == "sit_ustecky_kraj_2026.xlsx"
    assert (out / "sablony" / "sablona_sit.xlsx").is_file()
    wb.close()
    try:
        import xlkpss.render.summary  # noqa: F401
    except ImportError:
        assert "HTML souhrn zatím není" in res.output
    else:
        assert kraj_books[0].with_suffix(".html").is_file()
    # the sample registry and next year's pre-filled templates of the first ORP
    assert (out / "registr.xlsx").is_file()
    index = (out / "predvyplnene_2027" / "seznam_souboru.csv").read_text(encoding="utf-8-sig")
    assert "obec_562971_chomutov_sluzby_2027.xlsx" in index
    assert (out / "predvyplnene_2027" / "obec_562971_chomutov_sluzby_2027.xlsx").is_file()
    rows = list(csv.DictReader(io.StringIO(index), delimiter=";"))
    assert sum(int(r["Z registru"]) for r in rows) > 0 and sum(int(r["Z loňského hlášení"]) for r in rows) > 0
    # the registry comparison of the first ORP and its chasing pack
    compared = read_consolidated(out / "porovnani_s_registrem_orp_4203.xlsx")
    findings = set(compared.table("service_comparison")["finding"])
    assert {"nehlášena", "hlášena, liší se od registru"} <= findings, findings
    assert len(compared.table("submitter_completeness")) > 0 and compared.meta.get("completeness_services") is not None
    assert "Porovnání s registrem" in (out / "porovnani_s_registrem_orp_4203.html").read_text(encoding="utf-8")
    pack = list(csv.DictReader(io.StringIO((out / "urgence" / "rozeslani.csv").read_text(encoding="utf-8-sig")),
                               delimiter=";"))  # fmt: skip
    assert pack and all((out / "urgence" / r["Soubor k přiložení"]).is_file() for r in pack)
    # the samples are inputs: never touched
    assert before == {p: p.stat().st_mtime_ns for p in SAMPLES.rglob("*") if p.is_file()}


def test_demo_without_samples_says_where_they_should_be(tmp_path, monkeypatch):
    from xlkpss.commands import demo

    monkeypatch.setattr(demo, "samples_dir", lambda: tmp_path / "nic")
    res = CliRunner().invoke(main, ["demo", str(tmp_path / "out")])
    assert res.exit_code == 1
    assert "ukázkové soubory nenalezeny" in res.output and "Traceback" not in res.output
