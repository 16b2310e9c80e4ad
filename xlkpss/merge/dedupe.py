"""One service counted once: of several reports of the same registered service the
preferred one is kept, the others are excluded as duplicates, and where they differ
Konflikty shows them side by side."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from xlkpss.collate import czech_key
from xlkpss.merge.cells import date_ordinal, fmt, same_value
from xlkpss.merge.lines import Lines, move_to_excluded
from xlkpss.merge.model import SUBMITTER_TYPE_LABELS, column_label
from xlkpss.merge.rules import MERGE_CODES
from xlkpss.merge.source import Source

__all__ = ["SUBMITTER_RANK", "deduplicate_services"]


#: lower = preferred when the same service is reported by several submitters
SUBMITTER_RANK = {"poskytovatel": 0, "orp": 1, "obec": 2, "souhrn": 3}


_CONFLICT_FIELDS = ("druh", "typ_kapacity", "kapacita", "naklady", "ico_poskytovatele")


def _report_key(rec: dict[str, Any]) -> tuple:
    return (rec.get("submitter_type"), rec.get("submitter_code") or rec.get("submitter"), rec.get("src_sha256"))


def _rank(rec: dict[str, Any]) -> tuple:
    typ_word = rec.get("submitter_type")
    typ = next((k for k, v in SUBMITTER_TYPE_LABELS.items() if v == typ_word or k == typ_word), "obec")
    return (
        SUBMITTER_RANK.get(typ, 9),
        -date_ordinal(rec.get("date_filled")),
        str(rec.get("src_file") or ""),
        str(rec.get("src_sha256") or ""),
    )


def _where(rec: dict[str, Any]) -> str:
    via = f" (přes {rec['via']})" if rec.get("via") else ""
    return (
        f"{rec.get('src_file')}, {rec.get('src_sheet')}!{rec.get('src_cell') or ('A' + str(rec.get('src_row')))}{via}"
    )


def deduplicate_services(lines: Lines, sources_by_name: dict[str, Source]) -> None:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for rec in lines.services:
        ident = rec.get("identifikator")
        if ident:
            groups[str(ident)].append(rec)
    drop: set[int] = set()
    for ident, recs in groups.items():
        reports: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
        for rec in recs:
            reports[_report_key(rec)].append(rec)
        if len(reports) < 2:
            continue
        ordered = sorted(reports.values(), key=lambda rs: _rank(rs[0]))
        kept = ordered[0]
        others = ordered[1:]
        also: set[str] = set()
        for rec in recs:
            if rec.get("reported_by"):
                also.update(x.strip() for x in str(rec["reported_by"]).split(";") if x.strip())
        for rs in others:
            also.add(str(rs[0].get("submitter")))
            _compare_reports(ident, kept, rs, lines)
            for rec in rs:
                drop.add(id(rec))
                move_to_excluded(rec, sources_by_name)
                line = {
                    "src_file": rec.get("src_file"),
                    "src_sheet": rec.get("src_sheet"),
                    "src_row": rec.get("src_row"),
                    "src_cell": rec.get("src_cell"),
                    "submitter": rec.get("submitter"),
                    "reason": MERGE_CODES["duplicate-service"],
                    "code": "duplicate-service",
                    "field": column_label("services", "identifikator"),
                    "value": ident,
                    "message": f"Služba {ident} ({rec.get('nazev_sluzby')}) je započtena podle hlášení {kept[0].get('submitter')} ({_where(kept[0])}).",
                    "src_sha256": rec.get("src_sha256"),
                    "via": rec.get("via"),
                }
                lines.errors.append(line)
        also.discard(str(kept[0].get("submitter")))
        for rec in kept:
            rec["reported_by"] = "; ".join(sorted(also, key=czech_key)) or None
    lines.services = [r for r in lines.services if id(r) not in drop]


def _compare_reports(ident: str, kept: list[dict[str, Any]], other: list[dict[str, Any]], lines: Lines) -> None:
    """Konflikty: what differs between the counted report and another one."""
    base = {
        "identifikator": ident,
        "nazev_sluzby": kept[0].get("nazev_sluzby"),
        "kod_orp": kept[0].get("kod_orp"),
        "nazev_orp": kept[0].get("nazev_orp"),
        "kept_submitter": kept[0].get("submitter"),
        "other_submitter": other[0].get("submitter"),
    }
    out: list[dict[str, Any]] = []
    forms_k = sorted({str(r.get("forma")) for r in kept if r.get("forma")})
    forms_o = sorted({str(r.get("forma")) for r in other if r.get("forma")})
    if forms_k != forms_o:
        out.append(
            {
                **base,
                "field": column_label("services", "forma"),
                "kept_value": ", ".join(forms_k) or "—",
                "other_value": ", ".join(forms_o) or "—",
                "kept_src": _where(kept[0]),
                "other_src": _where(other[0]),
            }
        )
    pairs: list[tuple[dict[str, Any], dict[str, Any], str]] = []
    by_form_o = {r.get("forma"): r for r in other}
    for rk in kept:
        ro = by_form_o.get(rk.get("forma"))
        if ro is not None:
            pairs.append((rk, ro, f" ({rk.get('forma')})" if len(kept) > 1 or len(other) > 1 else ""))
    if not pairs and len(kept) == 1 and len(other) == 1:
        pairs.append((kept[0], other[0], ""))
    for rk, ro, suffix in pairs:
        for key in _CONFLICT_FIELDS:
            a, b = rk.get(key), ro.get(key)
            if same_value(a, b):
                continue
            out.append(
                {
                    **base,
                    "field": column_label("services", key) + suffix,
                    "kept_value": fmt(a),
                    "other_value": fmt(b),
                    "kept_src": _where(rk),
                    "other_src": _where(ro),
                }
            )
    for rec in out:
        rec["values"] = f"{rec['kept_submitter']}: {rec['kept_value']} | {rec['other_submitter']}: {rec['other_value']}"
    lines.conflicts.extend(out)
