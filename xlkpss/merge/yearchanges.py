"""Meziroční změny: each service and each territory compared with the consolidated workbook
of the previous year (capacity per type, costs), changes above the threshold flagged."""

from __future__ import annotations

from typing import Any

from xlkpss.codelists import Territory, normalize_key
from xlkpss.merge.clean import clean_value, frame_records
from xlkpss.merge.model import LEVEL_WORDS, STATE_COLUMN, Consolidated
from xlkpss.merge.scopes import UNIT_LEVEL, clean_num, criteria_column, list_order, territory_scopes, to_float

__all__ = ["year_changes"]


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


def year_changes(
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
    unit_col = criteria_column(LEVEL_WORDS[UNIT_LEVEL[level]])
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
    for word, code, name, _pop, scol in territory_scopes(level, territory):
        prev_mine = [s for s in prev_services if str(s.get(scol) or "") == code]
        curr_mine = [s for s in services if str(s.get(scol) or "") == code]
        if not prev_mine and not curr_mine:
            continue
        types = sorted(
            {s.get("typ_kapacity") for s in prev_mine + curr_mine if s.get("typ_kapacity")},
            key=lambda t: list_order("typy_kapacity", t),
        )
        for typ in types:
            pc = sum(to_float(s.get("kapacita")) for s in prev_mine if s.get("typ_kapacity") == typ)
            cc = sum(to_float(s.get("kapacita")) for s in curr_mine if s.get("typ_kapacity") == typ)
            pct = _pct(pc, cc)
            rows.append(_territory_change(word, code, name, typ, pc, cc, pct, None, None, None, threshold))
        pk = sum(to_float(s.get("naklady")) for s in prev_mine)
        ck = sum(to_float(s.get("naklady")) for s in curr_mine)
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
        "prev_capacity": clean_num(pc) if pc is not None else None,
        "curr_capacity": clean_num(cc) if cc is not None else None,
        "capacity_change_pct": cap_pct,
        "prev_costs": clean_num(pk) if pk is not None else None,
        "curr_costs": clean_num(ck) if ck is not None else None,
        "costs_change_pct": cost_pct,
        "flag": "ano" if notes else "ne",
        "note": "; ".join(notes) or None,
    }
