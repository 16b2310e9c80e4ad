"""Queries against peers in a merge: the sheet *Neobvyklé hodnoty* (``merge --reference``).

The statistics are ``xlkpss.validate.peers`` (the same code ``xlkpss validate --reference``
runs on one file).  Here: the peers of a merge are the services it counts (after
deduplication) plus the services of a reference workbook; last year's workbook
(``--previous``) gives the year-over-year changes.  ``raise_queries`` (called by
``merge_results`` before the statuses are counted) adds each query to its submission as a
warning — explained by a note in *Poznámka* exactly like any other — so *Odevzdání*
counts it and a file with an unexplained query is *přijato s upozorněním*;
``add_sheet`` writes the sheet and its lines on *Přehled*.

The sheet is optional (``model.OPTIONAL_SHEETS``): written when there is at least one
query, or when a reference workbook was given (then an empty sheet says that nothing is
unusual); a merge of the bundled samples without ``--reference`` has none.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from xlkpss.merge.model import SHEET_COLUMNS, Consolidated
from xlkpss.validate.peers import PeerResult, PeerSettings, Query, find_queries, query_issue

__all__ = ["ReferenceError", "add_sheet", "query_rows", "raise_queries", "read_reference", "scope_text"]


class ReferenceError(ValueError):
    """The reference workbook cannot be used (the message is Czech)."""


def read_reference(path: Any) -> Consolidated:
    """The services of a reference workbook (``--reference``), or ``ReferenceError``."""
    from xlkpss.merge.workbook import ConsolidatedReadError, is_consolidated, read_consolidated

    if not is_consolidated(path):
        raise ReferenceError(f"--reference: {path} není souhrnný sešit xlkpss (vytvořený příkazem xlkpss merge)")
    try:
        return read_consolidated(path, tables=("services",))
    except ConsolidatedReadError as exc:
        raise ReferenceError(f"--reference: {exc}") from None


#: columns of *Neobvyklé hodnoty* copied from the service row
_COPIED = (
    "nazev_orp", "nazev_obce", "identifikator", "nazev_sluzby", "poskytovatel", "ico_poskytovatele", "druh", "forma",
    "poznamka", "submitter", "src_file", "src_row", "src_cell", "via",
)  # fmt: skip
#: unit of a ratio's value in the sheet's *Poměr*
_UNIT = {"money": " (Kč)", "share": " (%)", "change": " (%)"}


def scope_text(territory: Any, reference: Consolidated | None) -> str:
    """Where the peers are, for the message: „v ORP Chomutov a v referenčním souhrnu x.xlsx“."""
    text = f"v území {territory.describe()}"
    if reference is not None:
        name = reference.meta.get("file") or "souhrn"
        text += f" a v referenčním souhrnu {name}"
    return text


def raise_queries(
    services: Sequence[dict[str, Any]],
    sources: Sequence[Any],
    *,
    territory: Any,
    reference: Consolidated | None = None,
    previous: Consolidated | None = None,
    settings: PeerSettings | None = None,
) -> PeerResult:
    """Find the queries of the merged ``services`` and add each to the submission it came
    from (``Source.result.issues``, its warnings count and status)."""
    ref = reference.table("services").to_dict("records") if reference is not None else []
    prev = previous.table("services").to_dict("records") if previous is not None else []
    result = find_queries(
        services, reference=ref, previous=prev, settings=settings, scope=scope_text(territory, reference)
    )
    by_name = {s.name: s for s in sources}
    for q in result.queries:
        rec = q.record
        src = by_name.get(str(rec.get("src_file"))) if not rec.get("via") else None
        if src is None or src.result is None:
            continue  # a row of a consolidated workbook: its submission was counted below
        row = rec.get("src_row")
        src.result.issues.append(
            query_issue(q, rec.get("src_sheet"), src.result.columns.get("sluzby"), int(row) if row else None)
        )
        src.warnings += 1
        if not q.explained and src.status == "valid":
            src.status = "warnings"
    return result


def _round(q: Query, x: float | None) -> float | None:
    if x is None:
        return None
    return round(x, 0 if q.ratio.kind == "money" else 3 if q.ratio.kind == "fte" else 2)


def query_rows(result: PeerResult) -> list[dict[str, Any]]:
    """One row of *Neobvyklé hodnoty* per query (in the order of the services sheet)."""
    rows = []
    for q in result.queries:
        r = q.record
        ratio = q.ratio_to_median
        rows.append(
            {
                **{k: r.get(k) for k in _COPIED},
                "typ_kapacity": r.get("typ_kapacity") if q.ratio.by_capacity else None,
                "ratio_name": q.name() + _UNIT.get(q.ratio.kind, ""),
                "ratio_value": _round(q, q.value),
                "peer_median": _round(q, q.median),
                "ratio_to_median": round(ratio, 2) if ratio is not None else None,
                "peers": q.peers,
                "peer_mad": _round(q, q.mad),
                "z_score": round(q.z, 2),
                "explained": "ano" if q.explained else "ne",
                "message": q.text(),
                "code": q.code,
            }
        )
    return rows


def add_sheet(c: Consolidated, result: PeerResult, *, reference: Consolidated | None = None) -> None:
    """*Neobvyklé hodnoty* and the figures of the check (``meta``, *Přehled*) — only when
    there is a query or a reference workbook was given (the sheet is optional)."""
    import pandas as pd

    from xlkpss.i18n import plural_cs
    from xlkpss.merge.expected import add_overview

    if not result.queries and reference is None:
        return
    cols = list(SHEET_COLUMNS["queries"])
    rows = query_rows(result)
    c.tables["queries"] = pd.DataFrame([[r.get(k) for k in cols] for r in rows], columns=cols, dtype=object)
    explained = sum(1 for q in result.queries if q.explained)
    s = result.settings
    c.meta.update(
        {
            "queries": len(result.queries),
            "queries_explained": explained,
            "queries_threshold": s.threshold,
            "queries_min_peers": s.min_peers,
            "queries_assessed": result.assessed,
            "queries_not_assessed": result.not_assessed,
            "queries_small_groups": result.small_groups,
        }
    )
    if reference is not None:
        c.meta["reference_file"] = str(reference.meta.get("file") or "")
        c.meta["reference_rows"] = result.reference_rows
    add_overview(
        c,
        [
            (
                "queries",
                "Neobvyklé hodnoty (dotazy)",
                len(result.queries),
                "dotazů",
                (
                    f"vysvětleno {explained}; |z| > {s.threshold:g} proti srovnatelným službám; "
                    f"neposouzeno {result.not_assessed} hodnot (skupina menší než {s.min_peers} služeb)"
                ),
            )
        ],
        "errors",
    )
    add_overview(
        c,
        [
            (
                "sheet:queries",
                "List Neobvyklé hodnoty",
                "dotazy na hodnoty neobvyklé proti srovnatelným službám",
                None,
                plural_cs(len(rows), ("řádek", "řádky", "řádků")),
            )
        ],
        "sheet:changes",
    )
