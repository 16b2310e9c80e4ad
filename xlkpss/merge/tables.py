"""The computed sheets of a consolidated workbook, derived from its record sheets.

Everything here is computed from ``services`` (Služby: one row per counted service),
``activities`` (Aktivity), ``submissions`` and the merge's ``meta`` — never from the
per-file data — so an ORP merge, a regional merge of ORP workbooks and a national merge
of regional workbooks run the same code, and the totals the workbook's formulas
recompute (``xlkpss.merge.workbook``) are these numbers.

Split by territory: an ORP into its obce, a kraj into its ORP, the Czech Republic into
its 14 kraje (Kapacity, Financování, Cílové skupiny, the territory rows of Meziroční
změny).  Chybějící služby is always per ORP — the level at which a missing service type
is a gap people feel — so a national workbook lists the gaps of every ORP of the
country, grouped by kraj (a kraj without a regional workbook gets one line instead).

Capacity is never added across capacity types (beds are not clients): every capacity
figure is split by *typ kapacity*.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from xlkpss.codelists import Territory, codelist, normalize_key, orps, regions
from xlkpss.collate import czech_key
from xlkpss.i18n import plural_cs
from xlkpss.merge.clean import clean_value, frame_records, sheet_frame
from xlkpss.merge.rules import core_service_codes
from xlkpss.merge.model import LEVEL_WORDS, OPTIONAL_SHEETS, SHEETS, STATE_COLUMN, STATUS_LABELS, Consolidated, column_label
from xlkpss.merge.resubmit import ROWS
from xlkpss.merge.status import ACCEPTED, STATUS_ORDER, status_counts, status_totals
from xlkpss.plan.tree import activity_continues, build_tree, number_key
from xlkpss.spec import get_template

__all__ = ["TOTAL_LABEL", "annotate_activities", "criteria_column", "derive", "scope_units"]

#: the druh cell of a total row (Financování)
TOTAL_LABEL = "Celkem"
#: territory_level values
#: territory_level word -> the Služby column holding the territory's code
_COLUMN_OF_LEVEL = {"obec": "kod_obce", "ORP": "kod_orp", "kraj": "kod_kraje", "stát": STATE_COLUMN}
#: merge level -> the level of the units it is split into
_UNIT_LEVEL = {"orp": "obec", "kraj": "orp", "stat": "kraj"}

#: what each sheet contains (Přehled lists it)
SHEET_DESCRIPTIONS = {
    "overview": "hlavní údaje a obsah sešitu",
    "submissions": "všichni očekávaní předkladatelé se stavem odevzdání a bilancí řádků (přečteno = sloučeno + vyřazeno)",
    "services": "všechny započtené služby s územím a původem (soubor, list, řádek, SHA-256)",
    "capacities": "kapacita podle druhu, formy a typu kapacity za území, na 1 000 obyvatel",
    "coverage": "počet služeb pro každou cílovou skupinu v každém území",
    "gaps": "druhy služeb, které v území chybějí; základní služby zvýrazněny",
    "funding": "náklady a zdroje financování podle druhu služby a území, podíly v %",
    "plan_summary": "plnění plánů podle priorit: počty podle stavu, % splnění, plánovaný a čerpaný rozpočet",
    "activities": "všechny položky plánů s původem",
    "carryover": "položky plánů, které pokračují v příštím roce",
    "projects": "plánované projekty s původem",
    "conflicts": "stejná služba hlášená více předkladateli s různými údaji, vedle sebe",
    "changes": "meziroční změny kapacity a nákladů (s volbou --previous)",
    "errors": "vyřazené řádky a odmítnuté soubory s důvodem",
    "corrections": "opakovaně odeslané soubory: každá změněná buňka, původní → nová hodnota",
}


def criteria_column(territory_level: str) -> str:
    """The Služby column that identifies a territory of the given level word."""
    return _COLUMN_OF_LEVEL[territory_level]


def scope_units(level: str, territory: Territory) -> list[tuple[str, str, int | None]]:
    """(code, name, population) of the units a territory is split into, sorted by name:
    the obce of an ORP, the ORP of a kraj, the kraje of the Czech Republic."""
    if level == "orp":
        units = [(m.code, m.name, m.population) for m in territory.municipalities]
    elif level == "kraj":
        units = [
            (o["kod_orp"], o["nazev_orp"], Territory("orp", o["kod_orp"], o["nazev_orp"]).population)
            for o in orps().values()
            if o["kod_kraje"] == territory.code
        ]
    else:
        units = [
            (k["kod_kraje"], k["nazev_kraje"], Territory("kraj", k["kod_kraje"], k["nazev_kraje"]).population)
            for k in regions().values()
        ]
    return sorted(units, key=lambda u: (czech_key(u[1]), u[0]))


def _order(listname: str, value: Any) -> int:
    position = codelist(listname).position(value)
    return 999 if position is None else position


def _code(listname: str, value: Any) -> str | None:
    if value is None:
        return None
    item = codelist(listname).resolve(value)
    return item.code if item is not None else None


def _n(value: Any) -> float:
    kind = type(value)
    if kind is int or (kind is float and not math.isnan(value)):  # the usual, clean number
        return float(value)
    value = clean_value(value)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0


def _clean_num(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


# ---------------------------------------------------------------------------
# Plan items
# ---------------------------------------------------------------------------


def _plan_groups(rows: list[dict[str, Any]]) -> dict[tuple, list[dict[str, Any]]]:
    groups: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[(str(r.get("src_sha256") or ""), str(r.get("src_file") or ""))].append(r)
    return groups


_TREE_TEXT = ("cislo", "nazev", "rozpocet", "cerpano", "popis")


def _tree(rows: list[dict[str, Any]]):
    """The plan tree of one file's rows (display values → codes for the tree rules)."""
    coded = []
    for r in rows:
        coded.append(
            {
                **{k: r[k] for k in _TREE_TEXT if k in r},
                "uroven": _code("urovne_planu", r.get("uroven")),
                "stav": _code("stavy_planu", r.get("stav")),
                "pokracuje": _code("ano_ne", r.get("pokracuje")),
                "_row": r.get("src_row"),
            }
        )
    tree = build_tree(coded)
    by_row = {r.get("src_row"): r for r in rows}
    return tree, by_row


def annotate_activities(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Set ``priority`` (number of the top item) and ``evaluated`` (ano = an activity
    that is evaluated, by the rules of ``xlkpss.plan.tree``) and sort in plan order."""
    out: list[dict[str, Any]] = []
    groups = _plan_groups(rows)
    ordered_keys = sorted(
        groups,
        key=lambda k: (
            czech_key(groups[k][0].get("nazev_orp") or ""),
            czech_key(groups[k][0].get("nazev_obce") or ""),
            czech_key(groups[k][0].get("submitter") or ""),
            k[1],
            k[0],
        ),
    )
    for key in ordered_keys:
        group = groups[key]
        if all(r.get("evaluated") in ("ano", "ne") for r in group):
            out.extend(group)  # from a consolidated workbook: annotated and in plan order already
            continue
        tree, by_row = _tree(group)
        placed: set[int] = set()
        for item in tree.items:
            rec = by_row.get(item.row)
            if rec is None:
                continue
            prio = item.priority
            rec["priority"] = prio.number if prio is not None else None
            rec["evaluated"] = "ano" if item.is_activity else "ne"
            out.append(rec)
            placed.add(id(rec))
        out.extend(r for r in group if id(r) not in placed)  # rows the tree did not place
    return out


def _plan_summary(activities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    statuses = [i.code for i in codelist("stavy_planu")]
    for items in _plan_groups(activities).values():
        first = items[0]
        by_prio: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
        names = {str(r.get("cislo")): r.get("nazev") for r in items if r.get("cislo")}
        for r in items:
            if r.get("evaluated") == "ano":
                by_prio[r.get("priority")].append(r)
        for prio in sorted(by_prio, key=lambda p: (p is None, number_key(p) if p else ())):
            acts = by_prio[prio]
            counts = {s: 0 for s in statuses}
            none = 0
            for a in acts:
                code = _code("stavy_planu", a.get("stav"))
                if code in counts:
                    counts[code] += 1
                else:
                    none += 1
            with_status = len(acts) - none
            planned = sum(_n(a.get("rozpocet")) for a in acts)
            spent = sum(_n(a.get("cerpano")) for a in acts)
            rows.append(
                {
                    "territory_code": first.get("kod_obce") or first.get("kod_orp"),
                    "territory_name": first.get("nazev_obce") or first.get("nazev_orp"),
                    "submitter": first.get("submitter"),
                    "nazev_planu": first.get("nazev_planu"),
                    "priority": prio,
                    "priority_name": names.get(str(prio)) if prio else "bez priority",
                    "items": len(acts),
                    **{f"n_{s}": counts[s] for s in statuses},
                    "n_bez_stavu": none,
                    "pct_done": 100.0 * counts["splneno"] / with_status if with_status else None,
                    "rozpocet": _clean_num(planned),
                    "cerpano": _clean_num(spent),
                    "pct_spent": 100.0 * spent / planned if planned > 0 else None,
                    "src_file": first.get("src_file"),
                    "src_sha256": first.get("src_sha256"),
                }
            )
    rows.sort(
        key=lambda r: (
            czech_key(r.get("territory_name") or ""),
            czech_key(r.get("submitter") or ""),
            str(r.get("src_file")),
            r["priority"] is None,
            number_key(r["priority"]) if r["priority"] else (),
        )
    )
    return rows


def _carryover(activities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The evaluated items (``evaluated`` = ano, set by ``annotate_activities`` from the
    plan tree) that continue next year (``xlkpss.plan.tree.continues``), in plan order."""
    out: list[dict[str, Any]] = []
    for rec in activities:
        if rec.get("evaluated") != "ano":
            continue
        status, explicit = _code("stavy_planu", rec.get("stav")), _code("ano_ne", rec.get("pokracuje"))
        if not activity_continues(status, explicit):
            continue
        if explicit == "ano":
            reason = "pokračuje v příštím roce"
        elif status:
            reason = codelist("stavy_planu").get(status).label
        else:
            reason = "bez hodnocení"
        out.append({**rec, "reason": reason})
    return out


# ---------------------------------------------------------------------------
# Services
# ---------------------------------------------------------------------------


def _scopes(level: str, territory: Territory) -> list[tuple[str, str, str, int | None, str]]:
    """(territory_level word, code, name, population, services column) — the whole
    territory first, then its units."""
    whole_word = LEVEL_WORDS[level]
    unit_word = LEVEL_WORDS[_UNIT_LEVEL[level]]
    out = [(whole_word, territory.code, territory.name, territory.population, criteria_column(whole_word))]
    out += [
        (unit_word, code, name, pop, criteria_column(unit_word)) for code, name, pop in scope_units(level, territory)
    ]
    return out


def _by_territory(items: Iterable[Any], col: str, row=lambda item: item) -> dict[str, list[Any]]:
    """Items grouped by the territory code in column ``col`` of their service row, in order."""
    out: dict[str, list[Any]] = defaultdict(list)
    for item in items:
        out[str(row(item).get(col) or "")].append(item)
    return out


def _capacities(services: list[dict[str, Any]], level: str, territory: Territory) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    scopes = _scopes(level, territory)
    grouped = {col: _by_territory(services, col) for col in {scope[4] for scope in scopes}}
    for word, code, name, pop, col in scopes:
        agg: dict[tuple, list[float]] = {}
        for s in grouped[col].get(code, ()):
            key = (s.get("druh"), s.get("forma"), s.get("typ_kapacity"))
            if None in key:
                continue
            cell = agg.setdefault(key, [0, 0.0])
            cell[0] += 1
            cell[1] += _n(s.get("kapacita"))
        for druh, forma, typ in sorted(
            agg, key=lambda k: (_order("druhy_sluzeb", k[0]), _order("formy", k[1]), _order("typy_kapacity", k[2]))
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
                    "capacity": _clean_num(cap),
                    "population": pop,
                    "per_1000": cap / pop * 1000 if pop else None,
                }
            )
    return rows


def _funding(services: list[dict[str, Any]], level: str, territory: Territory) -> list[dict[str, Any]]:
    sources = [f.key for f in get_template("sluzby").sheet("sluzby").fields if f.funding]
    keys = ("naklady", *sources)
    # each service with its costs and sources as numbers, read once for all scopes
    amounts = [(s, [_n(s.get(k)) for k in keys]) for s in services]
    scopes = _scopes(level, territory)
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
        groups = [(d, by_druh[d]) for d in sorted(by_druh, key=lambda d: _order("druhy_sluzeb", d))] + [
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
                "naklady": _clean_num(costs),
                **{k: _clean_num(v) for k, v in sums.items()},
                "funding_total": _clean_num(sum(sums.values())),
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
    col = criteria_column(LEVEL_WORDS[_UNIT_LEVEL[level]])
    group_keys = [f.key for f in get_template("sluzby").sheet("sluzby").group("cilova_skupina")]
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for s in services:
        unit = str(s.get(col) or "")
        groups = {g for g in (_code("cilove_skupiny", s.get(k)) for k in group_keys) if g is not None}
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
        present[str(s.get("kod_orp") or "")].add(_code("druhy_sluzeb", s.get("druh")))
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


# ---------------------------------------------------------------------------
# Year over year
# ---------------------------------------------------------------------------


def _service_key(s: dict[str, Any]) -> tuple:
    if s.get("identifikator"):
        return ("id", str(s["identifikator"]), str(s.get("forma") or ""))
    return (
        "name",
        str(s.get("ico_poskytovatele") or ""),
        normalize_key(s.get("nazev_sluzby") or ""),
        str(s.get("forma") or ""),
    )


def _pct(prev: float | None, curr: float | None) -> float | None:
    if prev is None or curr is None or prev == 0:
        return None
    return 100.0 * (curr - prev) / prev


def _pct_text(value: float) -> str:
    from xlkpss.i18n import format_number

    sign = "+" if value > 0 else "−" if value < 0 else ""
    return f"{sign}{format_number(abs(value), 1)} %".replace("\u00a0", " ")


def _changes(
    services: list[dict[str, Any]], previous: Consolidated, level: str, territory: Territory, threshold: float
) -> list[dict[str, Any]]:
    if level == "stat":
        # the whole country: every service of last year's workbook, on the national column
        prev_services = [{**s, STATE_COLUMN: territory.code} for s in frame_records(previous.table("services"))]
    else:
        col = criteria_column(LEVEL_WORDS[level])
        prev_services = [s for s in frame_records(previous.table("services")) if str(s.get(col) or "") == territory.code]
    prev_by: dict[tuple, dict[str, Any]] = {}
    for s in prev_services:
        prev_by.setdefault(_service_key(s), s)
    curr_by: dict[tuple, dict[str, Any]] = {}
    for s in services:
        curr_by.setdefault(_service_key(s), s)
    unit_col = criteria_column(LEVEL_WORDS[_UNIT_LEVEL[level]])
    unit_name = {"kod_obce": "nazev_obce", "kod_orp": "nazev_orp", "kod_kraje": "nazev_kraje"}[unit_col]
    rows: list[dict[str, Any]] = []
    for key in sorted(set(prev_by) | set(curr_by), key=lambda k: tuple(map(str, k))):
        p, c = prev_by.get(key), curr_by.get(key)
        ref = c or p
        assert ref is not None
        pc = clean_value(p.get("kapacita")) if p else None
        cc = clean_value(c.get("kapacita")) if c else None
        pk = clean_value(p.get("naklady")) if p else None
        ck = clean_value(c.get("naklady")) if c else None
        cap_pct = _pct(_num_or_none(pc), _num_or_none(cc))
        cost_pct = _pct(_num_or_none(pk), _num_or_none(ck))
        notes = []
        if p is None:
            notes.append("nová služba")
        elif c is None:
            notes.append("služba letos nehlášena")
        else:
            if p.get("typ_kapacity") != c.get("typ_kapacity"):
                notes.append(f"typ kapacity {p.get('typ_kapacity')} → {c.get('typ_kapacity')}")
            if cap_pct is not None and abs(cap_pct) > threshold:
                notes.append(f"kapacita {_pct_text(cap_pct)}")
            if cost_pct is not None and abs(cost_pct) > threshold:
                notes.append(f"náklady {_pct_text(cost_pct)}")
        rows.append(
            {
                "row_kind": "služba",
                "territory_code": ref.get(unit_col),
                "territory_name": ref.get(unit_name),
                "identifikator": ref.get("identifikator"),
                "nazev_sluzby": ref.get("nazev_sluzby"),
                "druh": ref.get("druh"),
                "forma": ref.get("forma"),
                "typ_kapacity": ref.get("typ_kapacity"),
                "prev_capacity": pc,
                "curr_capacity": cc,
                "capacity_change_pct": cap_pct,
                "prev_costs": pk,
                "curr_costs": ck,
                "costs_change_pct": cost_pct,
                "flag": "ano" if notes else "ne",
                "note": "; ".join(notes) or None,
            }
        )
    for word, code, name, _pop, scol in _scopes(level, territory):
        prev_mine = [s for s in prev_services if str(s.get(scol) or "") == code]
        curr_mine = [s for s in services if str(s.get(scol) or "") == code]
        if not prev_mine and not curr_mine:
            continue
        types = sorted(
            {s.get("typ_kapacity") for s in prev_mine + curr_mine if s.get("typ_kapacity")},
            key=lambda t: _order("typy_kapacity", t),
        )
        for typ in types:
            pc = sum(_n(s.get("kapacita")) for s in prev_mine if s.get("typ_kapacity") == typ)
            cc = sum(_n(s.get("kapacita")) for s in curr_mine if s.get("typ_kapacity") == typ)
            pct = _pct(pc, cc)
            rows.append(_territory_change(word, code, name, typ, pc, cc, pct, None, None, None, threshold))
        pk = sum(_n(s.get("naklady")) for s in prev_mine)
        ck = sum(_n(s.get("naklady")) for s in curr_mine)
        rows.append(_territory_change(word, code, name, None, None, None, None, pk, ck, _pct(pk, ck), threshold))
    return rows


def _num_or_none(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _territory_change(word, code, name, typ, pc, cc, cap_pct, pk, ck, cost_pct, threshold) -> dict[str, Any]:
    notes = []
    if cap_pct is not None and abs(cap_pct) > threshold:
        notes.append(f"kapacita {_pct_text(cap_pct)}")
    if cost_pct is not None and abs(cost_pct) > threshold:
        notes.append(f"náklady {_pct_text(cost_pct)}")
    return {
        "row_kind": f"území ({word})",
        "territory_code": code,
        "territory_name": name,
        "identifikator": None,
        "nazev_sluzby": None,
        "druh": None,
        "forma": None,
        "typ_kapacity": typ,
        "prev_capacity": _clean_num(pc) if pc is not None else None,
        "curr_capacity": _clean_num(cc) if cc is not None else None,
        "capacity_change_pct": cap_pct,
        "prev_costs": _clean_num(pk) if pk is not None else None,
        "curr_costs": _clean_num(ck) if ck is not None else None,
        "costs_change_pct": cost_pct,
        "flag": "ano" if notes else "ne",
        "note": "; ".join(notes) or None,
    }


# ---------------------------------------------------------------------------
# Přehled
# ---------------------------------------------------------------------------

_LEVEL_TEXT = {"orp": "ORP (obce a poskytovatelé)", "kraj": "kraj (souhrny ORP)", "stat": "stát (souhrny krajů)"}


def _count(value: Any) -> str:
    """A count in a note, the Czech way (6 258)."""
    from xlkpss.i18n import format_number

    return format_number(value, 0).replace("\u00a0", " ") if isinstance(value, (int, float)) else "—"


def _overview(
    c: Consolidated,
    services: list[dict[str, Any]],
    submissions: list[dict[str, Any]],
    level: str,
    territory: Territory,
    gaps: list[dict[str, Any]],
    plan_rows: list[dict[str, Any]],
    carry: list[dict[str, Any]],
    changes: list[dict[str, Any]] | None,
) -> list[dict[str, Any]]:
    m = c.meta
    rows: list[dict[str, Any]] = []

    def add(metric: str, label: str, value: Any, unit: str | None = None, note: str | None = None) -> None:
        rows.append({"metric": metric, "label": label, "value": value, "unit": unit or None, "note": note})

    prefix = "ORP " if level == "orp" else ""
    add("territory", "Území", f"{prefix}{territory.name} ({territory.code})")
    add("level", "Úroveň souhrnu", _LEVEL_TEXT[level])
    add("year", "Rok", m["year"])
    add("generated", "Vytvořeno", dt.date.fromisoformat(m["generated"]), note=f"xlkpss {m['version']}")
    add("inputs", "Vstupních souborů", m["inputs"], "souborů")
    who = {"orp": "obcí ORP", "kraj": "ORP kraje", "stat": "kraje ČR"}[level]
    add("expected", f"Očekávaní předkladatelé ({who})", m["expected"], "předkladatelů")
    add("delivered", "Odevzdali (přijatý soubor)", m["delivered"], "předkladatelů")
    add(
        "completeness",
        "Úplnost odevzdání",
        m["completeness"],
        "%",
        "podíl očekávaných předkladatelů s přijatým souborem (jako reporting rate v DHIS2)",
    )
    if level == "stat":
        add(
            "completeness_orp",
            "Úplnost odevzdání za ORP",
            m.get("completeness_orp"),
            "%",
            f"ORP s přijatým souhrnem v souhrnech krajů: {_count(m.get('delivered_orp'))} z {_count(m.get('expected_orp'))}",
        )
    if level in ("kraj", "stat"):
        where = "souhrnů ORP" if level == "kraj" else "souhrnů krajů"
        counts = (
            f": {_count(m.get('delivered_obce'))} z {_count(m.get('expected_obce'))}"
            if m.get("delivered_obce") is not None
            else " (některý souhrn kraje počet neuvádí)"
        )
        add(
            "completeness_obce",
            "Úplnost odevzdání za obce kraje" if level == "kraj" else "Úplnost odevzdání za obce",
            m.get("completeness_obce"),
            "%",
            f"obce s přijatým souborem podle {where}{counts}",
        )
    # one line per status (the same counts as the HTML summary and the CLI: status_counts)
    by_kind = status_counts(submissions)
    totals = status_totals(submissions)
    for status in STATUS_ORDER:
        n = totals.get(status, 0)
        if status == "outside" and not n:
            continue
        parts = [f"{kind} {per[status]}" for kind, per in by_kind.items() if per.get(status)]
        add(
            f"status:{status}",
            f"Odevzdání – {STATUS_LABELS[status]}",
            n,
            "souborů" if status != "missing" else "předkladatelů",
            ", ".join(parts) or None,
        )
    add("rows_read", "Řádků přečteno", m["rows_read"], "řádků", "Služby, Plán a Projekty všech vstupních souborů")
    add("rows_merged", "Řádků sloučeno", m["rows_merged"], "řádků")
    add("rows_excluded", "Řádků vyřazeno", m["rows_excluded"], "řádků", "důvody na listu Chyby")
    add(
        "services", "Započtené služby", len(services), "služeb", "služba hlášená více předkladateli je započtena jednou"
    )
    by_type: dict[str, float] = defaultdict(float)
    for s in services:
        if s.get("typ_kapacity"):
            by_type[s["typ_kapacity"]] += _n(s.get("kapacita"))
    for item in codelist("typy_kapacity"):
        if item.display in by_type:
            add(
                f"capacity:{item.code}",
                f"Kapacita – {item.label}",
                _clean_num(by_type[item.display]),
                item.label,
                "kapacity různých typů se nesčítají",
            )
    add(
        "costs",
        column_label("services", "naklady").replace(" (Kč)", ""),
        _clean_num(sum(_n(s.get("naklady")) for s in services)),
        "Kč",
    )
    sources = [f.key for f in get_template("sluzby").sheet("sluzby").fields if f.funding]
    add("funding", "Zdroje financování celkem", _clean_num(sum(_n(s.get(k)) for s in services for k in sources)), "Kč")
    add("population", "Počet obyvatel", m.get("population"), "obyvatel", m.get("population_note"))
    core_missing = sum(1 for g in gaps if g.get("core") == "ano" and not g.get("note"))
    names = ", ".join(codelist("druhy_sluzeb").get(code).display for code in m.get("core_services", []))
    add("core_missing", "Chybějící základní služby", core_missing, "případů", f"základní služby: {names}")
    evaluated = sum(r["items"] for r in plan_rows)
    done = sum(r["n_splneno"] for r in plan_rows)
    with_status = evaluated - sum(r["n_bez_stavu"] for r in plan_rows)
    add("plan_items", "Hodnocené položky plánů", evaluated, "položek")
    add(
        "plan_done",
        "Splněno z hodnocených položek",
        100.0 * done / with_status if with_status else None,
        "%",
        "splněno / položky s vyplněným stavem",
    )
    add("carryover", "Položky pokračující v příštím roce", len(carry), "položek")
    add("conflicts", "Konflikty údajů", len(c.table("conflicts")), "rozdílů")
    add("errors", "Chyby a vyřazení", len(c.table("errors")), "záznamů")
    if changes is not None:
        flagged = sum(1 for r in changes if r.get("flag") == "ano")
        note = f"práh {m['threshold']:g} %; srovnání se souhrnem za rok {m.get('previous_year')}"
        if m.get("previous_year") not in (None, m["year"] - 1):
            note += " (pozor: není to předchozí rok)"
        add("changes_flagged", "Meziroční změny nad prahem", flagged, "záznamů", note)
    for key, name in SHEETS.items():
        if key == "overview" or key in OPTIONAL_SHEETS:
            continue  # an optional sheet adds its own line (xlkpss.merge.expected)
        n = len(c.table(key)) if key in c.tables else 0
        add(f"sheet:{key}", f"List {name}", SHEET_DESCRIPTIONS.get(key, ""), None, plural_cs(n, ROWS))
    return rows


# ---------------------------------------------------------------------------
# All derived sheets
# ---------------------------------------------------------------------------


def derive(
    c: Consolidated,
    *,
    territory: Territory,
    level: str,
    core: Iterable[str] | None,
    previous: Consolidated | None,
    threshold: float,
) -> None:
    """Fill every computed sheet of ``c`` from its record sheets."""
    core_list = list(core) if core is not None else core_service_codes()
    # the record sheets, as merge_results has just built them with sheet_frame (clean values)
    services = frame_records(c.table("services"), clean=False)
    activities = frame_records(c.table("activities"), clean=False)
    submissions = frame_records(c.table("submissions"), clean=False)
    plan_rows = _plan_summary(activities)
    carry = _carryover(activities)
    gaps = _gaps(services, level, territory, core_list, submissions, c.meta.get("delivered_orp_codes") or ())
    coverage_rows, coverage_cols = _coverage(services, level, territory)
    changes = _changes(services, previous, level, territory, threshold) if previous is not None else None
    c.tables["capacities"] = sheet_frame("capacities", _capacities(services, level, territory))
    c.tables["coverage"] = sheet_frame("coverage", coverage_rows, coverage_cols)
    c.tables["gaps"] = sheet_frame("gaps", gaps)
    c.tables["funding"] = sheet_frame("funding", _funding(services, level, territory))
    c.tables["plan_summary"] = sheet_frame("plan_summary", plan_rows)
    c.tables["carryover"] = sheet_frame("carryover", carry)
    c.tables["changes"] = sheet_frame("changes", changes or [])
    c.tables["overview"] = sheet_frame(
        "overview", _overview(c, services, submissions, level, territory, gaps, plan_rows, carry, changes)
    )
    # workbook order
    c.tables = {k: c.tables[k] for k in SHEETS if k in c.tables}
    c.meta["core_missing"] = sum(1 for g in gaps if g.get("core") == "ano" and not g.get("note"))
