"""--obec / --orp / --kraj by name (issue 14 point 7): the library resolves names (case and
diacritics insensitive) and every command that has these options accepts them."""

from __future__ import annotations

import json

import openpyxl
import pytest
from click.testing import CliRunner

from xlkpss.cli import main
from xlkpss.codelists import TerritoryError, find_territory, municipalities, territory
from xlkpss.commands.options import TerritoryName


@pytest.mark.parametrize(
    "level, text, code",
    [
        ("obec", "Údlice", "563382"),
        ("obec", "udlice", "563382"),
        ("obec", "  ÚDLICE ", "563382"),
        ("obec", "563382", "563382"),
        ("orp", "Chomutov", "4203"),
        ("orp", "chomutov", "4203"),
        ("orp", "ORP Chomutov", "4203"),
        ("kraj", "Ústecký kraj", "CZ042"),
        ("kraj", "ustecky kraj", "CZ042"),
        ("kraj", "Ústecký", "CZ042"),
        ("kraj", "cz042", "CZ042"),
        ("kraj", "Vysočina", "CZ063"),
    ],
)
def test_names_resolve_to_codes(level, text, code):
    assert find_territory(level, text).code == code


def test_ambiguous_name_lists_candidates_with_codes():
    with pytest.raises(TerritoryError) as info:
        find_territory("obec", "Březina")
    exc = info.value
    expected = sorted(m.code for m in municipalities().values() if m.name == "Březina")
    assert len(expected) > 1 and sorted(c.code for c in exc.candidates) == expected
    text = exc.message()
    assert all(code in text for code in expected) and "zadejte kód" in text


def test_ambiguous_name_resolved_inside_the_wider_territory():
    # 14 obce are called Nová Ves; only one of them lies in Ústecký kraj
    assert territory(obec="Nová Ves", kraj="Ústecký kraj").code == "542636"


def test_unknown_name_suggests_close_matches():
    with pytest.raises(TerritoryError) as info:
        find_territory("obec", "Udlce")
    assert info.value.suggestions[0].code == "563382"
    assert "měli jste na mysli: Údlice (obec 563382" in info.value.message()
    with pytest.raises(TerritoryError) as info:
        find_territory("orp", "Chomutv")
    assert info.value.suggestions[0].code == "4203"


def test_obec_outside_orp_is_an_error():
    with pytest.raises(TerritoryError) as info:
        territory(obec="Jirkov", orp="Litoměřice")
    assert "Jirkov (obec 563099" in info.value.message() and "neleží" in info.value.message()


def _identification(path):
    ws = openpyxl.load_workbook(path)["Identifikace"]
    return {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(2, ws.max_row + 1)}


def test_template_by_name_equals_template_by_code(tmp_path):
    runner = CliRunner()
    by_name, by_code = tmp_path / "jmeno.xlsx", tmp_path / "kod.xlsx"
    assert runner.invoke(main, ["template", "sluzby", "--obec", "udlice", "-o", str(by_name)]).exit_code == 0
    assert runner.invoke(main, ["template", "sluzby", "--obec", "563382", "-o", str(by_code)]).exit_code == 0
    assert by_name.read_bytes() == by_code.read_bytes()
    assert _identification(by_name)["Kód obce"] == "563382"
    res = runner.invoke(main, ["template", "plan", "--orp", "Chomutov", "-o", str(tmp_path / "p.xlsx")])
    assert res.exit_code == 0, res.output
    assert _identification(tmp_path / "p.xlsx")["ORP"] == "Chomutov"
    res = runner.invoke(main, ["template", "sluzby", "--kraj", "Ústecký kraj", "-o", str(tmp_path / "k.xlsx")])
    assert res.exit_code == 0, res.output


@pytest.mark.parametrize(
    "args, needles",
    [
        (["--obec", "Březina"], ["507733", "582891", "zadejte kód"]),
        (["--obec", "Udlce"], ["Údlice (obec 563382"]),
        (["--kraj", "Ustecky kray"], ["Ústecký kraj (CZ042)"]),
    ],
)
def test_template_name_errors_are_czech_usage_errors(tmp_path, args, needles):
    out = tmp_path / "x.xlsx"
    res = CliRunner().invoke(main, ["template", "sluzby", *args, "-o", str(out)])
    assert res.exit_code == 2
    assert all(n in res.output for n in needles), res.output
    assert "Traceback" not in res.output and "Usage" not in res.output and not out.exists()


def test_ambiguous_obec_resolved_by_the_orp_option(tmp_path):
    out = tmp_path / "nova_ves.xlsx"
    res = CliRunner().invoke(main, ["template", "sluzby", "--obec", "Nová Ves", "--orp", "Louny", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert _identification(out)["Kód obce"] == "542636"


def test_merge_and_registry_accept_names(tmp_path, samples_dir=None):
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    folder = next((root / "samples").glob("orp_4203*"))
    out = tmp_path / "m.xlsx"
    res = CliRunner().invoke(main, ["merge", str(folder), "--orp", "Chomutov", "-o", str(out), "-q", "--generated", "2026-06-30"])
    assert res.exit_code == 0, res.output
    same = tmp_path / "m2.xlsx"
    CliRunner().invoke(main, ["merge", str(folder), "--orp", "4203", "-o", str(same), "-q", "--generated", "2026-06-30"])
    assert openpyxl.load_workbook(out).sheetnames == openpyxl.load_workbook(same).sheetnames
    rpss = next(root.glob("samples/**/rpss*.json"), None)
    if rpss is not None:
        by_name, by_code = tmp_path / "r1.xlsx", tmp_path / "r2.xlsx"
        assert CliRunner().invoke(main, ["registry", "import", str(rpss), "--kraj", "ústecký", "-o", str(by_name), "-q"]).exit_code == 0
        assert CliRunner().invoke(main, ["registry", "import", str(rpss), "--kraj", "CZ042", "-o", str(by_code), "-q"]).exit_code == 0
        a, b = openpyxl.load_workbook(by_name), openpyxl.load_workbook(by_code)
        assert [list(ws.values) for ws in a] == [list(ws.values) for ws in b]
    res = CliRunner().invoke(main, ["merge", str(folder), "--kraj", "Kraj", "-o", str(tmp_path / "x.xlsx")])
    assert res.exit_code == 2 and "neznámý název kraje" in res.output


def test_every_territory_option_takes_names():
    """Every --obec/--orp/--kraj that takes a value uses the one option type."""
    import click

    seen = []

    def walk(cmd, name):
        if isinstance(cmd, click.Group):
            for sub_name, sub in cmd.commands.items():
                walk(sub, f"{name} {sub_name}")
            return
        for p in cmd.params:
            if isinstance(p, click.Option) and not p.is_flag and set(p.opts) & {"--obec", "--orp", "--kraj"}:
                assert isinstance(p.type, TerritoryName), (name, p.opts)
                seen.append((name, p.opts[0]))

    walk(main, "xlkpss")
    assert {("xlkpss template", "--obec"), ("xlkpss merge", "--orp"), ("xlkpss registry import", "--kraj")} <= set(seen)
    json.dumps(seen)


def test_scoped_obce_lists_are_the_national_list_filtered():
    """Every ORP's and kraj's list of obce is the national list (Czech order) keeping
    that territory's obce — built from an index, checked here against the plain filter."""
    from xlkpss.codelists import codelist, municipalities, orps, regions
    from xlkpss.codelists import territory as make_territory

    national = [item.code for item in codelist("obce")]
    for scope, attr in [*((make_territory(orp=c), "orp") for c in orps()), *((make_territory(kraj=c), "kraj") for c in regions())]:
        mine = {m.code for m in municipalities().values() if getattr(m, attr) == scope.code}
        assert mine, scope
        assert [item.code for item in codelist("obce", scope)] == [c for c in national if c in mine], scope
