"""Completeness per service, timeliness and "sent back unchanged" — the merge's
comparison of what was reported with what was expected.

``complete(c, sources, …)`` runs at the end of ``merge_results`` and adds to the
consolidated data set:

* **Sent back unchanged**: a pre-filled services file (``xlkpss template sluzby
  --prefill``) whose services sheet still holds exactly what was pre-filled is said to
  be so in *Odevzdání* (its note) — its rows are kept (nothing is lost) but they are not
  fresh data: its services do not count as reported in the completeness per service.
* **Timeliness** (``deadline``): *Odevzdání* gets the column *Dodržení termínu* —
  ``včas`` / ``po termínu`` / ``chybí`` — from *Datum vyplnění*, or the file's time
  when the date is blank.
* **Expected services** (``registry`` and/or ``previous``): every service (identifikátor
  and form) the registry lists as provided in the year in an obec of the territory, and
  every service reported last year in the territory, is expected; the sheet *Porovnání
  služeb* lists each expected and each reported service with what was found — reported,
  not reported, sent back unchanged, not in the registry, registration ended, new (not
  reported last year) — and the registry's type, form, capacity and capacity type where
  the report differs; completeness by services = reported ÷ expected
  (``meta["completeness_services"]``).
* **Per submitter** (*Úplnost předkladatelů*): every expected obce, every submitter of a
  services file and every submitter expected to report a service (last year's reporter,
  else the registered provider) with the status of its services file, timeliness, how
  many of its expected services were reported, which are missing, new ones, and its
  contact (this year's file, else the registry, else last year's sheet) — what
  ``xlkpss chase`` turns into the chasing pack.  One row per ORP comes first with the
  ORP's totals.

This module is the hook (``complete``) and the sent-back-unchanged check; the rest has
modules of its own: ``timeliness``, ``servicecheck`` (Porovnání služeb, ``FINDINGS``),
``submittercheck`` (Úplnost předkladatelů).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from xlkpss.codelists import Territory
from xlkpss.i18n import format_date
from xlkpss.merge.model import SHEET_COLUMNS, SHEETS, SUBMITTER_TYPE_LABELS, Consolidated
from xlkpss.merge.servicecheck import FINDINGS, compare_services, comparison_rows
from xlkpss.merge.submittercheck import collect_submitters, submitter_rows
from xlkpss.merge.timeliness import TIMELINESS, timeliness

# FINDINGS (merge.servicecheck), TIMELINESS and timeliness (merge.timeliness) stay importable from here
__all__ = [
    "FINDINGS",
    "TIMELINESS",
    "add_overview",
    "annotate_unchanged",
    "complete",
    "timeliness",
]


_UNCHANGED_NOTE = "vráceno beze změny: předvyplněné údaje, údaje za rok {year} nevyplněny"


_SHEET_NOTES = {
    "submitter_completeness": "předkladatelé: odevzdání, termín, očekávané a nehlášené služby, kontakt",
    "service_comparison": "očekávané služby (registr, loňské hlášení) a co z nich bylo hlášeno",
}


def annotate_unchanged(sources: Sequence[Any]) -> set[str]:
    """Names of the services files (accepted or rejected) that are pre-filled files sent back unchanged."""
    from xlkpss.template.prefill import is_unchanged, prefill_stamp

    out = set()
    for src in sources:
        r = src.result
        if src.kind != "sluzby" or r is None or src.status in ("outside", "superseded"):
            continue
        if prefill_stamp(getattr(r, "meta", {}) or {}) is None:
            continue
        if is_unchanged(src.path):
            out.add(src.name)
    return out


def _frame(key: str, rows: list[dict[str, Any]], columns: Sequence[str] | None = None):
    import pandas as pd

    cols = list(columns or SHEET_COLUMNS[key])
    return pd.DataFrame([[r.get(k) for k in cols] for r in rows], columns=cols, dtype=object)


def add_overview(c: Consolidated, lines: list[tuple[str, str, Any, str | None, str | None]], after: str) -> None:
    """Insert lines (metric, label, value, unit, note) into *Přehled* after the line ``after``."""
    import pandas as pd

    ov = c.table("overview")
    if not len(ov):
        return
    recs = ov.to_dict("records")
    at = next((i + 1 for i, r in enumerate(recs) if r.get("metric") == after), len(recs))
    new = [{"metric": m, "label": label, "value": v, "unit": u, "note": n} for m, label, v, u, n in lines]
    recs[at:at] = new
    c.tables["overview"] = pd.DataFrame(recs, columns=list(ov.columns), dtype=object)


def complete(
    c: Consolidated,
    sources: Sequence[Any],
    *,
    level: str,
    territory: Territory,
    year: int,
    registry: Any = None,
    previous: Consolidated | None = None,
    deadline: dt.date | None = None,
    registry_file: str | None = None,
) -> None:
    """Add unchanged notes, timeliness, *Porovnání služeb* and *Úplnost předkladatelů* to ``c``
    (see the module's docstring); ``registry`` is an ``xlkpss.registry.Registry``."""
    from xlkpss.i18n import OF_EXPECTED_SERVICES, ROWS, plural_cs

    unchanged_files = annotate_unchanged(sources)
    by_name = {s.name: s for s in sources}
    subs_frame = c.table("submissions")
    if len(subs_frame) and (unchanged_files or deadline is not None):
        recs = subs_frame.to_dict("records")
        for rec in recs:
            notes = [rec.get("note")] if rec.get("note") else []
            if rec.get("file") in unchanged_files:
                notes.append(_UNCHANGED_NOTE.format(year=year))
            if deadline is not None:
                src = by_name.get(rec.get("file"))
                if rec.get("status") == "missing" or src is None:
                    rec["timeliness"] = TIMELINESS["missing"]
                else:
                    key, note = timeliness(rec.get("date_filled"), src.mtime, deadline)
                    rec["timeliness"] = TIMELINESS[key]
                    if note and key == "late":
                        notes.append(note)
            rec["note"] = "; ".join(notes) or None
        cols = list(subs_frame.columns)
        if deadline is not None and "timeliness" not in cols:
            cols.insert(cols.index("date_filled") + 1 if "date_filled" in cols else len(cols), "timeliness")
        c.tables["submissions"] = _frame("submissions", recs, cols)
    c.meta["unchanged_files"] = len(unchanged_files)
    if deadline is not None:
        c.meta["deadline"] = deadline.isoformat()
    if registry is None and previous is None and deadline is None:
        return

    unchanged_submitters = set()
    for name in unchanged_files:
        src = by_name[name]
        unchanged_submitters.add((SUBMITTER_TYPE_LABELS.get(src.submitter_type or "", ""), str(src.submitter_code)))
    with_services = registry is not None or previous is not None
    services = (
        compare_services(c, territory, year, registry, previous, unchanged_files, unchanged_submitters) if with_services else None
    )
    subs = collect_submitters(c, sources, level, territory, services, registry, previous, unchanged_files)
    c.tables["submitter_completeness"] = _frame(
        "submitter_completeness", submitter_rows(subs, with_services, deadline, year, unchanged_files, by_name)
    )
    overview: list[tuple[str, str, Any, str | None, str | None]] = []
    if services is not None:
        c.tables["service_comparison"] = _frame("service_comparison", comparison_rows(services))
        expected = [sv for sv in services if sv.expected_from]
        reported = [sv for sv in expected if sv.finding not in ("missing", "unchanged")]
        counts = {k: sum(1 for sv in services if sv.finding == k) for k in FINDINGS}
        basis = " a ".join(
            x for x in ("registru" if registry is not None else "", "loňského hlášení" if previous is not None else "") if x
        )
        pct = round(100.0 * len(reported) / len(expected), 1) if expected else None
        c.meta.update(
            {
                "expected_services": len(expected),
                "reported_services": len(reported),
                "completeness_services": pct,
                "new_services": counts["unregistered"] + counts["new"] + counts["ended"],
                "service_findings": counts,
                "services_basis": basis,
            }
        )
        if registry_file:
            c.meta["registry_file"] = registry_file
        overview.append(
            (
                "completeness_services",
                "Úplnost podle služeb",
                pct,
                "%",
                f"hlášeno {len(reported)} z {plural_cs(len(expected), OF_EXPECTED_SERVICES)} "
                f"(podle {basis}); nehlášeno {counts['missing']}, vráceno beze změny {counts['unchanged']}",
            )
        )
        overview.append(
            (
                "services_new",
                "Nově hlášené služby",
                c.meta["new_services"],
                "služeb",
                f"není v registru {counts['unregistered']}, registrace ukončena {counts['ended']}, loni nehlášena {counts['new']}",
            )
        )
        overview.append(
            ("services_different", "Služby odlišné od registru", counts["different"], "služeb", "druh, forma, kapacita nebo typ kapacity")
        )
    if unchanged_files:
        overview.append(
            ("unchanged_files", "Vráceno beze změny", len(unchanged_files), "souborů", "předvyplněné šablony bez údajů za rok")
        )
    if deadline is not None:
        late = sum(1 for r in c.table("submissions").to_dict("records") if r.get("timeliness") == TIMELINESS["late"])
        overview.append(("late", "Odevzdáno po termínu", late, "souborů", f"termín {format_date(deadline)}"))
    add_overview(c, overview, "completeness")
    after = "sheet:submissions"
    for key in ("submitter_completeness", "service_comparison"):
        if key in c.tables:
            add_overview(
                c, [(f"sheet:{key}", f"List {SHEETS[key]}", _SHEET_NOTES[key], None, plural_cs(len(c.table(key)), ROWS))],
                after,
            )
            after = f"sheet:{key}"
