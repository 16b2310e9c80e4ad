"""A whole kraj, or the whole country, from the submissions in one run.

``xlkpss merge dosle/ --kraj CZ042 --orp-workbooks DIR -o souhrn_kraj.xlsx`` writes the
workbook of every ORP of the kraj that has a file, then the regional workbook; with
``--level stat --kraj-workbooks DIR2`` also every regional workbook and the national
one.  The outputs are byte for byte those of the separate commands::

    xlkpss merge FILES_OF_ORP --orp KÓD -o DIR/souhrn_orp_KÓD.xlsx     (each ORP)
    xlkpss merge DIR/souhrn_orp_*.xlsx --kraj KÓD -o souhrn_kraj.xlsx  (each kraj)
    xlkpss merge DIR2/souhrn_kraj_*.xlsx --level stat -o souhrn_cr.xlsx

but in one process tree: every file is read and parsed once, in one sandboxed worker
pool; then forked workers (one task a kraj, or for a single kraj one task an ORP) run the
schema and cross checks in one batch, the ORP merges and workbooks and hand each level to
the next in memory (``as_written``: what reading the written workbook back returns).

*FILES_OF_ORP* — which files a separate ORP merge gets — is decided from what each file
declares (``orp_of_parsed``): an obec's or an ORP's file goes to the ORP of its obec
(else of its declared ORP); a provider's file to its declared ORP and to every other
ORP of the territory where one of its services is provided.  Files of another kraj are
left out with a note; files that name no ORP at all (unreadable ones) cannot be placed
and are reported — the run then ends with an error, since such a file is in no workbook.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xlkpss.codelists import STATE, Territory, municipalities, orps, regions
from xlkpss.codelists import territory as make_territory
from xlkpss.fsutil import resolve_paths
from xlkpss.merge.consolidate import DEFAULT_THRESHOLD, MergeError, MergeUsageError, infer_year, merge_results
from xlkpss.merge.model import Consolidated
from xlkpss.merge.workbook import as_written, write_consolidated

__all__ = ["TerritoryPlan", "TerritoryRun", "merge_territory", "orp_of_parsed", "orp_workbook_name", "kraj_workbook_name", "plan_territory"]

#: progress(stage, done, total); stage is one of STAGES
Progress = Callable[[str, int, int], None]
STAGES = {"read": "Čtu a kontroluji soubory", "orp": "Slučuji ORP", "kraj": "Slučuji kraje"}


def orp_workbook_name(code: str) -> str:
    return f"souhrn_orp_{code}.xlsx"


def kraj_workbook_name(code: str) -> str:
    return f"souhrn_kraj_{code}.xlsx"


def _first(values: dict[str, list[Any]], key: str) -> Any:
    v = values.get(key) or [None]
    return v[0]


def orp_of_parsed(pf: Any) -> tuple[str | None, set[str]]:
    """(the ORP a parsed file declares, further ORPs of a provider's services)."""
    ident = pf.sheets.get("identifikace")
    values = ident.values if ident is not None else {}
    obec, orp = _first(values, "kod_obce"), _first(values, "kod_orp")
    home = None
    provider = _first(values, "typ_predkladatele") == "poskytovatel"
    if obec and not provider and str(obec) in municipalities():
        home = municipalities()[str(obec)].orp
    elif orp and str(orp) in orps():
        home = str(orp)
    more: set[str] = set()
    if provider:
        for sheet in pf.sheets.values():
            for code in sheet.values.get("obec", ()) if sheet.key != "identifikace" else ():
                m = municipalities().get(str(code)) if code else None
                if m is not None:
                    more.add(m.orp)
    more.discard(home)
    return home, more


@dataclass
class TerritoryPlan:
    """Which parsed file goes to which ORP merge."""

    #: ORP code → indices of its files (input order)
    files_of: dict[str, list[int]] = field(default_factory=dict)
    #: kraj code → its ORP codes that have files (code order)
    orps_of: dict[str, list[str]] = field(default_factory=dict)
    #: files of another territory: (path, note)
    outside: list[tuple[Path, str]] = field(default_factory=list)
    #: files that name no ORP: (path, why)
    unplaced: list[tuple[Path, str]] = field(default_factory=list)


def plan_territory(parsed: Sequence[Any], territory: Territory) -> TerritoryPlan:
    """Assign parsed files to the ORPs of ``territory`` (a kraj or ``STATE``)."""
    plan = TerritoryPlan()
    files_of: dict[str, list[int]] = {}
    for i, pf in enumerate(parsed):
        home, more = orp_of_parsed(pf)
        if home is None and not more:
            first = next((x for x in pf.issues if x.severity == "error"), None)
            why = first.body() if first is not None else "soubor neuvádí obec ani ORP"
            plan.unplaced.append((Path(pf.path), why))
            continue
        mine = [o for o in ([home] if home else []) + sorted(more) if territory.level == "stat" or orps()[o]["kod_kraje"] == territory.code]
        if not mine:
            plan.outside.append((Path(pf.path), f"předkladatel neleží v území {territory.describe()}"))
            continue
        for o in mine:
            files_of.setdefault(o, []).append(i)
    plan.files_of = dict(sorted(files_of.items()))
    for o in plan.files_of:
        plan.orps_of.setdefault(orps()[o]["kod_kraje"], []).append(o)
    return plan


@dataclass
class TerritoryRun:
    """What ``merge_territory`` wrote."""

    consolidated: Consolidated  # the top level (regional or national), as merged
    output: Path
    orp_workbooks: dict[str, Path] = field(default_factory=dict)
    kraj_workbooks: dict[str, Path] = field(default_factory=dict)
    #: ORP / kraj code → meta of its merge (row counts, completeness)
    orp_meta: dict[str, dict[str, Any]] = field(default_factory=dict)
    kraj_meta: dict[str, dict[str, Any]] = field(default_factory=dict)
    plan: TerritoryPlan = field(default_factory=TerritoryPlan)
    files: int = 0
    #: every validated file: path → (rows, rows excluded, rejected, issues as (code, sheet, cell))
    validated: dict[str, tuple[int, int, bool, tuple]] = field(default_factory=dict)
    html: Path | None = None
    #: per stage: wall seconds (and, inside the workers, summed seconds of the steps)
    timings: dict[str, float] = field(default_factory=dict)


# state of one run, inherited by the forked workers (copy on write)
_JOB: dict[str, Any] = {}


def _protected(out: Path) -> list[Path]:
    """The input ``out`` would overwrite, if any (``write_consolidated`` then refuses): the
    inputs are resolved once, not for each of the 220 workbooks."""
    return [out] if out.resolve() in _JOB["protect"] else []


def _merge_orp(code: str, results: list[Any]) -> tuple[Consolidated, dict[str, float]]:
    opts = _JOB["options"]
    t0 = time.perf_counter()
    year = opts["year"] if opts["year"] is not None else infer_year(results, [])
    try:
        c = merge_results(results, level="orp", territory=make_territory(orp=code), year=year, **opts["merge"])
    except MergeError as exc:
        raise MergeError(f"ORP {orps()[code]['nazev_orp']} ({code}): {exc}") from None
    t1 = time.perf_counter()
    out = Path(_JOB["orp_dir"]) / orp_workbook_name(code)
    # a task of _run_tasks: the cores are the workers' (or one was asked for), no deflate threads
    write_consolidated(c, out, protect_inputs=_protected(out), deflate_threads=False)
    t2 = time.perf_counter()
    return as_written(c, out), {"orp_merge_s": t1 - t0, "orp_write_s": t2 - t1}


def _merge_kraj(
    code: str, summaries: list[Consolidated], html: Path | None = None, *, in_worker: bool = False
) -> tuple[Consolidated, dict[str, float]]:
    opts = _JOB["options"]
    t0 = time.perf_counter()
    year = opts["year"] if opts["year"] is not None else infer_year([], summaries)
    try:
        c = merge_results([], level="kraj", territory=make_territory(kraj=code), year=year, summaries=summaries, **opts["merge"])
    except MergeError as exc:
        raise MergeError(f"{regions()[code]['nazev_kraje']} ({code}): {exc}") from None
    t1 = time.perf_counter()
    out = Path(_JOB["kraj_dir"]) / kraj_workbook_name(code) if _JOB["level"] == "stat" else Path(_JOB["output"])
    if html is not None:
        _write_top(c, out, html)
    else:
        write_consolidated(c, out, protect_inputs=_protected(out), deflate_threads=not in_worker)
    t2 = time.perf_counter()
    return (as_written(c, out) if _JOB["level"] == "stat" else c), {"kraj_merge_s": t1 - t0, "kraj_write_s": t2 - t1}


def _render(path: str) -> str:
    from xlkpss.render.summary import render_summary

    return str(render_summary(_JOB["top"], path))


def _write_top(c: Consolidated, out: Path, html: Path | None) -> None:
    """The top workbook, and its HTML summary (from the same result) in a forked process
    side by side."""
    if html is None:
        write_consolidated(c, out, protect_inputs=_protected(out))
        return
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    _JOB["top"] = c
    with ProcessPoolExecutor(1, mp_context=mp.get_context("fork"), initializer=_freeze_inherited) as ex:
        page = ex.submit(_render, str(html))
        write_consolidated(c, out, protect_inputs=_protected(out))
        page.result()


def _validated(indices: Iterable[int]) -> dict[int, Any]:
    from xlkpss.validate.engine import validate_parsed

    mine = sorted(set(indices))
    t0 = time.perf_counter()
    out = dict(zip(mine, validate_parsed([_JOB["parsed"][i] for i in mine], expected_year=_JOB["options"]["year"])))
    _JOB.setdefault("t", {})["checks_s"] = time.perf_counter() - t0
    return out


def _task(task: tuple[str, tuple[str, ...]]) -> tuple[str, dict[str, tuple[Any, dict]], dict[str, float], dict[str, tuple]]:
    """One task of a worker: ``("kraj", (KRAJ,))`` — its files checked, its ORP workbooks
    and its regional workbook; ``("orp", (ORP, …))`` — those ORPs only."""
    what, codes = task
    plan: TerritoryPlan = _JOB["plan"]
    orp_codes = plan.orps_of[codes[0]] if what == "kraj" else list(codes)
    _JOB["t"] = {}
    validated = _validated(i for o in orp_codes for i in plan.files_of[o])
    timings: dict[str, float] = {"checks_s": _JOB["t"]["checks_s"]}
    files = {
        str(r.path): (int(r.rows), int(r.rows_excluded()), bool(r.rejected), tuple(sorted((i.code, i.sheet or "", i.cell or "") for i in r.issues)))
        for r in validated.values()
    }
    done: dict[str, tuple[Consolidated, dict]] = {}
    for o in orp_codes:
        c, t = _merge_orp(o, [validated[i] for i in plan.files_of[o]])
        done[o] = (c, dict(c.meta))
        for k, v in t.items():
            timings[k] = timings.get(k, 0.0) + v
    if what == "orp":
        return what, {o: (c, meta) for o, (c, meta) in done.items()}, timings, files
    kraj = codes[0]
    c, t = _merge_kraj(kraj, [done[o][0] for o in orp_codes], in_worker=True)
    timings.update(t)
    metas = {o: (None, meta) for o, (_c, meta) in done.items()}
    metas[kraj] = (c, dict(c.meta))
    return what, metas, timings, files


def _freeze_inherited() -> None:
    """In a forked worker: what it inherited (every parsed file of the run) is never walked
    by the garbage collector again — each walk touched every inherited object, which cost
    collector time and made the kernel copy the parent's memory page by page."""
    import gc

    gc.freeze()


def _run_tasks(tasks: list[tuple[str, tuple[str, ...]]], workers: int, progress: Progress | None, stage: str):
    """Yield the tasks' results as they finish, in forked workers (they inherit ``_JOB``)."""
    import multiprocessing as mp
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    total = len(tasks)
    if progress:
        progress(stage, 0, total)
    if workers <= 1 or total <= 1:
        for n, t in enumerate(tasks, 1):
            yield _task(t)
            if progress:
                progress(stage, n, total)
        return
    with ProcessPoolExecutor(min(workers, total), mp_context=mp.get_context("fork"), initializer=_freeze_inherited) as ex:
        pending = {ex.submit(_task, t) for t in tasks}
        n = 0
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for f in finished:
                n += 1
                yield f.result()  # a MergeError of a worker is raised here
                if progress:
                    progress(stage, n, total)


def _default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def merge_territory(
    paths: Iterable[str | os.PathLike],
    *,
    output: str | os.PathLike,
    orp_dir: str | os.PathLike,
    kraj_dir: str | os.PathLike | None = None,
    territory: Territory | None = None,
    year: int | None = None,
    core_services: Iterable[str] | None = None,
    strict: bool = False,
    generated: dt.date | str | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    exclude: Iterable[str | os.PathLike] = (),
    html: str | os.PathLike | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
    engine: str = "calamine",
) -> TerritoryRun:
    """Every ORP workbook of ``territory`` (a kraj; ``STATE`` also every regional
    workbook into ``kraj_dir``) and the top workbook ``output``, from filled templates.

    Raises ``MergeUsageError`` for consolidated workbooks among the inputs and
    ``MergeError`` when a level cannot be merged (as the separate merge would).  ``html``:
    also the HTML summary of the top level, rendered while its workbook is written."""
    from xlkpss.validate.engine import collect_paths, parse_paths

    territory = territory or STATE
    if territory.level not in ("kraj", "stat"):
        raise MergeUsageError("souhrn celého území se dělá za kraj (--kraj KÓD) nebo za Českou republiku (--level stat)")
    if territory.level == "stat" and kraj_dir is None:
        raise MergeUsageError("souhrn za Českou republiku ze šablon potřebuje složku pro souhrny krajů (--kraj-workbooks)")
    output = Path(output)
    orp_dir = Path(orp_dir)
    html = Path(html) if html is not None else None
    dirs = [d.resolve() for d in (orp_dir, Path(kraj_dir) if kraj_dir else None) if d is not None]
    skip = {Path(p).resolve() for p in (output, *exclude, *([html] if html else []))}
    listed = collect_paths(paths)
    resolved = dict(zip(listed, resolve_paths(listed)))
    files = [p for p in listed if resolved[p] not in skip]
    if not files:
        raise MergeError("nenalezen žádný soubor .xlsx, .xlsm, .xls ani .ods ke sloučení")
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    workers = workers or _default_workers()
    parsed = parse_paths(
        files, engine=engine, workers=workers, progress=(lambda d, n: progress("read", d, n)) if progress else None
    )
    timings["read_s"] = time.perf_counter() - t0
    # consolidated workbooks: earlier outputs of this command are skipped, others refused
    summaries = [pf for pf in parsed if pf.meta.get("kind") == "souhrn"]
    if summaries:
        earlier = {id(pf) for pf in summaries if any(d in Path(pf.path).resolve().parents for d in dirs)}
        others = [Path(pf.path) for pf in summaries if id(pf) not in earlier]
        if others:
            from xlkpss.merge.guards import mixed_inputs_message

            raise MergeUsageError(
                mixed_inputs_message([Path(pf.path) for pf in parsed if pf.meta.get("kind") != "souhrn"], others)
            )
        parsed = [pf for pf in parsed if id(pf) not in earlier]
        files = [Path(pf.path) for pf in parsed]
    plan = plan_territory(parsed, territory)
    if not plan.files_of:
        raise MergeError(f"v území {territory.describe()} neleží žádný z dodaných souborů; souhrn nebyl vytvořen")
    orp_dir.mkdir(parents=True, exist_ok=True)
    if kraj_dir is not None and territory.level == "stat":
        Path(kraj_dir).mkdir(parents=True, exist_ok=True)
    merge_opts = {"core_services": list(core_services) if core_services is not None else None, "strict": strict,
                  "generated": generated, "threshold": threshold}
    _JOB.clear()
    _JOB.update(parsed=parsed, plan=plan, options={"year": year, "merge": merge_opts}, orp_dir=str(orp_dir),
                kraj_dir=str(kraj_dir) if kraj_dir else None, output=str(output), level=territory.level,
                protect={resolved.get(p) or p.resolve() for p in files})
    run = TerritoryRun(consolidated=Consolidated(meta={}), output=output, plan=plan, files=len(files))
    steps: dict[str, float] = {}

    def add(t: dict[str, float]) -> None:
        for k, v in t.items():
            steps[k] = steps.get(k, 0.0) + v

    t1 = time.perf_counter()
    try:
        got: dict[str, Consolidated] = {}
        if territory.level == "kraj" or len(plan.orps_of) < workers:
            # one task an ORP (every core busy on one kraj); the regional merges here
            rows = {o: len(ix) for o, ix in plan.files_of.items()}
            tasks = [("orp", (o,)) for o in sorted(plan.files_of, key=lambda o: -rows[o])]
            of_orp: dict[str, Consolidated] = {}
            for _what, res, t, vf in _run_tasks(tasks, workers, progress, "orp"):
                add(t)
                run.validated.update(vf)
                for o, (c, meta) in res.items():
                    of_orp[o] = c
                    run.orp_meta[o] = meta
            for kraj, codes in sorted(plan.orps_of.items()):
                top = territory.level == "kraj"
                c, t = _merge_kraj(kraj, [of_orp[o] for o in codes], html=html if top else None)
                add(t)
                run.kraj_meta[kraj] = dict(c.meta)
                if top:
                    run.consolidated = c
                else:
                    got[kraj] = c
            del of_orp
        else:
            # one task a kraj, the largest first (the workers finish together)
            size = {k: sum(len(plan.files_of[o]) for o in os_) for k, os_ in plan.orps_of.items()}
            tasks = [("kraj", (k,)) for k in sorted(plan.orps_of, key=lambda k: -size[k])]
            for _what, res, t, vf in _run_tasks(tasks, workers, progress, "kraj"):
                add(t)
                run.validated.update(vf)
                for code, (c, meta) in res.items():
                    if code in regions():
                        got[code] = c
                        run.kraj_meta[code] = meta
                    else:
                        run.orp_meta[code] = meta
        del parsed
        _JOB.pop("parsed", None)
        timings["orp_kraj_s"] = time.perf_counter() - t1
        if territory.level == "stat":
            t2 = time.perf_counter()
            summaries_k = [got[k] for k in sorted(got)]
            nat_year = year if year is not None else infer_year([], summaries_k)
            c = merge_results([], level="stat", territory=STATE, year=nat_year, summaries=summaries_k, **merge_opts)
            del summaries_k, got
            t3 = time.perf_counter()
            _write_top(c, output, html)
            steps["stat_merge_s"], steps["stat_write_s"] = t3 - t2, time.perf_counter() - t3
            run.consolidated = c
    finally:
        _JOB.clear()
    run.orp_workbooks = {o: orp_dir / orp_workbook_name(o) for o in sorted(run.orp_meta)}
    if territory.level == "stat":
        run.kraj_workbooks = {k: Path(kraj_dir) / kraj_workbook_name(k) for k in sorted(run.kraj_meta)}  # type: ignore[arg-type]
    else:
        run.kraj_workbooks = {territory.code: output}
    run.html = html
    timings.update(steps)
    timings["total_s"] = time.perf_counter() - t0
    run.timings = timings
    return run
