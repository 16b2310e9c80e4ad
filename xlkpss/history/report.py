"""The trends page (``xlkpss history report``): how the services changed over the years.

Built from the history store (``xlkpss.history.store``) with SQL, rendered with the
summary's template machinery (same CSS, same chart and table macros): capacity by type
and form, cost per capacity unit, funding structure, plan fulfilment, completeness and
target groups, per year and territory (ORP or kraj).  Every chart has its numbers in a
table next to it.

Which rows count: a territory's year may be in the store several times — an ORP in its
own ORP workbook and again inside the regional workbook.  For each year and territory
the page takes the rows of ONE level, the nearest one: for ORP trends the ORP workbook,
else the regional, else the national one; for kraj trends the regional workbook, else the
national, else the ORP workbooks of the kraj that are stored (then marked as partial).
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
from dataclasses import dataclass
from pathlib import Path

from xlkpss import __version__
from xlkpss.codelists import codelist
from xlkpss.fsutil import atomic_path
from xlkpss.history.store import HistoryError, connect
from xlkpss.merge.model import column_label
from xlkpss.render.charts import PALETTE, Chart, Series, bar_chart, stacked_bar_chart
from xlkpss.render.html import DASH, fmt_money, fmt_number, fmt_pct, render_template
from xlkpss.render.summary import Table
from xlkpss.spec import load_spec

__all__ = ["BY", "TrendTable", "Trends", "build_trends", "render_trends", "trends_html"]

#: unit of the trends -> (code column, name column, level preference)
BY: dict[str, tuple[str, str, dict[str, int]]] = {
    "orp": ("kod_orp", "nazev_orp", {"orp": 1, "kraj": 2, "stat": 3}),
    "kraj": ("kod_kraje", "nazev_kraje", {"kraj": 1, "stat": 2, "orp": 3}),
}
_BY_WORD = {"orp": "ORP", "kraj": "kraje"}


class TrendTable(Table):
    """A summary table (``_macros.html.j2`` → ``data_table``) whose first column is the
    label and the others are numbers unless told otherwise."""

    def __post_init__(self):
        if not self.numeric:
            self.numeric = [False] + [True] * (len(self.headers) - 1)
        super().__post_init__()


@dataclass
class Trends:
    by: str
    title: str
    generated: str
    years: list[int]
    units: list[tuple[str, str]]
    sources: TrendTable
    overview: TrendTable
    capacity_charts: list[Chart]
    capacity: TrendTable
    unit_cost_chart: Chart
    unit_cost: TrendTable
    funding_chart: Chart
    funding: TrendTable
    plan_chart: Chart
    plan: TrendTable
    completeness_chart: Chart
    completeness: TrendTable
    groups: TrendTable
    groups_lost: list[str]
    partial: list[str]


def _chosen(tbl: str, by: str) -> str:
    """SQL of ``tbl``'s rows that count for the trends by ``by`` (one level per year and unit)."""
    code, name, pref = BY[by]
    case = "CASE workbook_level " + " ".join(f"WHEN '{k}' THEN {v}" for k, v in pref.items()) + " ELSE 9 END"
    return (
        f"(SELECT * EXCLUDE (pref, best) FROM (SELECT t.*, {code} AS unit_code, {name} AS unit_name, {case} AS pref, "
        f"min({case}) OVER (PARTITION BY year, {code}) AS best FROM \"{tbl}\" t WHERE {code} IS NOT NULL) "
        f"WHERE pref = best)"
    )


def _pct_change(first: float | None, last: float | None) -> str:
    if not first or last is None:
        return DASH
    change = 100 * (last - first) / first
    sign = "+" if change > 0 else ("\u2212" if change < 0 else "")
    return f"{sign}{fmt_pct(abs(change))}"


def _label(sheet: str, key: str) -> str:
    return column_label(sheet, key)


def _unit_label(by: str, name: str) -> str:
    return f"ORP {name}" if by == "orp" else name


def build_trends(db_path: str | os.PathLike, *, by: str = "orp", territory: str | None = None,
                 generated: str | None = None) -> Trends:
    """The trends of the store at ``db_path``.  ``territory``: only this ORP / kraj (code
    or name).  Raises ``HistoryError`` when the store is missing or holds nothing."""
    if by not in BY:
        raise ValueError(by)
    con = connect(db_path, read_only=True)
    try:
        return _build(con, by, territory, generated or dt.date.today().isoformat())
    finally:
        con.close()


def _build(con, by: str, territory: str | None, generated: str) -> Trends:
    services = _chosen("services", by)
    cond = ""
    if territory:
        lit = territory.strip().replace("'", "''")
        cond = f"WHERE (unit_code = '{lit}' OR lower(unit_name) = lower('{lit}'))"
    con.execute(f"CREATE OR REPLACE TEMP VIEW s AS SELECT * FROM {services} {cond}")
    con.execute(f"CREATE OR REPLACE TEMP VIEW a AS SELECT * FROM {_chosen('activities', by)} {cond}")
    n = con.execute("SELECT count(*) FROM s").fetchone()[0]
    if n == 0:
        stored = con.execute("SELECT count(*) FROM workbooks").fetchone()[0]
        if not stored:
            raise HistoryError("databáze historie je prázdná (nejdřív: xlkpss history add souhrn_*.xlsx)")
        raise HistoryError(f"v historii nejsou žádné služby území „{territory}“" if territory else
                           "v historii nejsou žádné služby")
    years = [r[0] for r in con.execute("SELECT DISTINCT year FROM s ORDER BY year").fetchall()]
    units = [
        (r[0], r[1])
        for r in con.execute("SELECT unit_code, any_value(unit_name) FROM s GROUP BY unit_code").fetchall()
    ]
    from xlkpss.codelists import normalize_key

    units.sort(key=lambda u: normalize_key(u[1] or u[0]))
    unit_name = dict(units)
    multi = len(units) > 1

    def unit_year(code: str, year: int) -> str:
        return f"{_unit_label(by, unit_name[code])}, {year}" if multi else str(year)

    # which workbooks the rows came from
    src_rows = con.execute(
        "SELECT s.year, s.unit_code, s.workbook_level, w.file, w.generated, count(*) FROM s "
        "JOIN workbooks w USING (year, workbook_level, workbook_territory) GROUP BY ALL ORDER BY 1, 2, 4"
    ).fetchall()
    level_word = {"orp": "souhrn ORP", "kraj": "souhrn kraje", "stat": "souhrn za Českou republiku"}
    partial = sorted({
        f"{_unit_label(by, unit_name[u])}, {y}" for y, u, lvl, *_ in src_rows if by == "kraj" and lvl == "orp"
    })
    sources = TrendTable(
        ["Rok", "Území", "Podklad", "Soubor", "Souhrn vytvořen", "Služeb"],
        [[str(y), _unit_label(by, unit_name[u]), level_word.get(lvl, lvl), f, g or DASH, fmt_number(k)]
         for y, u, lvl, f, g, k in sorted(src_rows, key=lambda r: (r[0], normalize_key(unit_name[r[1]] or "")))],
        numeric=[False, False, False, False, False, True],
        caption="Ze kterých souhrnů jsou údaje",
    )

    # capacity types present, in the code list's order
    spec = load_spec()
    cap_types = [item.display for item in codelist("typy_kapacity")]
    # beds first: the figure most people ask about
    cap_types.sort(key=lambda t: t != codelist("typy_kapacity").get("luzka").display)
    present = [r[0] for r in con.execute("SELECT DISTINCT typ_kapacity FROM s WHERE typ_kapacity IS NOT NULL").fetchall()]
    cap_types = [t for t in cap_types if t in present] + sorted(t for t in present if t not in cap_types)

    # --- overview per unit and year --------------------------------------------------
    cap = {(u, y, t): v for u, y, t, v in con.execute(
        "SELECT unit_code, year, typ_kapacity, sum(kapacita) FROM s GROUP BY ALL").fetchall()}
    base = {(u, y): (k, c) for u, y, k, c in con.execute(
        "SELECT unit_code, year, count(*), sum(naklady) FROM s GROUP BY ALL").fetchall()}
    completeness = _completeness(con, by, units, years)
    ov_rows = []
    for code, _ in units:
        for y in years:
            if (code, y) not in base:
                continue
            k, costs = base[(code, y)]
            ov_rows.append([
                _unit_label(by, unit_name[code]), str(y), fmt_number(k),
                *(fmt_number(cap.get((code, y, t))) if cap.get((code, y, t)) is not None else DASH for t in cap_types),
                fmt_money(costs) if costs is not None else DASH,
                completeness.get((code, y), (None, DASH))[1],
            ])
    overview = TrendTable(
        ["Území", "Rok", _label("capacities", "services"), *(f"{_label('capacities', 'capacity')} – {t}" for t in cap_types),
         _label("services", "naklady").replace(" (Kč)", ""), _label("submissions", "completeness").replace(" (%)", "")],
        ov_rows,
        numeric=[False, False] + [True] * (len(cap_types) + 3),
        caption="Služby, kapacita, náklady a úplnost podkladů podle roku",
    )

    # --- capacity charts: one per capacity type (types are never added) -----------------
    capacity_charts = []
    for i, t in enumerate(cap_types):
        cid = f"kapacita-{i + 1}"
        title = f"{_label('capacities', 'capacity')} – {t}"
        if multi and len(units) <= len(PALETTE):
            series = [Series(_unit_label(by, nm), PALETTE[j]) for j, (_, nm) in enumerate(units)]
            rows = [(str(y), [cap.get((code, y, t)) for code, _ in units]) for y in years]
            capacity_charts.append(stacked_bar_chart(cid, title, rows, series, label_header="Rok"))
        else:
            items = [(str(y), sum(cap.get((code, y, t)) or 0 for code, _ in units)) for y in years]
            capacity_charts.append(bar_chart(cid, title, items, label_header="Rok", value_header=t))

    # --- capacity by type, form and capacity type ------------------------------------------
    cap_rows = con.execute(
        "SELECT unit_code, druh, forma, typ_kapacity, year, sum(kapacita) FROM s "
        "WHERE kapacita IS NOT NULL GROUP BY ALL"
    ).fetchall()
    by_key: dict[tuple, dict[int, float]] = {}
    for u, druh, forma, typ, y, v in cap_rows:
        by_key.setdefault((u, druh or "", forma or "", typ or ""), {})[y] = v
    keys = sorted(by_key, key=lambda k: (normalize_key(unit_name[k[0]] or ""), normalize_key(k[1]), k[2], k[3]))
    capacity = TrendTable(
        (["Území"] if multi else []) + [_label("services", "druh"), _label("services", "forma"),
                                        _label("services", "typ_kapacity"), *map(str, years), "Změna"],
        [
            ([_unit_label(by, unit_name[k[0]])] if multi else [])
            + [k[1], k[2], k[3], *(fmt_number(by_key[k].get(y)) if y in by_key[k] else DASH for y in years),
               _pct_change(by_key[k].get(years[0]), by_key[k].get(years[-1]))]
            for k in keys
        ],
        numeric=([False] if multi else []) + [False, False, False] + [True] * (len(years) + 1),
        caption=f"Kapacita podle druhu služby, formy a typu kapacity (změna {years[0]}–{years[-1]})",
    )

    # --- cost per capacity unit ----------------------------------------------------------
    uc = con.execute(
        "SELECT druh, typ_kapacity, year, sum(naklady), sum(kapacita) FROM s "
        "WHERE naklady IS NOT NULL AND kapacita > 0 GROUP BY ALL"
    ).fetchall()
    uc_key: dict[tuple, dict[int, float]] = {}
    for druh, typ, y, costs, capy in uc:
        uc_key.setdefault((druh or "", typ or ""), {})[y] = costs / capy
    uc_keys = sorted(uc_key, key=lambda k: (normalize_key(k[0]), k[1]))
    unit_cost = TrendTable(
        [_label("services", "druh"), _label("services", "typ_kapacity"), *map(str, years), "Změna"],
        [[k[0], k[1], *(fmt_money(uc_key[k].get(y)) if y in uc_key[k] else DASH for y in years),
          _pct_change(uc_key[k].get(years[0]), uc_key[k].get(years[-1]))] for k in uc_keys],
        numeric=[False, False] + [True] * (len(years) + 1),
        caption="Náklady na jednotku kapacity (náklady ÷ kapacita služeb s oběma údaji), Kč za rok",
    )
    beds = codelist("typy_kapacity").get("luzka").display
    main_type = beds if beds in cap_types else (cap_types[0] if cap_types else "")
    per_type = {y: (c, k) for t, y, c, k in con.execute(
        "SELECT typ_kapacity, year, sum(naklady), sum(kapacita) FROM s WHERE naklady IS NOT NULL AND kapacita > 0 "
        "GROUP BY ALL").fetchall() if t == main_type}
    unit_cost_chart = bar_chart(
        "naklady-na-jednotku", f"Náklady na jednotku kapacity – {main_type}",
        [(str(y), per_type[y][0] / per_type[y][1] if y in per_type else None) for y in years],
        label_header="Rok", value_header=f"Kč na jednotku ({main_type})", fmt=fmt_money,
    )

    # --- funding structure -------------------------------------------------------------------
    sources_f = [f for f in spec.template("sluzby").sheet("sluzby").fields if f.funding]
    cols = ", ".join(f'sum("{f.key}")' for f in sources_f)
    fund = {(u, y): vals for u, y, *vals in con.execute(f"SELECT unit_code, year, {cols} FROM s GROUP BY ALL").fetchall()}
    series = [Series(f.label.replace(" (Kč)", ""), PALETTE[i % len(PALETTE)]) for i, f in enumerate(sources_f)]
    year_totals = {y: [sum((fund.get((u, y)) or [0] * len(sources_f))[i] or 0 for u, _ in units)
                       for i in range(len(sources_f))] for y in years}
    funding_chart = stacked_bar_chart("financovani", "Struktura zdrojů financování podle roku",
                                      [(str(y), year_totals[y]) for y in years], series, label_header="Rok", percent=True,
                                      fmt=fmt_money)
    f_rows = []
    for code, _ in units:
        for y in years:
            vals = fund.get((code, y))
            if vals is None:
                continue
            total = sum(v or 0 for v in vals)
            f_rows.append([_unit_label(by, unit_name[code]), str(y),
                           *(f"{fmt_pct(100 * (v or 0) / total)}" if total else DASH for v in vals), fmt_money(total)])
    funding = TrendTable(["Území", "Rok", *(s.label for s in series), "Zdroje celkem"], f_rows,
                         numeric=[False, False] + [True] * (len(series) + 1),
                         caption="Podíl zdrojů financování (%) podle území a roku")

    # --- plan fulfilment -----------------------------------------------------------------------
    done_word = next(label for code, label in spec.codelists["stavy_planu"]["items"] if code == "splneno")
    plan_rows = con.execute(
        "SELECT unit_code, year, count(*) FILTER (WHERE stav IS NOT NULL), "
        f"count(*) FILTER (WHERE stav = '{done_word}') FROM a WHERE evaluated = 'ano' GROUP BY ALL ORDER BY 2"
    ).fetchall()
    plan_rows.sort(key=lambda r: (normalize_key(unit_name.get(r[0], r[0]) or ""), r[1]))
    plan = TrendTable(
        ["Území", "Rok", "Hodnocených položek", "Splněno", "Splněno (%)"],
        [[_unit_label(by, unit_name.get(u, u)), str(y), fmt_number(k), fmt_number(d), fmt_pct(100 * d / k) if k else DASH]
         for u, y, k, d in plan_rows],
        caption="Plnění plánů: splněné položky z položek s vyplněným stavem",
    )
    plan_chart = bar_chart("plneni", "Splněno z hodnocených položek plánů (%)",
                           [(unit_year(u, y), 100 * d / k if k else None) for u, y, k, d in plan_rows if u in unit_name],
                           label_header="Území a rok" if multi else "Rok", value_header="Splněno (%)", fmt=fmt_pct,
                           colour=PALETTE[2])

    # --- completeness ----------------------------------------------------------------------------
    comp_items = [(code, y) for code, _ in units for y in years if (code, y) in completeness]
    completeness_table = TrendTable(
        ["Území", "Rok", "Odevzdali", "Očekáváno", "Úplnost"],
        [[_unit_label(by, unit_name[c]), str(y), *completeness[(c, y)][2:], completeness[(c, y)][1]] for c, y in comp_items],
        caption="Úplnost podkladů: předkladatelé s přijatým souborem z očekávaných",
    )
    completeness_chart = bar_chart("uplnost", "Úplnost podkladů (%)",
                                   [(unit_year(c, y), completeness[(c, y)][0]) for c, y in comp_items],
                                   label_header="Území a rok" if multi else "Rok", value_header="Úplnost (%)",
                                   fmt=fmt_pct, colour=PALETTE[4])

    # --- target groups ------------------------------------------------------------------------------
    group_cols = [f.key for f in spec.template("sluzby").sheet("sluzby").group("cilova_skupina")]
    union = " UNION ALL ".join(f'SELECT unit_code, year, "{k}" AS g FROM s' for k in group_cols)
    grp = {(g, y): k for g, y, k in con.execute(
        f"SELECT g, year, count(*) FROM ({union}) WHERE g IS NOT NULL GROUP BY ALL").fetchall()}
    grp_unit = {(u, g, y): k for u, g, y, k in con.execute(
        f"SELECT unit_code, g, year, count(*) FROM ({union}) WHERE g IS NOT NULL GROUP BY ALL").fetchall()}
    names = sorted({g for g, _ in grp}, key=normalize_key)
    g_rows, g_classes = [], []
    for g in names:
        counts = [grp.get((g, y), 0) for y in years]
        lost = any(b < a for a, b in itertools.pairwise(counts))
        g_rows.append([g, *map(fmt_number, counts), _pct_change(counts[0], counts[-1])])
        g_classes.append("flag" if lost else "")
    groups = TrendTable([_label("coverage", "target_group"), *map(str, years), "Změna"], g_rows,
                        row_classes=g_classes, caption="Počet služeb pro cílovou skupinu podle roku (služba může mít více skupin)")
    groups_lost = []
    for code, _ in units:
        for g in names:
            for y0, y1 in itertools.pairwise(years):
                a, b = grp_unit.get((code, g, y0), 0), grp_unit.get((code, g, y1), 0)
                if b < a and (code, y1) in base:
                    groups_lost.append(f"{_unit_label(by, unit_name[code])}: {g} – {y0} {fmt_number(a)}, "
                                       f"{y1} {fmt_number(b)} (služeb)")

    span = f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0])
    if len(units) == 1:
        place = _unit_label(by, units[0][1])
    else:
        place = f"{len(units)} {_BY_WORD[by]}" if by == "kraj" else f"{fmt_number(len(units))} ORP"
    return Trends(
        by=by,
        title=f"Vývoj sociálních služeb – {place}, {span}",
        generated=generated,
        years=years,
        units=units,
        sources=sources,
        overview=overview,
        capacity_charts=capacity_charts,
        capacity=capacity,
        unit_cost_chart=unit_cost_chart,
        unit_cost=unit_cost,
        funding_chart=funding_chart,
        funding=funding,
        plan_chart=plan_chart,
        plan=plan,
        completeness_chart=completeness_chart,
        completeness=completeness_table,
        groups=groups,
        groups_lost=groups_lost,
        partial=partial,
    )


def _completeness(con, by: str, units, years) -> dict[tuple[str, int], tuple[float | None, str, str, str]]:
    """(unit, year) -> (percent, text, delivered, expected) from the unit's own workbook
    (an ORP workbook for ORP trends, a regional one for kraj trends)."""
    level = {"orp": "orp", "kraj": "kraj"}[by]
    out = {}
    for code, y, comp, delivered, expected in con.execute(
        "SELECT workbook_territory, year, completeness, delivered, expected FROM workbooks WHERE workbook_level = ?",
        [level],
    ).fetchall():
        out[(code, y)] = (comp, fmt_pct(comp) if comp is not None else DASH,
                          fmt_number(delivered) if delivered is not None else DASH,
                          fmt_number(expected) if expected is not None else DASH)
    return out


def trends_html(t: Trends) -> str:
    return render_template("trends.html.j2", t=t, version=__version__,
                           labels={"year": load_spec().label("identifikace", "rok")})


def render_trends(t: Trends, out_path: str | os.PathLike, *, protect: set[Path] | None = None) -> Path:
    """Write the trends page atomically."""
    html = trends_html(t)
    with atomic_path(out_path, protect=protect) as tmp:
        tmp.write_text(html, encoding="utf-8", newline="\n")
    return Path(out_path)

