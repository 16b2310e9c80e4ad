"""Registry import: rpss.json (the MPSV open-data structure) → Registry → registr.xlsx → back."""

from __future__ import annotations

import datetime as dt
import json

import openpyxl
import pytest
from click.testing import CliRunner
from rpss import CHOMUTOV, CHOMUTOV_ROWS, FIXTURE, JIRKOV, MUSS, form, service, write_rpss

from xlkpss.cli import main
from xlkpss.codelists import codelist, territory
from xlkpss.registry import (
    RegistryError,
    import_registry,
    is_registry_workbook,
    load_registry,
    read_registry,
    write_registry,
)
from xlkpss.registry.workbook import SEP


@pytest.fixture(scope="module")
def rpss_file(tmp_path_factory):
    return write_rpss(tmp_path_factory.mktemp("rpss") / "rpss.json", indent=1)


def _all_cells(path) -> list[str]:
    wb = openpyxl.load_workbook(path)
    return [str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]


def test_whole_file_counts_match_the_fixture(rpss_file):
    reg = import_registry(rpss_file)
    usable = [r for r in FIXTURE if isinstance(r, dict) and r.get("identifikator") and r.get("formy")]
    assert reg.meta["records"] == len(FIXTURE)
    assert reg.meta["malformed"] == len(FIXTURE) - len(usable) == 3
    assert reg.meta["services"] == len(usable)
    assert reg.meta["rows"] == sum(len(r["formy"]) for r in usable) == len(reg.services)
    assert reg.meta["ended"] == 1
    assert reg.meta["no_municipality"] == 1
    assert reg.meta["outside"] == 0
    # every record is a service or a reported problem: nothing silently lost
    taken = {s.identifikator for s in reg.services.values()}
    problems = {i.record for i in reg.issues if i.code == "registry-malformed"}
    assert len(taken) + len(problems) == len(FIXTURE)


def test_orp_filter_keeps_exactly_the_services_with_a_place_in_the_orp(rpss_file):
    reg = import_registry(rpss_file, territory=territory(orp="4203"))
    assert set(reg.services) == CHOMUTOV_ROWS
    # Kadaň (another ORP) and the service without any place are outside
    assert reg.meta["outside"] == 2
    assert "5050505" not in {k[0] for k in reg.services}
    assert reg.meta["territory"] == "orp:4203"
    kraj = import_registry(rpss_file, territory=territory(kraj="CZ042"))
    assert set(kraj.services) == CHOMUTOV_ROWS | {("5050505", "pob")}


def test_forms_and_capacities(rpss_file):
    reg = import_registry(rpss_file)
    care_amb = reg.services[("3288609", "amb")]
    # two capacities in the outpatient form: clients fill the template's one capacity
    assert (care_amb.capacity, care_amb.capacity_type) == (40, "klient")
    assert [(c.count, c.type) for c in care_amb.capacities] == [(10, "kontakt"), (40, "klient")]
    assert reg.services[("3288609", "ter")].capacity == 420
    relief = {f: reg.services[("4455667", f)] for f in ("pob", "amb", "ter")}
    assert {f: (s.capacity, s.capacity_type) for f, s in relief.items()} == {
        "pob": (6, "luzka"),
        "amb": (8, "klient"),
        "ter": (15, "klient"),
    }
    home = reg.services[("8610029", "pob")]
    assert home.druh == "13" and home.continuous is True and home.target_groups == ("24",)
    assert home.age_groups == ("7", "8")
    assert len(home.facilities) == 1  # the repeated facility counted once
    assert home.address() == "Písečná 5144, 430 04 Chomutov"
    assert home.email == "domov@muss-chomutov.cz" and home.provider_email == "info@muss-chomutov.cz"


def test_dates_secret_addresses_and_places_without_address_code(rpss_file):
    reg = import_registry(rpss_file)
    ended = reg.services[("5781313", "ter")]
    assert ended.until == dt.date(2024, 12, 31)
    assert ended.active_in(2024) and not ended.active_in(2025)
    assert reg.services[("8610029", "pob")].since == dt.date(2007, 1, 1)
    shelter = reg.services[("3463958", "pob")]
    assert shelter.municipalities == (JIRKOV,)
    assert shelter.facilities[0].secret and shelter.facilities[0].address is None and shelter.address() is None
    assistance = reg.services[("7439893", "ter")]  # identifier given as a number in the file
    assert assistance.facilities[0].address_code is None
    assert assistance.municipalities == (CHOMUTOV,)
    assert assistance.address() == "č. p. 12, 430 04 Chomutov"
    club = reg.services[("2025145", "amb")]
    assert club.name == "Nízkoprahový klub Jirkov"  # the name of the place still open
    assert club.municipalities_in(2027) == (JIRKOV,)
    assert [f.until for f in club.facilities] == [dt.date(2019, 6, 30), None]


def test_unknown_codes_and_malformed_records_are_issues(rpss_file):
    reg = import_registry(rpss_file)
    by_code: dict[str, list] = {}
    for i in reg.issues:
        by_code.setdefault(i.code, []).append(i)
    unknown = {(i.identifikator, i.field, i.value) for i in by_code["registry-unknown-code"]}
    assert unknown == {
        ("9000001", "druhSocialniSluzby.id", "DruhSocialniSluzby/999"),
        ("9000001", "ciloveSkupiny[].cilovaSkupina.id", "CilovaSkupinaOsoby/77"),
        ("9000001", "formy[].kapacity[].typ.id", "TypKapacitySocialniSluzby/mist"),
    }
    odd = reg.services[("9000001", "amb")]
    assert odd.druh is None and odd.target_groups == ("24",) and (odd.capacity, odd.capacity_type) == (12, "klient")
    assert {i.record for i in by_code["registry-malformed"]} == {11, 12, 13}
    assert all(i.severity == "error" for i in by_code["registry-malformed"])
    assert [i.identifikator for i in by_code["registry-no-municipality"]] == ["6666661"]
    for i in reg.issues:
        assert i.message and "{" not in i.message
    # the messages are Czech and name the list
    assert any("Druhy sociálních služeb" in i.message for i in by_code["registry-unknown-code"])


def test_duplicate_registration_keeps_the_one_still_provided(tmp_path):
    old = service("1112223", 13, MUSS, [form("pob", (50, "luzka"))], [], od="2008-01-01", do="2015-12-31", portal=1)
    new = service("1112223", 13, MUSS, [form("pob", (70, "luzka"))], [], od="2016-01-01", portal=2)
    reg = import_registry(write_rpss(tmp_path / "r.json", [new, old]))
    s = reg.services[("1112223", "pob")]
    assert s.capacity == 70 and s.until is None
    assert [i.code for i in reg.issues if i.identifikator == "1112223"].count("registry-duplicate") == 1


def test_not_a_registry_file_raises_a_czech_error(tmp_path):
    for text in ('{"polozky": [', '{"jine": 1}', "PK\x03\x04 nesmysl"):
        p = tmp_path / "r.json"
        p.write_text(text, encoding="utf-8")
        with pytest.raises(RegistryError) as exc:
            import_registry(p)
        assert "r.json" in str(exc.value) and "\n" not in str(exc.value)
        # Czech only: not the parser's English ("parse error: premature EOF", "lexical error")
        assert not any(w in str(exc.value).lower() for w in ("parse", "eof", "premature", "lexical", "error")), exc.value


def test_workbook_round_trip(rpss_file, tmp_path):
    reg = import_registry(rpss_file, territory=territory(orp="4203"))
    path = write_registry(reg, tmp_path / "registr.xlsx")
    assert is_registry_workbook(path)
    back = read_registry(path)
    assert back.services == reg.services
    assert back.providers == reg.providers
    assert back.issues == reg.issues
    assert back.meta["sha256"] == reg.meta["sha256"] and back.meta["rows"] == len(CHOMUTOV_ROWS)
    assert set(load_registry(path)) == CHOMUTOV_ROWS
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [
        "Přehled",
        "Služby v registru",
        "Místa poskytování",
        "Poskytovatelé",
        "Problémy",
        "_xlkpss",
    ]
    assert wb["_xlkpss"].sheet_state == "hidden"
    ws = wb["Služby v registru"]
    header = [c.value for c in ws[1]]
    assert header[:8] == ["Identifikátor služby", "Název služby", "Poskytovatel", "IČO poskytovatele", "Druh služby",
                          "Forma", "Kapacita", "Typ kapacity"]  # fmt: skip
    assert ws.max_row == len(CHOMUTOV_ROWS) + 1
    row = {h: c.value for h, c in zip(header, next(r for r in ws.iter_rows(min_row=2) if r[0].value == "8610029"))}
    assert row["Druh služby"] == "§49 Domovy pro seniory" and row["Forma"] == "pobytová"
    assert row["Typ kapacity"] == "lůžka" and row["Obce poskytování"] == "Chomutov"
    assert row["Kódy obcí poskytování"] == CHOMUTOV and row["Stav registrace"] == "poskytuje se"


def test_no_secret_address_and_no_personal_names_in_the_workbook(rpss_file, tmp_path):
    path = write_registry(import_registry(rpss_file), tmp_path / "registr.xlsx")
    text = "\n".join(_all_cells(path))
    assert "Tajná" not in text  # the shelter's secret street
    assert "Tajný" not in text  # statutarniOrgany (personal names) are never read
    assert "Azylový dům pro matky s dětmi Jirkov" in text


def test_no_code_list_label_contains_the_separator():
    for name in ("cilove_skupiny", "vekove_skupiny", "typy_kapacity"):
        assert all(SEP.strip() not in i.label for i in codelist(name)), name


def test_cli_import(rpss_file, tmp_path):
    out = tmp_path / "registr.xlsx"
    res = CliRunner().invoke(main, ["registry", "import", str(rpss_file), "--orp", "4203", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "Sešit registru uložen" in res.output and "nepoužitelných záznamů 3" in res.output
    assert set(load_registry(out)) == CHOMUTOV_ROWS
    bad = tmp_path / "bad.json"
    bad.write_text('{"polozky": [{"identifikator": "1"', encoding="utf-8")
    res = CliRunner().invoke(main, ["registry", "import", str(bad), "-o", str(tmp_path / "x.xlsx")])
    assert res.exit_code == 1 and "neúplný" in res.output and not (tmp_path / "x.xlsx").exists()
    res = CliRunner().invoke(main, ["registry", "import", str(rpss_file), "--orp", "9999", "-o", str(out)])
    assert res.exit_code == 2 and "9999" in res.output
    res = CliRunner().invoke(main, ["registry", "import", str(rpss_file), "-o", str(tmp_path / "x.csv")])
    assert res.exit_code == 2


def test_streaming_reads_the_file_in_chunks(tmp_path, monkeypatch):
    """The import never reads the whole document at once (memory is bounded by a chunk
    plus one record; the benchmark measures the peak on a 100 MB file)."""
    big = write_rpss(tmp_path / "big.json", FIXTURE * 40, indent=2)
    sizes: list[int] = []
    import xlkpss.registry.rpss as rpss_mod

    real = rpss_mod._Hashing.read

    def spy(self, n=-1):
        sizes.append(n)
        return real(self, n)

    monkeypatch.setattr(rpss_mod._Hashing, "read", spy)
    reg = import_registry(big)
    assert reg.meta["records"] == len(FIXTURE) * 40
    assert big.stat().st_size > 4 * 65536
    assert sizes and all(0 <= n <= 65536 for n in sizes)
    assert json.loads(big.read_text(encoding="utf-8"))["polozky"][0]["identifikator"] == "8610029"


def test_benchmark_generator_at_a_tiny_size(tmp_path):
    """``benchmarks/registry.py`` at 0.3 MB: the generated file imports, every record is
    taken (no timing asserted; the figures are in the README)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from benchmarks.registry import generate

    src = tmp_path / "rpss.json"
    records = generate(src, mb=0.3)
    reg = import_registry(src)
    assert reg.meta["records"] == reg.meta["services"] == records > 10
    assert reg.meta["malformed"] == 0 and not [i for i in reg.issues if i.code != "registry-duplicate"]
    kraj = import_registry(src, territory=territory(kraj="CZ042"))
    assert 0 < kraj.meta["services"] < records
    assert kraj.meta["services"] + kraj.meta["outside"] == records


def test_sample_registry_is_the_test_fixture(tmp_path):
    """``samples/registr/rpss_ukazka.json`` (used by the demo) is this fixture, byte for byte."""
    from pathlib import Path

    sample = Path(__file__).resolve().parents[1] / "samples" / "registr" / "rpss_ukazka.json"
    assert sample.read_bytes() == write_rpss(tmp_path / "r.json", indent=1).read_bytes()
