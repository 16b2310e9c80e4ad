"""Next year's plan from this year's evaluation (issue 6, ``xlkpss rollover``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from test_fulfilment import PLAN_IDENT, PROJECTS, make_plan

from xlkpss.cli import main
from xlkpss.plan import load_plans
from xlkpss.plan.rollover import RolloverError, next_plan_rows, write_rollover
from xlkpss.spec import get_template
from xlkpss.template import build_template
from xlkpss.validate.engine import validate_paths

DAY = dt.date(2026, 12, 15)

ROWS = [
    {"cislo": "1", "uroven": "priorita", "nazev": "Finanční podpora"},
    {"cislo": "1.1", "uroven": "opatření", "nazev": "Přímá podpora poskytovatelů", "popis": "Vyčlenit část rozpočtu."},
    # fulfilled and continues (seed 004): carried
    {
        "cislo": "1.1.1",
        "uroven": "aktivita",
        "nazev": "vyčlenit část rozpočtu na provoz MÚSS",
        "realizator": "Odbor sociálních věcí",
        "termin": "průběžně",
        "rozpocet": 2_774_600,
        "cerpano": 2_650_000,
        "zdroj_financovani": "rozpočet města",
        "indikator": "počet podpořených služeb",
        "cilova_hodnota": 12,
        "dosazena_hodnota": 11,
        "stav": "splněno",
        "pokracuje": "ano",
        "komentar": "vše podle plánu",
        "cilova_skupina": "senioři",
    },
    # fulfilled: dropped
    {
        "cislo": "1.1.2",
        "uroven": "aktivita",
        "nazev": "vytvořit pravidla",
        "stav": "splněno",
        "dosazena_hodnota": 1,
        "cilova_hodnota": 1,
        "indikator": "pravidla schválena",
    },
    # not fulfilled, already carried twice since 2024: carried, keeps 2024, count 3
    {
        "cislo": "1.1.3",
        "uroven": "aktivita",
        "nazev": "zřídit linku důvěry",
        "stav": "nesplněno",
        "termin": "12/2026",
        "prevzato_z_roku": 2024,
        "pocet_prevzeti": 2,
    },
    {"cislo": "2", "uroven": "priorita", "nazev": "Informovanost"},
    {"cislo": "2.1", "uroven": "opatření", "nazev": "Katalog služeb"},
    {"cislo": "2.1.1", "uroven": "aktivita", "nazev": "vydat katalog", "stav": "splněno"},
    {"cislo": "2.1.2", "uroven": "aktivita", "nazev": "zřídit nástěnku", "stav": "zrušeno", "pokracuje": "ano"},
    {"cislo": "3", "uroven": "priorita", "nazev": "Kvalita"},
    {
        "cislo": "3.1",
        "uroven": "aktivita",
        "nazev": "seminář o standardech",
        "stav": "částečně splněno",
        "termin": "2026–2027",
    },
    {"cislo": "3.2", "uroven": "aktivita", "nazev": "jednorázová akce", "stav": "nesplněno", "pokracuje": "ne"},
    {"cislo": "3.3", "uroven": "aktivita", "nazev": "ještě nehodnoceno"},
]


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    return make_plan(tmp_path_factory.mktemp("src") / "plan_2026.xlsx", ROWS)


@pytest.fixture(scope="module")
def plan(source):
    (p,) = load_plans([source])
    return p


@pytest.fixture(scope="module")
def rolled(plan, tmp_path_factory):
    out = tmp_path_factory.mktemp("next") / "plan_2027.xlsx"
    res = write_rollover(plan, out, to_year=2027, today=DAY)
    return res


def _by_number(rows):
    return {r["cislo"]: r for r in rows}


def test_which_items_are_carried(plan):
    rows = _by_number(next_plan_rows(plan, 2027))
    assert list(rows) == ["1", "1.1", "1.1.1", "1.1.3", "3", "3.1", "3.3"]
    # priority 2 had only fulfilled / cancelled activities: dropped with its measure


def test_carried_fields_kept_and_evaluation_cleared(plan):
    rows = _by_number(next_plan_rows(plan, 2027))
    a = rows["1.1.1"]
    assert a["nazev"] == "vyčlenit část rozpočtu na provoz MÚSS"
    assert a["uroven"] == "aktivita" and rows["1.1"]["uroven"] == "opatření"  # dropdown texts
    assert (
        a["realizator"] == "Odbor sociálních věcí"
        and a["indikator"] == "počet podpořených služeb"
        and a["cilova_hodnota"] == 12
    )
    assert a["zdroj_financovani"] == "rozpočet města" and a["cilova_skupina"] == "senioři" and a["termin"] == "průběžně"
    for key in ("stav", "dosazena_hodnota", "pokracuje", "cerpano", "rozpocet", "komentar"):
        assert a.get(key) is None, key
    assert rows["1.1"]["popis"] == "Vyčlenit část rozpočtu."
    assert "termin" not in rows["1.1.3"]  # 12/2026 is over
    assert rows["3.1"]["termin"] == "2026–2027"


def test_carried_from_year_and_count(plan):
    rows = _by_number(next_plan_rows(plan, 2027))
    assert (rows["1.1.1"]["prevzato_z_roku"], rows["1.1.1"]["pocet_prevzeti"]) == (2026, 1)
    assert (rows["1.1.3"]["prevzato_z_roku"], rows["1.1.3"]["pocet_prevzeti"]) == (2024, 3)
    assert (rows["3.3"]["prevzato_z_roku"], rows["3.3"]["pocet_prevzeti"]) == (2026, 1)
    assert "prevzato_z_roku" not in rows["1"] and "pocet_prevzeti" not in rows["1.1"]  # headings are structure


def test_result_counts(rolled):
    assert (rolled.carried, rolled.dropped, rolled.headings, rolled.projects) == (4, 4, 3, 1)
    assert (rolled.from_year, rolled.to_year) == (2026, 2027)


def test_rollover_validates_as_an_empty_status_plan(rolled):
    (res,) = validate_paths([rolled.path])
    assert res.kind == "plan" and res.version == get_template("plan").version
    assert not res.errors, [i.message() for i in res.errors]
    assert res.ident["rok"] == 2027
    assert res.ident["datum_vyplneni"] == DAY
    assert res.ident["nazev"] == PLAN_IDENT["nazev"] and res.ident["kod_obce"] == PLAN_IDENT["kod_obce"]
    assert res.ident["nazev_planu"] == PLAN_IDENT["nazev_planu"]
    assert res.ident["obdobi"] == "2027"  # 2025/2026 does not cover 2027
    assert res.ident["schvalil"] is None
    frame = res.frames["plan"]
    assert list(frame["cislo"]) == ["1", "1.1", "1.1.1", "1.1.3", "3", "3.1", "3.3"]
    assert frame["stav"].isna().all() and frame["dosazena_hodnota"].isna().all()
    assert int(frame.loc[frame["cislo"] == "1.1.3", "pocet_prevzeti"].iloc[0]) == 3
    projects = res.frames["projekty"]
    assert list(projects["projekt"]) == [PROJECTS[0]["projekt"]]  # the finished one is dropped
    assert projects["stav"].iloc[0] == "probiha"


def test_rollover_keeps_the_template_intact(rolled, tmp_path):
    blank = build_template("plan", tmp_path / "blank.xlsx", year=2027)
    a, b = openpyxl.load_workbook(blank), openpyxl.load_workbook(rolled.path)
    assert a.sheetnames == b.sheetnames
    for name in a.sheetnames:
        wa, wb = a[name], b[name]
        assert wa.sheet_state == wb.sheet_state
        assert [(str(d.sqref), d.type, d.formula1) for d in wa.data_validations.dataValidation if d.type != "list"] == [
            (str(d.sqref), d.type, d.formula1) for d in wb.data_validations.dataValidation if d.type != "list"
        ]
        assert len(wa.data_validations.dataValidation) == len(wb.data_validations.dataValidation)
        assert {t.name: t.ref for t in wa.tables.values()} == {t.name: t.ref for t in wb.tables.values()}
    meta = {r[0].value: r[1].value for r in b["_xlkpss"].iter_rows()}
    assert meta["kind"] == "plan" and meta["year"] == "2027"


def test_rollover_twice_counts_again(rolled, tmp_path):
    """Fill the new plan's statuses, evaluate, roll over again: the count goes on."""
    wb = openpyxl.load_workbook(rolled.path)
    sheet = get_template("plan").sheet("plan")
    ws = wb[sheet.name]
    keys = [f.key for f in sheet.fields]
    for r in range(2, ws.max_row + 1):
        number = ws.cell(r, keys.index("cislo") + 1).value
        if number in ("1.1.1", "3.1"):
            ws.cell(r, keys.index("stav") + 1, "splněno")
            ws.cell(r, keys.index("dosazena_hodnota") + 1, 12)
        elif number == "1.1.3":
            ws.cell(r, keys.index("stav") + 1, "nesplněno")
    evaluated = tmp_path / "plan_2027_vyhodnoceny.xlsx"
    wb.save(evaluated)
    (p,) = load_plans([evaluated])
    rows = _by_number(next_plan_rows(p, 2028))
    assert list(rows) == ["1", "1.1", "1.1.3", "3", "3.3"]
    assert (rows["1.1.3"]["prevzato_z_roku"], rows["1.1.3"]["pocet_prevzeti"]) == (2024, 4)
    assert (rows["3.3"]["prevzato_z_roku"], rows["3.3"]["pocet_prevzeti"]) == (2026, 2)


def test_same_inputs_same_bytes(plan, tmp_path):
    a = write_rollover(plan, tmp_path / "a.xlsx", to_year=2027, today=DAY).path
    b = write_rollover(plan, tmp_path / "b.xlsx", to_year=2027, today=DAY).path
    assert a.read_bytes() == b.read_bytes()


def test_target_year_must_be_later(plan, tmp_path):
    with pytest.raises(RolloverError):
        write_rollover(plan, tmp_path / "x.xlsx", to_year=2026, today=DAY)


def test_never_overwrites_the_input(plan, source):
    from xlkpss.fsutil import OutputError

    before = source.read_bytes()
    with pytest.raises(OutputError):
        write_rollover(plan, source, to_year=2027, today=DAY)
    assert source.read_bytes() == before


# --- CLI ---------------------------------------------------------------------------------------


def test_cli_rollover(source, tmp_path):
    out = tmp_path / "plan_2027.xlsx"
    res = CliRunner().invoke(
        main, ["rollover", str(source), "--to-year", "2027", "-o", str(out), "--date", "15.12.2026"]
    )
    assert res.exit_code == 0, res.output
    assert "Plán na rok 2027 uložen" in res.output and "převzaté aktivity: 4" in res.output
    (checked,) = validate_paths([out])
    assert checked.valid and checked.ident["datum_vyplneni"] == DAY


def test_cli_default_year_is_next(source, tmp_path):
    out = tmp_path / "next.xlsx"
    res = CliRunner().invoke(main, ["rollover", str(source), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "Plán na rok 2027" in res.output


def test_cli_rejects_earlier_year_and_same_file(source, tmp_path):
    res = CliRunner().invoke(main, ["rollover", str(source), "--to-year", "2025", "-o", str(tmp_path / "x.xlsx")])
    assert res.exit_code == 2 and "pozdější" in res.output
    res = CliRunner().invoke(main, ["rollover", str(source), "--to-year", "2027", "-o", str(source)])
    assert res.exit_code == 1 and "přepsal vstupní soubor" in res.output


def test_cli_refuses_errors_unless_forced(tmp_path):
    rows = [dict(r) for r in ROWS]
    rows[3]["cislo"] = "1.1.1"  # duplicate number
    # … and an activity whose priority 9 does not exist
    rows.append({"cislo": "9.9", "uroven": "aktivita", "nazev": "bez priority"})
    bad = make_plan(tmp_path / "chybny.xlsx", rows)
    out = tmp_path / "next.xlsx"
    res = CliRunner().invoke(main, ["rollover", str(bad), "--to-year", "2027", "-o", str(out)])
    assert res.exit_code == 1
    assert "chybny.xlsx: obsahuje 2 chyby" in res.output
    assert "se opakuje" in res.output and "nemá nadřazenou položku 9" in res.output
    assert "--force" in res.output and not out.exists()
    res = CliRunner().invoke(main, ["rollover", str(bad), "--to-year", "2027", "-o", str(out), "--force"])
    assert res.exit_code == 0, res.output
    assert "Pozor: chybny.xlsx obsahuje chyby (2)" in res.output
    assert out.is_file()


def test_cli_help():
    res = CliRunner().invoke(main, ["rollover", "--help"])
    assert res.exit_code == 0 and "--to-year" in res.output and "--force" in res.output


def test_chomutov_sample_rolls_over_cleanly(tmp_path):
    sample = Path(__file__).resolve().parents[1] / "samples" / "orp_4203_chomutov" / "plan_chomutov_2026.xlsx"
    if not sample.is_file():
        pytest.skip("samples/ not generated yet (scripts/make_samples.py)")
    (p,) = load_plans([sample])
    res = write_rollover(p, tmp_path / "plan_2027.xlsx", to_year=2027, today=DAY)
    assert res.carried > 0 and res.dropped > 0
    (checked,) = validate_paths([res.path])
    assert not checked.errors, [i.message() for i in checked.errors]
    assert checked.frames["plan"]["stav"].isna().all()
