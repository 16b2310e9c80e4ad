"""Odevzdání and completeness against the expected submitters: a line per input file and per
expected submitter that sent nothing, the share delivered, and one and two levels down."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from xlkpss.codelists import Territory, municipalities, orps, regions
from xlkpss.collate import czech_key
from xlkpss.merge.cells import num
from xlkpss.merge.model import KIND_LABELS, SUBMITTER_TYPE_LABELS
from xlkpss.merge.rules import SUMMARY_TYPE
from xlkpss.merge.source import Source
from xlkpss.merge.status import ACCEPTED

__all__ = ["EXPECTED_KIND", "lower_completeness", "submission_lines"]


def _submission_line(src: Source, level: str, territory: Territory, expected_units: dict[str, str]) -> dict[str, Any]:
    unit = src.unit if src.unit in expected_units else None
    complete = num(src.summary.meta.get("completeness")) if src.summary is not None else None
    return {
        "territory_code": unit or src.ident.get(_UNIT_COLUMN[level]),
        "territory_name": expected_units.get(unit or "") or _unit_name(src, level),
        "submitter_type": SUBMITTER_TYPE_LABELS.get(src.submitter_type or "", src.submitter_type),
        "submitter_code": src.submitter_code,
        "submitter_name": src.submitter_name,
        "kind": KIND_LABELS.get(src.kind_key, src.kind or KIND_LABELS[""]),
        "expected": "ano" if unit else "ne",
        "status": src.status,
        "file": src.name,
        "date_filled": src.date_filled,
        "rows_read": src.rows_read,
        "rows_merged": src.rows_merged,
        "rows_excluded": src.rows_excluded,
        "errors": src.errors,
        "warnings": src.warnings,
        "completeness": complete,
        "note": src.note or None,
        "sha256": src.sha256 or None,
    }


#: the ident field naming the unit a file belongs to, per merge level (obec / ORP / kraj)
_UNIT_COLUMN = {"orp": "kod_obce", "kraj": "kod_orp", "stat": "kod_kraje"}


def _unit_name(src: Source, level: str) -> str | None:
    code = str(src.ident.get(_UNIT_COLUMN[level]) or "")
    if level == "orp":
        m = municipalities().get(code)
        return m.name if m else None
    if level == "kraj":
        o = orps().get(code)
        return o["nazev_orp"] if o else None
    k = regions().get(code)
    return k["nazev_kraje"] if k else None


def _expected_units(level: str, territory: Territory) -> dict[str, str]:
    """code -> name of every expected submitter (obce of the ORP, ORP of the kraj, kraje
    of the country), sorted by name."""
    if level == "orp":
        units = {m.code: m.name for m in territory.municipalities}
    elif level == "kraj":
        units = {o["kod_orp"]: o["nazev_orp"] for o in orps().values() if o["kod_kraje"] == territory.code}
    else:
        units = {k["kod_kraje"]: k["nazev_kraje"] for k in regions().values()}
    return dict(sorted(units.items(), key=lambda kv: (czech_key(kv[1]), kv[0])))


_STATUS_ORDER = {"valid": 0, "warnings": 1, "errors": 2, "rejected": 3, "outside": 4, "superseded": 5, "missing": 6}


#: the kind (key of KIND_LABELS) every expected submitter is asked for, per merge level:
#: completeness counts it; a plan alone does not make an obec's services delivered
EXPECTED_KIND = {"orp": "sluzby", "kraj": "souhrn", "stat": "souhrn_kraje"}


def _counts_for_completeness(src: Source, level: str) -> bool:
    """Does ``src`` deliver what its expected submitter is asked for?  ORP merge: a
    services file; regional and national merges: any file (a consolidated workbook, or
    raw submissions of the ORP in a regional merge)."""
    return src.kind == "sluzby" if level == "orp" else True


def submission_lines(
    sources: list[Source], level: str, territory: Territory
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    units = _expected_units(level, territory)
    by_unit: dict[str, list[Source]] = defaultdict(list)
    others: list[Source] = []
    for src in sources:
        if src.unit in units:
            by_unit[src.unit].append(src)
        else:
            others.append(src)
    rows: list[dict[str, Any]] = []
    delivered = 0
    expected_kind = EXPECTED_KIND[level]
    for code, name in units.items():
        mine = sorted(by_unit.get(code, []), key=lambda s: (_STATUS_ORDER.get(s.status, 9), s.kind, s.name))
        if any(s.status in ACCEPTED and _counts_for_completeness(s, level) for s in mine):
            delivered += 1
        for src in mine:
            rows.append(_submission_line(src, level, territory, units))
        if not any(_counts_for_completeness(s, level) for s in mine):
            # per kind: an obec that sent only its plan still lacks its services
            typ = {"orp": "obec", "kraj": SUMMARY_TYPE["orp"], "stat": SUMMARY_TYPE["kraj"]}[level]
            rows.append(
                {
                    "territory_code": code,
                    "territory_name": name,
                    "submitter_type": SUBMITTER_TYPE_LABELS[typ],
                    "submitter_code": code,
                    "submitter_name": f"ORP {name}" if level == "kraj" else name,
                    "kind": KIND_LABELS[expected_kind],
                    "expected": "ano",
                    "status": "missing",
                    "file": None,
                    "date_filled": None,
                    "rows_read": 0,
                    "rows_merged": 0,
                    "rows_excluded": 0,
                    "errors": 0,
                    "warnings": 0,
                    "completeness": None,
                    "note": None,
                    "sha256": None,
                }
            )
    for src in sorted(others, key=lambda s: (_STATUS_ORDER.get(s.status, 9), czech_key(s.submitter_name), czech_key(s.name))):
        rows.append(_submission_line(src, level, territory, units))
    stats = {
        "expected": len(units),
        "delivered": delivered,
        "completeness": round(100.0 * delivered / len(units), 1) if units else None,
    }
    return rows, stats


def _pct(done: int | None, total: int) -> float | None:
    return round(100.0 * done / total, 1) if total and done is not None else None


def _delivered_nested(nested: list[dict[str, Any]]) -> set[str]:
    """Codes of the expected units with an accepted file in the merged workbooks' Odevzdání."""
    return {
        str(rec["territory_code"])
        for rec in nested
        if rec.get("expected") == "ano" and rec.get("status") in ACCEPTED and rec.get("territory_code")
    }


def lower_completeness(
    level: str, territory: Territory, sources: list[Source], nested: list[dict[str, Any]]
) -> dict[str, Any]:
    """Completeness one and two levels down (meta keys).

    Kraj: the kraj's obce with an accepted file (from the ORP workbooks and raw files).
    Stát: ORP with an accepted ORP workbook inside the merged regional workbooks, and obce
    with an accepted file by the regional workbooks' counts (None when a merged regional
    workbook has no count, i.e. was made by an older xlkpss).
    """
    if level == "kraj":
        munis = {m.code for m in territory.municipalities}
        done = _delivered_nested(nested)
        for src in sources:
            if src.kind != "souhrn" and src.status in ACCEPTED and src.submitter_type in ("obec", "orp"):
                code = str(src.ident.get("kod_obce") or "")
                if code:
                    done.add(code)
        n = len(done & munis)
        return {"completeness_obce": _pct(n, len(munis)), "expected_obce": len(munis), "delivered_obce": n}
    if level == "stat":
        orp_done = sorted(_delivered_nested(nested) & set(orps()))
        merged = [s.summary for s in sources if s.kind == "souhrn" and s.status in ACCEPTED and s.summary]
        counts = [num(c.meta.get("delivered_obce")) for c in merged]
        obce = int(sum(counts)) if all(n is not None for n in counts) else None
        return {
            "completeness_orp": _pct(len(orp_done), len(orps())),
            "expected_orp": len(orps()),
            "delivered_orp": len(orp_done),
            "delivered_orp_codes": orp_done,
            "completeness_obce": _pct(obce, len(municipalities())),
            "expected_obce": len(municipalities()),
            "delivered_obce": obce,
        }
    return {}
