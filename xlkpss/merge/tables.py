"""The computed sheets of a consolidated workbook, derived from its record sheets.

Everything here is computed from ``services`` (Služby: one row per counted service),
``activities`` (Aktivity), ``submissions`` and the merge's ``meta`` — never from the
per-file data — so an ORP merge, a regional merge of ORP workbooks and a national merge
of regional workbooks run the same code, and the totals the workbook's formulas
recompute (``xlkpss.merge.formulas``) are these numbers.

Split by territory: an ORP into its obce, a kraj into its ORP, the Czech Republic into
its 14 kraje (Kapacity, Financování, Cílové skupiny, the territory rows of Meziroční
změny).  Chybějící služby is always per ORP — the level at which a missing service type
is a gap people feel — so a national workbook lists the gaps of every ORP of the
country, grouped by kraj (a kraj without a regional workbook gets one line instead).

Capacity is never added across capacity types (beds are not clients): every capacity
figure is split by *typ kapacity*.

This module computes the service sheets (Kapacity, Financování, Cílové skupiny, Chybějící
služby) and ``derive`` fills them all; the others have modules of their own: ``scopes``
(the territories a sheet is split by), ``plansheets`` (Aktivity, Plnění plánu, Pokračuje),
``yearchanges`` (Meziroční změny), ``overview`` (Přehled).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from xlkpss.codelists import Territory, codelist
from xlkpss.merge.clean import frame_records, sheet_frame
from xlkpss.merge.model import LEVEL_WORDS, SHEETS, Consolidated
from xlkpss.merge.overview import SHEET_DESCRIPTIONS, overview_rows
from xlkpss.merge.plansheets import annotate_activities, carryover, plan_summary
from xlkpss.merge.rules import core_service_codes
from xlkpss.merge.scopes import (
    TOTAL_LABEL,
    UNIT_LEVEL,
    clean_num,
    code_of,
    criteria_column,
    list_order,
    scope_units,
    territory_scopes,
    to_float,
)
from xlkpss.merge.status import ACCEPTED
from xlkpss.merge.yearchanges import year_changes
from xlkpss.spec import get_template

# TOTAL_LABEL, criteria_column, scope_units (merge.scopes), annotate_activities
# (merge.plansheets) and SHEET_DESCRIPTIONS (merge.overview) stay importable from here
__all__ = ["SHEET_DESCRIPTIONS", "TOTAL_LABEL", "annotate_activities", "criteria_column", "derive", "scope_units"]


def _by_territory(items: Iterable[Any], col: str, row=lambda item: item) -> dict[str, list[Any]]:
    """Items grouped by the territory code in column ``col`` of their service row, in order."""
    out: dict[str, list[Any]] = defaultdict(list)
    for item in items:
        out[str(row(item).get(col) or "")].append(item)
    return out


def _capacities(services: list[dict[str, Any]], level: str, territory: Territory) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    scopes = territory_scopes(level, territory)
    grouped = {col: _by_territory(services, col) for col in {scope[4] for scope in scopes}}
    for word, code, name, pop, col in scopes:
        agg: dict[tuple, list[float]] = {}
        for s in grouped[col].get(code, ()):
            key = (s.get("druh"), s.get("forma"), s.get("typ_kapacity"))
            if None in key:
                continue
            cell = agg.setdefault(key, [0, 0.0])
            cell[0] += 1
            cell[1] += to_float(s.get("kapacita"))
        for druh, forma, typ in sorted(
            agg, key=lambda k: (list_order("druhy_sluzeb", k[0]), list_order("formy", k[1]), list_order("typy_kapacity", k[2]))
        ):
            n, cap = agg[(druh, forma, typ)]
            rows.append(
                {
                    "territory_level": word,
                    "territory_code": code,
                    "territory_name": name,
                    "druh": druh,
                    "forma": forma,
                    "typ_kapacity": typ,
                    "services": n,
                    "capacity": clean_num(cap),
                    "population": pop,
                    "per_1000": cap / pop * 1000 if pop else None,
                }
            )
    return rows


def _funding(services: list[dict[str, Any]], level: str, territory: Territory) -> list[dict[str, Any]]:
    sources = [f.key for f in get_template("sluzby").sheet("sluzby").fields if f.funding]
    keys = ("naklady", *sources)
    # each service with its costs and sources as numbers, read once for all scopes
    amounts = [(s, [to_float(s.get(k)) for k in keys]) for s in services]
    scopes = territory_scopes(level, territory)
    grouped = {col: _by_territory(amounts, col, row=lambda pair: pair[0]) for col in {scope[4] for scope in scopes}}
    rows: list[dict[str, Any]] = []
    for word, code, name, _pop, col in scopes:
        mine = grouped[col].get(code)
        if not mine:
            continue
        by_druh: dict[Any, list[list[float]]] = defaultdict(list)
        for s, values in mine:
            if s.get("druh") is not None:
                by_druh[s.get("druh")].append(values)
        groups = [(d, by_druh[d]) for d in sorted(by_druh, key=lambda d: list_order("druhy_sluzeb", d))] + [
            (TOTAL_LABEL, [values for _s, values in mine])
        ]
        total_costs = sum(values[0] for _s, values in mine)
        for druh, group in groups:
            # column sums in service order (the order sum() over the services adds them in)
            costs, *by_source = (sum(column) for column in zip(*group))
            sums = dict(zip(sources, by_source))
            row = {
                "territory_level": word,
                "territory_code": code,
                "territory_name": name,
                "druh": druh,
                "services": len(group),
                "naklady": clean_num(costs),
                **{k: clean_num(v) for k, v in sums.items()},
                "funding_total": clean_num(sum(sums.values())),
                "share": 100.0 * costs / total_costs if total_costs > 0 else None,
            }
            for k in sources:
                row[f"share_{k}"] = 100.0 * sums[k] / costs if costs > 0 else None
            rows.append(row)
    return rows


def _coverage(
    services: list[dict[str, Any]], level: str, territory: Territory
) -> tuple[list[dict[str, Any]], list[str]]:
    units = scope_units(level, territory)
    col = criteria_column(LEVEL_WORDS[UNIT_LEVEL[level]])
    group_keys = [f.key for f in get_template("sluzby").sheet("sluzby").group("cilova_skupina")]
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for s in services:
        unit = str(s.get(col) or "")
        groups = {g for g in (code_of("cilove_skupiny", s.get(k)) for k in group_keys) if g is not None}
        for g in groups:
            counts[(g, unit)] += 1
    names = [name for _code_, name, _pop in units]
    rows = []
    for item in codelist("cilove_skupiny"):
        row: dict[str, Any] = {"target_group": item.label}
        total = 0
        for code, name, _pop in units:
            n = counts.get((item.code, code), 0)
            row[name] = n
            total += n
        row["total"] = total
        rows.append(row)
    return rows, ["target_group", *names, "total"]


_NO_DATA = {
    "ORP": "ORP nedodalo údaje – chybění služeb nelze posoudit",
    "kraj": "kraj nedodal souhrn – chybění služeb v jeho ORP nelze posoudit",
}


def _gaps(
    services: list[dict[str, Any]],
    level: str,
    territory: Territory,
    core: list[str],
    submissions: list[dict[str, Any]],
    delivered_orp: Iterable[str] = (),
) -> list[dict[str, Any]]:
    """Service types missing per ORP (the whole ORP; each ORP of a kraj; each ORP of the
    country, grouped by kraj).  An ORP (kraj) without accepted data gets one line saying
    so instead: no data is no evidence of a gap (one line instead of 34 false alarms).
    ``delivered_orp`` (national merge): ORP with an accepted workbook in the regional ones."""
    delivered = {
        str(r.get("territory_code")) for r in submissions if r.get("expected") == "ano" and r.get("status") in ACCEPTED
    }
    # (territory_level word, code, name, population, has data)
    scopes: list[tuple[str, str, str, int | None, bool]]
    if level == "orp":
        scopes = [("ORP", territory.code, territory.name, territory.population, True)]
    elif level == "kraj":
        scopes = [("ORP", c, n, p, c in delivered) for c, n, p in scope_units(level, territory)]
    else:
        with_data = set(delivered_orp)
        scopes = []
        for kc, kn, kp in scope_units(level, territory):
            if kc not in delivered:
                scopes.append(("kraj", kc, kn, kp, False))
                continue
            kraj = Territory("kraj", kc, kn)
            scopes += [("ORP", c, n, p, c in with_data) for c, n, p in scope_units("kraj", kraj)]
    present: dict[str, set[str | None]] = defaultdict(set)
    for s in services:
        present[str(s.get("kod_orp") or "")].add(code_of("druhy_sluzeb", s.get("druh")))
    rows = []
    druhy = codelist("druhy_sluzeb")
    for word, code, name, pop, has_data in scopes:
        if not has_data:
            rows.append(
                {
                    "territory_level": word,
                    "territory_code": code,
                    "territory_name": name,
                    "druh": None,
                    "kategorie": None,
                    "core": None,
                    "population": pop,
                    "note": _NO_DATA[word],
                }
            )
            continue
        # „související služba“ is no legal type: its absence is no gap
        missing = [i for i in druhy if i.code not in present.get(code, set()) and not i.extra.get("related")]
        missing.sort(key=lambda i: (i.code not in core, druhy.position(i.code)))
        for item in missing:
            rows.append(
                {
                    "territory_level": word,
                    "territory_code": code,
                    "territory_name": name,
                    "druh": item.display,
                    "kategorie": item.extra.get("kategorie") or None,
                    "core": "ano" if item.code in core else "ne",
                    "population": pop,
                    "note": None,
                }
            )
    return rows


def derive(
    c: Consolidated,
    *,
    territory: Territory,
    level: str,
    core: Iterable[str] | None,
    previous: Consolidated | None,
    threshold: float,
    records: Mapping[str, list[dict[str, Any]]] | None = None,
) -> None:
    """Fill every computed sheet of ``c`` from its record sheets.  ``records``: the rows of
    (some of) the sheets services, activities and submissions as ``sheet_table`` gave them
    with their frames — then those frames are not read back."""
    core_list = list(core) if core is not None else core_service_codes()
    given = records or {}

    def rows_of(key: str) -> list[dict[str, Any]]:
        # the record sheets, as merge_results has just built them with sheet_frame (clean values)
        return given[key] if key in given else frame_records(c.table(key), clean=False)

    services = rows_of("services")
    activities = rows_of("activities")
    submissions = rows_of("submissions")
    plan_rows = plan_summary(activities)
    carry = carryover(activities)
    gaps = _gaps(services, level, territory, core_list, submissions, c.meta.get("delivered_orp_codes") or ())
    coverage_rows, coverage_cols = _coverage(services, level, territory)
    changes = year_changes(services, previous, level, territory, threshold) if previous is not None else None
    c.tables["capacities"] = sheet_frame("capacities", _capacities(services, level, territory))
    c.tables["coverage"] = sheet_frame("coverage", coverage_rows, coverage_cols)
    c.tables["gaps"] = sheet_frame("gaps", gaps)
    c.tables["funding"] = sheet_frame("funding", _funding(services, level, territory))
    c.tables["plan_summary"] = sheet_frame("plan_summary", plan_rows)
    c.tables["carryover"] = sheet_frame("carryover", carry)
    c.tables["changes"] = sheet_frame("changes", changes or [])
    c.tables["overview"] = sheet_frame(
        "overview", overview_rows(c, services, submissions, level, territory, gaps, plan_rows, carry, changes)
    )
    # workbook order
    c.tables = {k: c.tables[k] for k in SHEETS if k in c.tables}
    c.meta["core_missing"] = sum(1 for g in gaps if g.get("core") == "ano" and not g.get("note"))
