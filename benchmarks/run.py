"""End-to-end benchmark: validate all → ORP merges → regional (and national) merges → HTML.

    .venv/bin/python -m benchmarks.run --preset national          # ~8,460 files
    .venv/bin/python -m benchmarks.run --preset region            # one kraj, ~520 files (CI smoke test)
    .venv/bin/python -m benchmarks.run --preset region --orps 2   # its first two ORPs (~60 files)

The workload comes from :mod:`benchmarks.workload` (cached under /tmp/xlkpss-bench).
Printed per stage: wall time, rows/s, files/s and the peak resident memory so far
(``getrusage`` maxrss of this process and of the largest child).  In the same run:

- **raw read**: python-calamine reading every sheet of every file (``to_python``),
  nothing else, with the same number of processes — the floor for the read stage;
- **read stage**: ``read_workbook`` (sniffing, safety checks, formula-error scan,
  normalisation) of every file in the sandbox pool;
- **naive baseline**: one process, openpyxl ``load_workbook`` + a pandas DataFrame per
  sheet, then the same recognition, parsing, pandera schema and cross checks one file
  at a time.  On more files than ``--baseline-sample`` it runs on a random sample and
  the time is extrapolated per file (printed as such).

``--json PATH`` writes all figures and the reconciliation counts (used by the smoke test).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.workload import PRESETS, YEAR, Workload, generate

GENERATED = dt.date(YEAR + 1, 1, 15)


def _workers() -> int:
    return len(os.sched_getaffinity(0))


def cpu_s() -> float:
    """CPU seconds used so far by this process and its finished children."""
    a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime


def peak_mb() -> tuple[float, float]:
    """(this process, largest child) peak RSS in MB so far."""
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)


@dataclass
class Stage:
    name: str
    seconds: float
    files: int = 0
    rows: int = 0
    note: str = ""
    peak_self_mb: float = 0.0
    peak_child_mb: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)
    cpu: float = 0.0  # CPU seconds (this process + children that finished in the stage)

    def line(self) -> str:
        rate = []
        if self.rows:
            rate.append(f"{self.rows / self.seconds:,.0f} rows/s")
        if self.files:
            rate.append(f"{self.files / self.seconds:,.1f} files/s")
        return (
            f"{self.name:<36} {self.seconds:8.2f} s {f'{self.cpu:8.1f} s' if self.cpu else '       –  '}  {self.files:>6} {self.rows:>8}  "
            f"{', '.join(rate):<34} {self.peak_self_mb:,.0f} / {self.peak_child_mb:,.0f} MB  {self.note}"
        )


class Bench:
    def __init__(self, log: Callable[[str], None] = print):
        self.stages: list[Stage] = []
        self.log = log

    @contextmanager
    def stage(self, name: str, files: int = 0, rows: int = 0, note: str = ""):
        st = Stage(name, 0.0, files, rows, note)
        t0, c0 = time.perf_counter(), cpu_s()
        yield st
        st.seconds = time.perf_counter() - t0
        st.cpu = cpu_s() - c0
        st.peak_self_mb, st.peak_child_mb = peak_mb()
        self.stages.append(st)
        self.log(st.line())

    def get(self, name: str) -> Stage | None:
        return next((s for s in self.stages if s.name == name), None)


# --------------------------------------------------------------------------------------
# reference readers (run in worker processes)
# --------------------------------------------------------------------------------------


def _raw_calamine(path: str) -> int:
    import python_calamine as pc

    cells = 0
    with pc.CalamineWorkbook.from_path(path) as wb:
        for name in wb.sheet_names:
            for row in wb.get_sheet_by_name(name).to_python(skip_empty_area=False):
                cells += len(row)
    return cells


#: the sheets validation reads from a filled template (the others are never parsed)
_USED_SHEETS = ("_xlkpss", "Identifikace", "Služby", "Plán", "Projekty")


def _raw_calamine_used(path: str) -> int:
    import python_calamine as pc

    cells = 0
    with pc.CalamineWorkbook.from_path(path) as wb:
        for name in wb.sheet_names:
            if name in _USED_SHEETS:
                for row in wb.get_sheet_by_name(name).to_python(skip_empty_area=False):
                    cells += len(row)
    return cells


def _read_stage(path: str) -> int:
    """What validation does to get the cell values: sniff + safety checks, lazy read,
    recognition (which loads the sheets it needs, normalised, formula errors found)."""
    from xlkpss.read.files import read_workbook
    from xlkpss.read.recognise import recognise

    wb = read_workbook(path, lazy=True)
    sub = recognise(wb)
    return sum(len(d.records) for d in sub.sheets.values())


def _pool_map(func: Callable[[str], Any], paths: list[str], workers: int) -> list[Any]:
    import multiprocessing as mp

    with mp.get_context("fork").Pool(workers) as pool:
        return pool.map(func, paths, chunksize=16)


def naive_parse(path: Path):
    """The naive reader: openpyxl (full load) + one pandas DataFrame per sheet."""
    import warnings

    import openpyxl
    import pandas as pd

    from xlkpss.read.model import RawSheet, RawWorkbook
    from xlkpss.read.normalise import norm_value, trim_row
    from xlkpss.validate.engine import parse_workbook

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        owb = openpyxl.load_workbook(path, data_only=True)
    sheets = []
    for ws in owb.worksheets:
        df = pd.DataFrame(ws.values, dtype=object)  # object: keep None and ints as they are
        rows = [trim_row([norm_value(v) for v in rec]) for rec in df.itertuples(index=False, name=None)]
        while rows and not rows[-1]:
            rows.pop()
        sheets.append(RawSheet(ws.title, rows, hidden=ws.sheet_state != "visible"))
    raw = RawWorkbook(path=Path(path), format="xlsx", sheets=sheets)
    return parse_workbook(Path(path), raw)


def naive_validate(paths: list[Path]) -> list[Any]:
    from xlkpss.validate.engine import validate_parsed

    return [validate_parsed([naive_parse(p)])[0] for p in paths]


def _naive_chunk(paths: list[str]) -> tuple[float, list[tuple[int, int, tuple]]]:
    t0 = time.perf_counter()
    res = naive_validate([Path(p) for p in paths])
    return time.perf_counter() - t0, [(r.rows, r.rows_excluded(), _issue_key(r)) for r in res]


def _issue_key(r) -> tuple:
    return tuple(sorted((i.code, i.sheet or "", i.cell or "") for i in r.issues))


# --------------------------------------------------------------------------------------
# single-file latency
# --------------------------------------------------------------------------------------


def _cli_wall(args: list[str], repeat: int = 5) -> float:
    exe = Path(sys.executable).with_name("xlkpss")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "xlkpss"]
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd + args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - t0)
    times.sort()
    return times[len(times) // 2]


# --------------------------------------------------------------------------------------


def run(
    w: Workload,
    *,
    out_dir: Path,
    workers: int | None = None,
    baseline_sample: int | None = None,
    skip_baseline: bool = False,
    skip_reference: bool = False,
    seed: int = 1,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    from xlkpss.read.sandbox import map_safely

    workers = workers or _workers()
    bench = Bench(log)
    paths = w.paths()
    n_files, n_rows = len(paths), w.total_rows()
    n_cells_rows = n_rows + n_files  # table rows + one identification record per file
    out_dir.mkdir(parents=True, exist_ok=True)
    for sub in ("orp", "kraj"):
        (out_dir / sub).mkdir(exist_ok=True)
    load = os.getloadavg()[0]
    log(f"machine: {workers} CPUs usable, load average before the run {load:.1f}" + ("  (busy machine: wall times inflated, compare CPU times)" if load > 0.5 else ""))
    log(f"workload {w.root} — {n_files} files, {n_rows:,} table rows, {sum(f.bytes for f in w.files) / 1e6:.1f} MB, "
        f"{sum(f.libreoffice for f in w.files)} saved by LibreOffice; {workers} worker processes; "
        f"{'reused cache' if w.reused else f'generated in {w.generated_s:.1f} s'}")
    log(f"{'stage':<36} {'wall':>10} {'CPU':>10}  {'files':>6} {'rows':>8}  {'rate (wall)':<34} peak RSS self / child")

    # -- 1–3. the whole country through the library entry `xlkpss merge --level stat
    #    --orp-workbooks … --kraj-workbooks … --html …` runs (xlkpss.merge.territory) ----------
    from xlkpss.codelists import STATE
    from xlkpss.merge.territory import merge_territory

    t_all, c_all = time.perf_counter(), cpu_s()
    marks: dict[str, float] = {}

    def progress(stage: str, done: int, total: int) -> None:
        if done >= total:
            marks.setdefault(stage, time.perf_counter())

    html_path = out_dir / "souhrn_cr.html"
    national_path = out_dir / "souhrn_cr.xlsx"
    terr = merge_territory(
        [w.root / "files"], output=national_path, orp_dir=out_dir / "orp", kraj_dir=out_dir / "kraj", territory=STATE,
        generated=GENERATED, html=html_path, workers=workers, progress=progress,
    )  # fmt: skip
    end_to_end = time.perf_counter() - t_all
    tm = terr.timings
    files = sorted((i, *terr.validated[str(p)][:2], terr.validated[str(p)][3], terr.validated[str(p)][2], len(terr.validated[str(p)][3]))
                   for i, p in enumerate(paths) if str(p) in terr.validated)  # fmt: skip
    parse = Stage("validate: read+parse (workers)", tm["read_s"], n_files, n_cells_rows, "sandboxed pool", *peak_mb())
    bench.stages.append(parse)
    log(parse.line())
    st = Stage("checks + ORP + regional workbooks", tm["orp_kraj_s"], len(terr.orp_meta) + len(terr.kraj_meta), n_rows,
               f"{len(terr.orp_meta)} ORP + {len(terr.kraj_meta)} regional workbooks, one kraj a worker, each level in memory "
               f"(as_written); in workers: schema+checks {tm['checks_s']:.1f} s + ORP merge_results {tm['orp_merge_s']:.1f} s "
               f"+ write {tm['orp_write_s']:.1f} s; regional merge_results {tm['kraj_merge_s']:.1f} s + write {tm['kraj_write_s']:.1f} s",
               *peak_mb())  # fmt: skip
    bench.stages.append(st)
    log(st.line())
    checks_cpu = tm["checks_s"]
    validate_s = parse.seconds + checks_cpu / max(1, min(workers, len(terr.kraj_meta)))
    bench.stages.append(Stage("validate (total)", validate_s, n_files, n_cells_rows,
                              f"read+parse {parse.seconds:.1f} s + schema+checks {checks_cpu:.1f} s in the kraj workers / {workers}",
                              *peak_mb()))
    log(bench.stages[-1].line())
    bench.stages.append(Stage("merge: national result", tm["stat_merge_s"], len(terr.kraj_meta), n_rows, "merge_results", *peak_mb()))
    log(bench.stages[-1].line())
    bench.stages.append(Stage("national workbook ‖ HTML summary", tm["stat_write_s"], 1, n_rows,
                              "write_consolidated ‖ render_summary in a forked process", *peak_mb()))
    log(bench.stages[-1].line())
    bench.stages.append(Stage("END TO END (validate → HTML)", end_to_end, n_files, n_rows, "xlkpss.merge.territory.merge_territory",
                              *peak_mb(), cpu=cpu_s() - c_all))
    log(bench.stages[-1].line())
    pipeline_peak = max(peak_mb())
    rows_validated = sum(f[1] for f in files)
    rows_excluded_validation = sum(f[2] for f in files)
    issues = sum(f[5] for f in files)
    orp_out = [{"orp": o, "path": str(terr.orp_workbooks[o]), **{k: m[k] for k in ("rows_read", "rows_merged", "rows_excluded")}}
               for o, m in sorted(terr.orp_meta.items())]  # fmt: skip
    kraj_out = [{"kraj": k, "path": str(terr.kraj_workbooks[k]), **{x: m[x] for x in ("rows_read", "rows_merged", "rows_excluded")}}
                for k, m in sorted(terr.kraj_meta.items())]  # fmt: skip
    html_out = [{"path": str(html_path), "bytes": html_path.stat().st_size}]
    national = str(national_path)
    national_meta = dict(terr.consolidated.meta)
    del terr

    # -- reconciliation ------------------------------------------------------------------
    rows_read = sum(o["rows_read"] for o in orp_out)
    rows_merged = sum(o["rows_merged"] for o in orp_out)
    rows_excluded = sum(o["rows_excluded"] for o in orp_out)
    recon = {
        "files_generated": n_files,
        "files_validated": len(files),
        "rows_generated": n_rows,
        "rows_validated": rows_validated,
        "rows_read_by_orp_merges": rows_read,
        "rows_merged": rows_merged,
        "rows_excluded": rows_excluded,
        "rows_excluded_expected": w.expected_excluded(),
        "rows_excluded_by_validation": rows_excluded_validation,
        "files_rejected": sum(f[4] for f in files),
        "files_rejected_expected": sum(f.rejected for f in w.files),
        "issues": issues,
        "orp_workbooks": len(orp_out),
        "kraj_workbooks": len(kraj_out),
        "kraj_rows_read": sum(k["rows_read"] for k in kraj_out),
        "kraj_rows_merged": sum(k["rows_merged"] for k in kraj_out),
        "html_pages": len(html_out),
        "national": national is not None,
        "national_rows_read": national_meta["rows_read"] if national else None,
        "national_rows_merged": national_meta["rows_merged"] if national else None,
    }
    ok = (
        recon["files_validated"] == n_files
        and rows_read == n_rows
        and rows_merged + rows_excluded == n_rows
        and rows_excluded == recon["rows_excluded_expected"]
    )
    log(f"reconciliation: files {len(files)}/{n_files}; rows generated {n_rows:,} = merged {rows_merged:,} + excluded {rows_excluded:,} "
        f"(expected excluded {recon['rows_excluded_expected']:,}); rejected files {recon['files_rejected']} "
        f"(expected {recon['files_rejected_expected']}) — {'OK' if ok else 'MISMATCH'}")
    fast_keys = [(f[1], f[2], f[3]) for f in files]

    # -- reference reads and the naive baseline ------------------------------------------
    ratio = {}
    if not skip_reference:
        str_paths = [str(p) for p in paths]
        with bench.stage("reference: raw python-calamine read", n_files, n_cells_rows, f"{workers} processes, all sheets, to_python only"):
            _pool_map(_raw_calamine, str_paths, workers)
        with bench.stage("reference: raw calamine, used sheets", n_files, n_cells_rows, f"{workers} processes, {'/'.join(_USED_SHEETS)}"):
            _pool_map(_raw_calamine_used, str_paths, workers)
        with bench.stage("read stage (sandbox, lazy+recognise)", n_files, n_cells_rows, f"{workers} processes"):
            for _p, _o in map_safely(_read_stage, str_paths, workers=workers):
                pass
        raw = bench.get("reference: raw python-calamine read")
        used = bench.get("reference: raw calamine, used sheets")
        read = bench.get("read stage (sandbox, lazy+recognise)")
        ratio["read_vs_raw_calamine"] = read.seconds / raw.seconds
        ratio["read_vs_raw_calamine_cpu"] = read.cpu / raw.cpu
        ratio["read_vs_raw_calamine_used_sheets_cpu"] = read.cpu / used.cpu
        log(f"read stage / raw calamine read of the same files: {read.seconds / raw.seconds:.2f}× wall, {read.cpu / raw.cpu:.2f}× CPU "
            f"(vs raw calamine of only the sheets validation uses: {read.cpu / used.cpu:.2f}× CPU)")
    if not skip_baseline:
        sample = list(range(n_files))
        limit = baseline_sample if baseline_sample is not None else (n_files if n_files <= 600 else 400)
        if limit < n_files:
            sample = sorted(random.Random(seed).sample(sample, limit))
        with bench.stage("naive baseline: openpyxl+pandas/file", len(sample), sum(sum(w.files[i].rows.values()) + 1 for i in sample), "1 process") as st:
            secs, base = _run_isolated(_naive_chunk, [str(paths[i]) for i in sample])
        est = secs * n_files / len(sample)
        st.extra["estimated_full_s"] = est
        same = sum(fast_keys[i] == b for i, b in zip(sample, base))
        recon["baseline_same_results"] = same
        recon["baseline_files"] = len(sample)
        log(f"naive baseline gives the same rows, exclusions and issues for {same} of {len(sample)} files")
        note = f"measured on {len(sample)} of {n_files} files, extrapolated per file" if len(sample) < n_files else "all files"
        ratio["baseline_vs_validate"] = est / validate_s
        log(f"naive baseline: {est:.1f} s for {n_files} files ({note}); validate {validate_s:.1f} s → {est / validate_s:.1f}× faster")
        log(f"naive baseline end to end estimate (+ the same merges and HTML): {est + end_to_end - validate_s:.1f} s → "
            f"{(est + end_to_end - validate_s) / end_to_end:.1f}× faster end to end")
        ratio["baseline_vs_end_to_end"] = (est + end_to_end - validate_s) / end_to_end

    # -- latency of one submission and of --help -------------------------------------------
    # a typical submission: the obec services file with the median number of rows
    obce = sorted((f.rows.get("sluzby", 0), str(p)) for p, f in zip(paths, w.files) if f.role == "obec" and not f.rejected and not f.libreoffice)
    typical = Path(obce[len(obce) // 2][1]) if obce else paths[0]
    latency = {"validate_one_s": _cli_wall(["validate", "-q", str(typical)]), "help_s": _cli_wall(["--help"])}
    latency["typical_file"] = typical.name
    latency["typical_rows"] = obce[len(obce) // 2][0] if obce else None
    log(f"one submission ({latency['typical_rows']} rows, median obec): `xlkpss validate -q {typical.name}` {latency['validate_one_s']:.2f} s "
        f"including process start; `xlkpss --help` {latency['help_s']:.3f} s (median of 5)")

    return {
        "workload": {"root": str(w.root), "preset": w.preset, "seed": w.seed, "files": n_files, "rows": n_rows, "bytes": sum(f.bytes for f in w.files),
                     "libreoffice": sum(f.libreoffice for f in w.files), "generated_s": w.generated_s, "reused": w.reused},
        "machine": {"cpus": workers, "python": sys.version.split()[0], "platform": sys.platform, "load_before": load},
        "stages": [s.__dict__ for s in bench.stages],
        "reconciliation": recon,
        "reconciled": ok,
        "ratios": ratio,
        "latency": latency,
        "pipeline_peak_mb": pipeline_peak,
        "orp": orp_out,
        "kraj": kraj_out,
        "html": html_out,
    }


def _run_isolated(func, arg):
    """Run ``func(arg)`` in a child process (its memory does not count as the pipeline's)."""
    import multiprocessing as mp

    with mp.get_context("fork").Pool(1) as pool:
        return pool.apply(func, (arg,))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", choices=sorted(PRESETS), default="region")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--orps", type=int, help="keep only the first N ORPs of the territory (region preset)")
    ap.add_argument("--libreoffice", type=int, help="files re-saved through LibreOffice (default per preset)")
    ap.add_argument("--root", type=Path, help="workload cache folder (default /tmp/xlkpss-bench)")
    ap.add_argument("--out", type=Path, help="where merged workbooks and HTML go (default <workload>/out)")
    ap.add_argument("--workers", type=int)
    ap.add_argument("--baseline-sample", type=int, help="files for the naive baseline (default: all up to 600, else 400)")
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--no-reference", action="store_true", help="skip the raw calamine and read-stage reference runs")
    ap.add_argument("--json", type=Path, help="write all figures here")
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    kw = {"root": a.root} if a.root else {}
    w = generate(a.preset, seed=a.seed, orps=a.orps, libreoffice=a.libreoffice, **kw)
    gen_s = time.perf_counter() - t0
    print(f"workload ready in {gen_s:.1f} s")
    res = run(w, out_dir=a.out or (w.root / "out"), workers=a.workers, baseline_sample=a.baseline_sample,
              skip_baseline=a.no_baseline, skip_reference=a.no_reference, seed=a.seed)
    if a.json:
        a.json.write_text(json.dumps(res, ensure_ascii=False, indent=1, default=str))
    return 0 if res["reconciled"] else 1


if __name__ == "__main__":
    sys.exit(main())
