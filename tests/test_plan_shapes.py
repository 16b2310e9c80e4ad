"""The three plan shapes of the seeds (``../shared/DOMAIN.md``), keyed into plan templates
as a clerk would (``samples/``, written by ``scripts/make_samples.py``):

* Chomutov, seed 004: priorita → opatření → aktivita;
* Zlín, seed 001: oblast (pracovní skupina) → cíl → opatření;
* MOS ORP Chomutov, seed 000: cíl → cíl → opatření.

Each validates without a problem, prints in ``xlkpss fulfilment`` with figures equal to an
independent count of the leaves read from the workbook, and rolls over to a plan that
validates again.  The level rule: the top is an area, a priority or a goal; a child is
of a lower level than its parent, only goals nest."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from support import make_submission

from xlkpss.cli import main
from xlkpss.plan import load_plans
from xlkpss.spec import get_template
from xlkpss.validate.engine import validate_paths

ROOT = Path(__file__).resolve().parent.parent
PLANS = {
    "chomutov": ROOT / "samples" / "orp_4203_chomutov" / "plan_chomutov_2026.xlsx",
    "zlin": ROOT / "samples" / "plany" / "plan_zlin_2026.xlsx",
    "mos": ROOT / "samples" / "plany" / "plan_mos_orp_chomutov_2026.xlsx",
}
TOP_LEVEL = {"chomutov": "priorita", "zlin": "oblast (pracovní skupina)", "mos": "cíl"}
TOP_HEADING = {
    "chomutov": "Priorita č. 1: Cílené vytváření finančních prostředků pro udržení a rozvoj sociálních služeb",
    "zlin": "Děti, mládež, rodina",
    "mos": "Cíl 1: Zvýšení nabídky služeb pro potřebné",
}


def _rows(path: Path) -> list[dict]:
    """The plan sheet as typed, by label (independent of the validator)."""
    spec = get_template("plan").sheet("plan")
    ws = openpyxl.load_workbook(path, data_only=True)[spec.name]
    rows = list(ws.iter_rows(values_only=True))
    keys = [spec.fields[[f.label for f in spec.fields].index(h)].key if h in spec.labels else None for h in rows[0]]
    return [dict(zip(keys, r)) for r in rows[1:] if any(v not in (None, "") for v in r)]


def _leaves(rows: list[dict]) -> list[dict]:
    numbers = [str(r["cislo"]) for r in rows]
    return [r for r in rows if not any(n.startswith(str(r["cislo"]) + ".") for n in numbers) and "." in str(r["cislo"])]


@pytest.mark.parametrize("name", list(PLANS))
def test_sample_plan_validates_without_problems(name):
    [res] = validate_paths([PLANS[name]], workers=1)
    assert res.issues == [], [i.message("cs") for i in res.issues]
    rows = _rows(PLANS[name])
    assert {r["uroven"] for r in rows if "." not in str(r["cislo"])} == {TOP_LEVEL[name]}


def test_the_three_shapes_differ():
    shapes = {name: tuple(sorted({(len(str(r["cislo"]).split(".")), r["uroven"]) for r in _rows(p)})) for name, p in PLANS.items()}
    assert shapes["chomutov"] == ((1, "priorita"), (2, "opatření"), (3, "aktivita"))
    assert shapes["zlin"] == ((1, "oblast (pracovní skupina)"), (2, "cíl"), (3, "opatření"))
    assert shapes["mos"] == ((1, "cíl"), (2, "cíl"), (3, "opatření"))


@pytest.mark.parametrize("name", list(PLANS))
def test_fulfilment_counts_the_leaves(name):
    rows = _rows(PLANS[name])
    leaves = _leaves(rows)
    by_status = Counter(r["stav"] for r in leaves)
    (plan,) = load_plans([PLANS[name]])
    stats = plan.stats()
    assert stats.activities == len(leaves)
    assert stats.done == by_status["splněno"]
    assert stats.not_done == by_status["nesplněno"]
    assert stats.partial == by_status["částečně splněno"]
    assert stats.pct_done == round(100 * by_status["splněno"] / sum(v for k, v in by_status.items() if k), 1)
    tops = plan.stats_by_priority()
    assert [p.number for p, _ in tops] == [str(r["cislo"]) for r in rows if "." not in str(r["cislo"])]
    for top, st in tops:
        assert st.activities == sum(1 for r in leaves if str(r["cislo"]).split(".")[0] == top.number)


def test_fulfilment_cli_prints_all_three(tmp_path):
    out = tmp_path / "plneni.xlsx"
    res = CliRunner().invoke(main, ["fulfilment", *map(str, PLANS.values()), "-o", str(out), "--html", str(tmp_path / "p.html")])
    assert res.exit_code == 0, res.output
    wb = openpyxl.load_workbook(out)
    summary = [[c for c in r if c is not None] for r in wb["Souhrn"].iter_rows(values_only=True)]
    firsts = [r[0] for r in summary if r]
    for name in PLANS:
        assert TOP_HEADING[name] in firsts
    html = (tmp_path / "p.html").read_text(encoding="utf-8")
    assert "Cíl 1: Zvýšení nabídky služeb pro potřebné" in html and "Děti, mládež, rodina" in html


@pytest.mark.parametrize("name", list(PLANS))
def test_rollover_keeps_the_shape_and_validates(name, tmp_path):
    out = tmp_path / f"{name}_2027.xlsx"
    res = CliRunner().invoke(main, ["rollover", str(PLANS[name]), "--to-year", "2027", "-o", str(out), "--date", "1.10.2026"])
    assert res.exit_code == 0, res.output
    [v] = validate_paths([out], workers=1, expected_year=2027)
    assert not [i for i in v.issues if i.severity == "error"], [i.message("cs") for i in v.issues]
    rows = _rows(PLANS[name])
    carried = {
        str(r["cislo"])
        for r in _leaves(rows)
        if r["stav"] != "zrušeno" and (r["pokracuje"] == "ano" or (r["pokracuje"] != "ne" and r["stav"] != "splněno"))
    }
    new = _rows(out)
    new_leaves = {str(r["cislo"]) for r in _leaves(new)}
    assert new_leaves == carried
    levels = {str(r["cislo"]): r["uroven"] for r in rows}
    assert all(levels[str(r["cislo"])] == r["uroven"] for r in new)


# --- the level rule on small plans -------------------------------------------------------------


def _plan(tmp_path: Path, levels: list[tuple[str, str]]) -> list[tuple[str, str]]:
    rows = [{"cislo": n, "uroven": lv, "nazev": f"položka {n}"} for n, lv in levels]
    [res] = validate_paths([make_submission(tmp_path / "p.xlsx", "plan", rows)], workers=1)
    return sorted((i.code, i.value) for i in res.issues if i.severity == "error")


@pytest.mark.parametrize(
    "levels",
    [
        [("1", "priorita"), ("1.1", "opatření"), ("1.1.1", "aktivita")],
        [("1", "oblast (pracovní skupina)"), ("1.1", "cíl"), ("1.1.1", "opatření")],
        [("1", "cíl"), ("1.1", "cíl"), ("1.1.1", "cíl"), ("1.1.1.1", "opatření")],
        [("1", "oblast"), ("1.1", "priorita"), ("1.1.1", "cíl"), ("1.1.1.1", "aktivita")],
        [("1", "pracovní skupina"), ("1.1", "dílčí cíl")],  # other spellings a clerk types
        [("1", "hlavní cíl"), ("1.1", "specifický cíl"), ("1.1.1", "opatření")],
        [("1", "priorita"), ("1.1", "aktivita")],  # a level may be skipped
    ],
)
def test_allowed_shapes(tmp_path, levels):
    assert _plan(tmp_path, levels) == []


@pytest.mark.parametrize(
    ("levels", "wrong"),
    [
        ([("1", "priorita"), ("1.1", "priorita")], "priorita"),
        ([("1", "aktivita")], "aktivita"),
        ([("1", "opatření"), ("1.1", "aktivita")], "opatření"),
        ([("1", "priorita"), ("1.1", "oblast")], "oblast (pracovní skupina)"),
        ([("1", "cíl"), ("1.1", "priorita")], "priorita"),
        ([("1", "priorita"), ("1.1", "opatření"), ("1.1.1", "cíl")], "cíl"),
        ([("1", "priorita"), ("1.1", "aktivita"), ("1.1.1", "aktivita")], "aktivita"),
    ],
)
def test_child_never_above_parent(tmp_path, levels, wrong):
    assert _plan(tmp_path, levels) == [("plan-level-depth", wrong)]


def test_level_message_says_what_may_stand_there(tmp_path):
    rows = [{"cislo": "1", "uroven": "cíl", "nazev": "a"}, {"cislo": "1.1", "uroven": "priorita", "nazev": "b"}]
    [res] = validate_paths([make_submission(tmp_path / "p.xlsx", "plan", rows)], workers=1)
    (issue,) = res.issues
    assert "pod položkou 1 (cíl), pod kterou může být jen cíl, opatření nebo aktivita" in issue.message("cs")
