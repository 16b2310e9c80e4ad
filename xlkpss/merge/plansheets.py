"""The plan sheets: Aktivity annotated with their priority and whether each item is
evaluated (by the plan tree of ``xlkpss.plan.tree``), Plnění plánu per priority, and
Pokračuje (the items that continue next year)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from xlkpss.codelists import codelist
from xlkpss.collate import czech_key
from xlkpss.merge.scopes import clean_num, code_of, to_float
from xlkpss.plan.tree import activity_continues, build_tree, number_key

__all__ = ["annotate_activities", "carryover", "plan_summary"]


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
                "uroven": code_of("urovne_planu", r.get("uroven")),
                "stav": code_of("stavy_planu", r.get("stav")),
                "pokracuje": code_of("ano_ne", r.get("pokracuje")),
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


def plan_summary(activities: list[dict[str, Any]]) -> list[dict[str, Any]]:
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
                code = code_of("stavy_planu", a.get("stav"))
                if code in counts:
                    counts[code] += 1
                else:
                    none += 1
            with_status = len(acts) - none
            planned = sum(to_float(a.get("rozpocet")) for a in acts)
            spent = sum(to_float(a.get("cerpano")) for a in acts)
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
                    "rozpocet": clean_num(planned),
                    "cerpano": clean_num(spent),
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


def carryover(activities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The evaluated items (``evaluated`` = ano, set by ``annotate_activities`` from the
    plan tree) that continue next year (``xlkpss.plan.tree.continues``), in plan order."""
    out: list[dict[str, Any]] = []
    for rec in activities:
        if rec.get("evaluated") != "ano":
            continue
        status, explicit = code_of("stavy_planu", rec.get("stav")), code_of("ano_ne", rec.get("pokracuje"))
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
