"""Stage 4: validated submissions (and consolidated workbooks) → one ``Consolidated``.

This module composes the merge; each concern has a module of its own: ``rules`` (levels,
Chyby codes, ``MergeError``), ``source`` (one ``Source`` per input file), ``acceptance``
(the status of each file, resubmissions), ``rows`` (merged and excluded rows), ``dedupe``
(one service counted once, Konflikty), ``submitters`` (Odevzdání, completeness),
``infer`` (level, territory, year), ``place`` (inside the territory or not).

``merge_results`` is the library call: it takes validation results (``FileResult``)
and, for a regional merge, consolidated ORP workbooks read back with
``read_consolidated`` (for a national merge, consolidated regional workbooks), and
returns every sheet of the consolidated workbook as data.  ``merge_paths`` does the
whole job from paths (partition, validate, infer the territory and year, merge).

Levels: ``orp`` (submissions of obce and providers → one ORP), ``kraj`` (ORP workbooks,
and submissions, → one kraj) and ``stat`` (regional workbooks → the Czech Republic;
submissions are refused there, they belong to an ORP merge).  A consolidated workbook
is accepted only one level up: ORP → kraj → stát.

Rules (documented in the README):

* **Submitter identity** is (file kind, typ_predkladatele, kód obce or IČO, rok); for a
  consolidated workbook (its level, its territory code, rok).  Of several files with the
  same identity the newest wins (``datum_vyplneni``, then file time, then file name);
  the older ones get status ``superseded`` and their rows are *excluded* with the
  reason ``nahrazeno novějším souborem``.  Rejected files never supersede anything.
* **Nothing lost**: for every input file ``rows_read = rows_merged + rows_excluded``
  (rows of the Služby / Plán / Projekty sheets).  A row is merged when it appears in
  Služby, Aktivity or Projekty; every excluded row (an error, a rejected, superseded or
  out-of-territory file, a duplicate report of a service) has a line in Chyby.
* **One service is counted once**: the same registered service (identifikátor) reported
  by several submitters is kept from the preferred report — the provider's (it registers
  the service and knows its capacity and costs), then the ORP's, then the obec's; among
  equals the newest — and the other reports are excluded as duplicates.  Where their
  values (druh, forma, kapacita, typ kapacity, náklady, IČO) differ, Konflikty shows
  them side by side.  Unregistered services (no identifikátor) cannot be matched and are
  all kept.
* **Completeness** (as DHIS2's reporting rate): expected submitters are all obce of the
  ORP (ORP merge), all ORP of the kraj (regional merge) or all 14 kraje (national
  merge); an expected submitter counts as delivered when it has at least one accepted
  file (status valid or warnings).  A file of type ``orp`` counts for the seat obec.
  Providers are listed but not expected.  One level down is reported too: a regional
  merge gives the share of the kraj's obce with an accepted file (``completeness_obce``),
  a national merge the share of all ORP with an accepted ORP workbook inside the merged
  regional workbooks (``completeness_orp``) and of all obce (``completeness_obce``, from
  the regional workbooks' counts).
* **Provenance**: every row keeps the submission file, sheet, row and SHA-256 it was
  read from; ``via`` names the consolidated workbooks it came through, innermost first
  (``souhrn_orp_4203.xlsx → souhrn_kraj_CZ042.xlsx``).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from xlkpss import __version__
from xlkpss.codelists import Territory, codelist
from xlkpss.collate import czech_key
from xlkpss.merge.acceptance import assign_status, check_something_merged, check_strict
from xlkpss.merge.cells import parse_iso
from xlkpss.merge.clean import clean_value, sheet_frame, sheet_table
from xlkpss.merge.dedupe import SUBMITTER_RANK, deduplicate_services
from xlkpss.merge.errorgroups import error_sort_key
from xlkpss.merge.guards import mixed_inputs_message, previous_mismatch_message
from xlkpss.merge.infer import infer_territory, infer_year, level_of_inputs
from xlkpss.merge.lines import INPUT, Lines
from xlkpss.merge.model import LEVEL_WORDS, SHEET_COLUMNS, STATE_COLUMN, Consolidated
from xlkpss.merge.rows import drop_repeated_rows, excluded_rows_of_source, submission_rows, summary_rows
from xlkpss.merge.rules import (
    DEFAULT_THRESHOLD,
    FILE_ERROR_KEPT,
    LEVELS,
    MERGE_CODES,
    MERGE_INPUT_TABLES,
    SUMMARY_INTO,
    SUMMARY_TYPE,
    VIA_SEPARATOR,
    MergeError,
    MergeUsageError,
    core_service_codes,
)
from xlkpss.merge.source import NO_SERVICES_KEY, Source, make_sources
from xlkpss.merge.status import ACCEPTED
from xlkpss.merge.submitters import EXPECTED_KIND, lower_completeness, submission_lines
from xlkpss.perf import gc_paused

# the names below were defined here before the split (issue 12) and stay importable from here
__all__ = [
    "DEFAULT_THRESHOLD",
    "EXPECTED_KIND",
    "FILE_ERROR_KEPT",
    "LEVELS",
    "MERGE_CODES",
    "MERGE_INPUT_TABLES",
    "NO_SERVICES_KEY",
    "SUBMITTER_RANK",
    "SUMMARY_INTO",
    "SUMMARY_TYPE",
    "VIA_SEPARATOR",
    "MergeError",
    "MergeUsageError",
    "Source",
    "core_service_codes",
    "infer_territory",
    "infer_year",
    "merge_paths",
    "merge_results",
]


@gc_paused
def merge_results(
    results: Sequence[Any],
    *,
    level: str,
    territory: Territory,
    year: int,
    previous: Consolidated | None = None,
    core_services: Iterable[str] | None = None,
    strict: bool = False,
    generated: dt.date | str | None = None,
    summaries: Sequence[Consolidated] = (),
    threshold: float = DEFAULT_THRESHOLD,
    registry: Any = None,
    deadline: dt.date | None = None,
    reference: Consolidated | None = None,
    network: Any = None,
) -> Consolidated:
    """Merge validated submissions (and, for ``level="kraj"``, consolidated ORP workbooks;
    for ``level="stat"``, consolidated regional workbooks — submissions are refused there).

    ``territory`` is the ORP (level ``orp``), the kraj (level ``kraj``) or
    ``xlkpss.codelists.STATE`` (level ``stat``); ``previous`` a
    consolidated workbook of the previous year (read with ``read_consolidated``) for the
    year-over-year sheet; ``core_services`` the service types highlighted when missing
    (default: spec ``[gaps] core_services``); ``strict`` raises ``MergeError`` instead of
    excluding anything because of an error; ``generated`` is the date written into the
    workbook (default today — pass it for reproducible output); ``threshold`` is the
    year-over-year change in % that is flagged; ``registry`` (an
    ``xlkpss.registry.Registry``) and ``previous`` give the expected services,
    ``deadline`` the timeliness (``xlkpss.merge.expected``); ``reference`` a consolidated
    workbook whose services are peers of the queries (``xlkpss.merge.peers``); ``network`` (an
    ``xlkpss.merge.network.Network``) the sheet Síť vs skutečnost.
    """
    from xlkpss.merge import expected, peers, tables

    if level not in LEVELS:
        raise MergeError(f"neznámá úroveň {level!r}; použijte orp, kraj nebo stat")
    if territory.level != level:
        raise MergeError(f"území {territory.describe()} není {LEVEL_WORDS.get(level, level)}")
    gen = parse_iso(generated) if generated is not None else dt.date.today()
    if gen is None:
        raise MergeError(f"neplatné datum vytvoření {generated!r} (očekává se rrrr-mm-dd)")
    core = core_service_codes(core_services)

    lines = Lines()
    sources = make_sources(results, summaries)
    assign_status(sources, level, territory, year, lines)
    for src in sources:
        if src.status in ACCEPTED:
            if src.kind == "souhrn":
                summary_rows(src, lines)
            else:
                submission_rows(src, level, territory, lines)
        else:
            excluded_rows_of_source(src)
    check_something_merged(sources, level, territory, year)
    by_name = {s.name: s for s in sources}
    if level in ("kraj", "stat"):
        lines.services = drop_repeated_rows(lines.services, by_name, lines, "Služby")
        lines.activities = drop_repeated_rows(lines.activities, by_name, lines, "Plán")
        lines.projects = drop_repeated_rows(lines.projects, by_name, lines, "Projekty")
    deduplicate_services(lines, by_name)
    if strict:
        check_strict(sources, lines)

    services = sorted(lines.services, key=service_order())
    # queries against peers count as warnings of their files (before the statuses are counted)
    queries = peers.raise_queries(services, sources, territory=territory, reference=reference, previous=previous)
    submissions, stats = submission_lines(sources, level, territory)
    activities = tables.annotate_activities(lines.activities)
    projects = sorted(
        lines.projects,
        key=lambda r: (
            czech_key(r.get("nazev_obce") or r.get("nazev_orp") or ""),
            str(r.get("src_file")),
            r.get("src_row") or 0,
        ),
    )
    # what needs action first: excluded rows and files, warnings, then information
    errors = sorted(lines.errors, key=error_sort_key)
    conflicts = _unique(
        sorted(
            lines.conflicts,
            key=lambda r: (str(r.get("identifikator")), str(r.get("field")), str(r.get("other_submitter"))),
        )
    )

    meta: dict[str, Any] = {
        "kind": "souhrn",
        "level": level,
        "territory_code": territory.code,
        "territory_name": territory.name,
        "year": year,
        "generated": gen.isoformat(),
        "version": __version__,
        "completeness": stats["completeness"],
        "expected": stats["expected"],
        "delivered": stats["delivered"],
        "population": territory.population,
        "population_note": "počet obyvatel k 1. 1. 2019 (ČSÚ, neoficiální údaj v číselníku obcí)",
        "core_services": core,
        "threshold": float(threshold),
        "inputs": len(sources),
        "rows_read": sum(s.rows_read for s in sources),
        "rows_merged": sum(s.rows_merged for s in sources),
        "rows_excluded": sum(s.rows_excluded for s in sources),
        "resubmission_warnings": list(lines.warnings),
    }
    meta.update(lower_completeness(level, territory, sources, lines.nested_submissions))
    if previous is not None:
        meta["previous_year"] = clean_value(previous.meta.get("year"))
        meta["previous_file"] = str(previous.meta.get("file") or "")

    service_columns = list(SHEET_COLUMNS["services"])
    if level == "stat":
        # the whole-country totals select on this column (as a kraj's on kod_kraje)
        service_columns.insert(service_columns.index("nazev_kraje") + 1, STATE_COLUMN)
        for rec in services:
            rec[STATE_COLUMN] = territory.code

    def from_workbook(rec: dict[str, Any]) -> bool:
        """A row of a consolidated workbook: its values are clean (what the merge adds to it
        since — via, reported_by, the state code, the plan annotations — is clean too)."""
        src = by_name.get(rec.get(INPUT) or "")
        return src is not None and src.kind == "souhrn"

    c = Consolidated(meta=meta)
    records: dict[str, list[dict[str, Any]]] = {}  # what derive reads, as the frames hold it
    c.tables["submissions"], records["submissions"] = sheet_table("submissions", submissions)
    c.tables["services"], records["services"] = sheet_table(
        "services", services, service_columns, is_clean=from_workbook
    )
    c.tables["activities"], records["activities"] = sheet_table("activities", activities, is_clean=from_workbook)
    c.tables["projects"] = sheet_frame("projects", projects)
    c.tables["errors"] = sheet_frame("errors", errors)
    c.tables["conflicts"] = sheet_frame("conflicts", conflicts)
    c.tables["corrections"] = sheet_frame(
        "corrections",
        sorted(lines.corrections, key=lambda r: (str(r["src_file"]), str(r["src_sheet"]), r["src_row"] or 0, str(r["field"]))),
    )
    tables.derive(
        c, territory=territory, level=level, core=core, previous=previous, threshold=threshold, records=records
    )
    expected.complete(
        c, sources, level=level, territory=territory, year=year, registry=registry, previous=previous,
        deadline=deadline, registry_file=(registry.meta.get("file") if registry is not None else None),
    )  # fmt: skip
    peers.add_sheet(c, queries, reference=reference)
    if network is not None:
        from xlkpss.merge.network import NetworkError, compare

        try:
            delivered = {r["territory_code"] for r in submissions if r.get("expected") == "ano" and r.get("status") in ACCEPTED}
            compare(c, network, level=level, territory=territory, year=year, delivered=delivered if level == "kraj" else None)
        except NetworkError as exc:
            raise MergeError(f"--network: {exc}") from None
    return c


def _unique(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen = set()
    out = []
    for r in rows:
        key = tuple(sorted((k, str(v)) for k, v in r.items()))
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out


def service_order() -> Callable[[dict[str, Any]], tuple]:
    """The sort key of Služby (territory names in Czech order, then the type's place in
    its list, …), for one sort: the Czech key of each name and the place of each type are
    computed once per value (``typed``: 1 and 1.0 are different texts) — a national merge
    sorts 40,000 services of a few thousand names.  Clean values are hashable."""
    druhy = codelist("druhy_sluzeb")
    name_key = lru_cache(maxsize=None, typed=True)(czech_key)

    @lru_cache(maxsize=None, typed=True)
    def place(value: Any) -> int:
        position = druhy.position(value) if value else None
        return 999 if position is None else position

    def key(r: dict[str, Any]) -> tuple:
        return (
            name_key(r.get("nazev_orp") or ""),
            name_key(r.get("nazev_obce") or ""),
            place(r.get("druh")),
            str(r.get("identifikator") or ""),
            name_key(r.get("nazev_sluzby") or ""),
            str(r.get("forma") or ""),
            str(r.get("src_file") or ""),
            r.get("src_row") or 0,
        )

    return key


def merge_paths(
    paths: Iterable[str | os.PathLike],
    *,
    level: str | None = None,
    territory: Territory | None = None,
    year: int | None = None,
    previous: str | os.PathLike | None = None,
    core_services: Iterable[str] | None = None,
    strict: bool = False,
    generated: dt.date | str | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    exclude: Iterable[str | os.PathLike] = (),
    progress: Callable[[int, int], None] | None = None,
    engine: str = "calamine",
    registry: str | os.PathLike | None = None,
    deadline: dt.date | None = None,
    reference: str | os.PathLike | None = None,
    network: str | os.PathLike | None = None,
) -> Consolidated:
    """The whole merge from files and folders: consolidated workbooks are recognised
    (cheaply, by their ``_xlkpss`` sheet) before anything is validated; the level, the
    territory and the year are inferred from the files when not given and unique (ORP
    workbooks → kraj, regional workbooks → stat, submissions only → orp)."""
    from xlkpss.merge.workbook import ConsolidatedReadError, is_consolidated, read_consolidated
    from xlkpss.validate.engine import collect_paths, validate_paths

    skip = {Path(p).resolve() for p in [*exclude, *([network] if network is not None else [])]}
    files = [p for p in collect_paths(paths) if p.resolve() not in skip]
    if not files:
        raise MergeError("nenalezen žádný soubor .xlsx, .xlsm, .xls ani .ods ke sloučení")
    summary_paths = [p for p in files if is_consolidated(p)]
    raw = [p for p in files if p not in summary_paths]
    summaries: list[Consolidated] = []
    for p in summary_paths:
        try:
            summaries.append(read_consolidated(p, tables=MERGE_INPUT_TABLES))
        except ConsolidatedReadError as exc:
            raise MergeError(f"{p}: {exc}") from None
    if level is None:
        if territory is not None and territory.level in LEVELS:
            level = territory.level
        elif summaries and raw:
            # never guess: an old workbook in the folder must not turn an ORP merge regional
            raise MergeUsageError(mixed_inputs_message(raw, summary_paths))
        else:
            level = level_of_inputs(summaries, summary_paths)
    if level not in LEVELS:
        raise MergeError(f"neznámá úroveň {level!r}; použijte orp, kraj nebo stat")
    net = None
    if network is not None:  # a wrong network file stops the merge before the long validation
        from xlkpss.merge.network import NetworkError, read_network

        try:
            net = read_network(network, engine=engine)
        except NetworkError as exc:
            raise MergeError(f"--network: {exc}") from None
    # inputs of another level are not an abort: merge_results leaves each out with a line
    results = validate_paths(raw, expected_year=year, engine=engine, progress=progress) if raw else []
    if territory is None:
        territory = infer_territory(level, results, summaries)
    elif territory.level != level:
        raise MergeError(f"území {territory.describe()} neodpovídá úrovni {level} (použijte --{level} KÓD)")
    if year is None:
        year = infer_year(results, summaries, level)
    prev = None
    if previous is not None:
        if not is_consolidated(previous):
            raise MergeError(f"--previous: {previous} není souhrnný sešit xlkpss (vytvořený příkazem xlkpss merge)")
        try:
            prev = read_consolidated(previous, tables=("services", "submitter_completeness"))
        except ConsolidatedReadError as exc:
            raise MergeError(f"--previous: {exc}") from None
        wrong = previous_mismatch_message(Path(previous).name, prev.meta, level, territory.code, territory.describe(), year)
        if wrong:
            raise MergeError(wrong)
    ref = None
    if reference is not None:
        from xlkpss.merge.peers import ReferenceError, read_reference

        try:
            ref = read_reference(reference)
        except ReferenceError as exc:
            raise MergeError(str(exc)) from None
    reg = None
    if registry is not None:
        from xlkpss.registry import RegistryError, read_registry

        try:
            reg = read_registry(registry)
        except RegistryError as exc:
            raise MergeError(f"--registry: {exc}") from None
    return merge_results(
        results,
        level=level,
        territory=territory,
        year=year,
        previous=prev,
        core_services=core_services,
        strict=strict,
        generated=generated,
        summaries=summaries,
        threshold=threshold,
        registry=reg,
        deadline=deadline,
        reference=ref,
        network=net,
    )
