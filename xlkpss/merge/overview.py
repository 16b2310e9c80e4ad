"""Přehled: the main figures of a consolidated workbook (territory, completeness, statuses,
rows, services, capacity, costs, plans, conflicts, errors) and a line describing each sheet."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from xlkpss.codelists import Territory, codelist
from xlkpss.i18n import plural_cs
from xlkpss.merge.model import OPTIONAL_SHEETS, SHEETS, STATUS_LABELS, Consolidated, column_label
from xlkpss.merge.resubmit import ROWS
from xlkpss.merge.scopes import clean_num, to_float
from xlkpss.merge.status import STATUS_ORDER, status_counts, status_totals
from xlkpss.spec import get_template

__all__ = ["SHEET_DESCRIPTIONS", "overview_rows"]


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


_LEVEL_TEXT = {"orp": "ORP (obce a poskytovatelé)", "kraj": "kraj (souhrny ORP)", "stat": "stát (souhrny krajů)"}


def _count(value: Any) -> str:
    """A count in a note, the Czech way (6 258)."""
    from xlkpss.i18n import format_number

    return format_number(value, 0).replace("\u00a0", " ") if isinstance(value, (int, float)) else "—"


def overview_rows(
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
            by_type[s["typ_kapacity"]] += to_float(s.get("kapacita"))
    for item in codelist("typy_kapacity"):
        if item.display in by_type:
            add(
                f"capacity:{item.code}",
                f"Kapacita – {item.label}",
                clean_num(by_type[item.display]),
                item.label,
                "kapacity různých typů se nesčítají",
            )
    add(
        "costs",
        column_label("services", "naklady").replace(" (Kč)", ""),
        clean_num(sum(to_float(s.get("naklady")) for s in services)),
        "Kč",
    )
    sources = [f.key for f in get_template("sluzby").sheet("sluzby").fields if f.funding]
    add("funding", "Zdroje financování celkem", clean_num(sum(to_float(s.get(k)) for s in services for k in sources)), "Kč")
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
