"""CPU of ``merge_results`` per level, in one process, on inputs captured from a real run.

    .venv/bin/python -m benchmarks.mergecpu capture DIR -- merge FILES --level stat --orp-workbooks … --kraj-workbooks … -o …
    .venv/bin/python -m benchmarks.mergecpu time DIR [--level stat|kraj|orp] [--repeat 3]

``capture`` runs the given ``xlkpss`` command (the whole-country CLI command of
``xlkpss.merge.territory``) with ``merge_results`` wrapped: the inputs of the national
merge, of every regional merge and of the ORP merges of one kraj (``--kraj``, default
CZ020 — the kraj with the most ORP) are pickled into DIR, each with the result it gave.
``time`` runs each captured merge again (inputs unpickled outside the timed part: a merge
changes its inputs), prints the CPU seconds (``time.process_time``, best of ``--repeat``)
per level, and checks that every result equals the captured one, the type of every value
included (``1`` and ``1.0`` are written differently).  Profile it with
``py-spy record --rate 100 --format raw -o F -- python -m benchmarks.mergecpu time DIR``.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import pickle
import sys
import time
from pathlib import Path
from typing import Any


def _canon(v: Any) -> Any:
    if isinstance(v, dict):
        return ("dict", tuple((_canon(k), _canon(x)) for k, x in v.items()))
    if isinstance(v, (list, tuple)):
        return (type(v).__name__, tuple(_canon(x) for x in v))
    return (type(v).__name__, repr(v))


def fingerprint(c: Any) -> str:
    """SHA-256 of a ``Consolidated``: meta, sheets in order, columns, dtypes, index and every
    value with its type."""
    h = hashlib.sha256()
    h.update(repr(_canon(c.meta)).encode())
    h.update(repr(list(c.tables)).encode())
    for key, df in c.tables.items():
        h.update(repr((key, list(df.columns), [str(d) for d in df.dtypes], repr(df.index))).encode())
        for col in df.columns:
            h.update(repr(_canon(list(df[col]))).encode())
    return h.hexdigest()


def capture(out: Path, kraj: str, argv: list[str]) -> None:
    import xlkpss.merge.territory as territory_module
    from xlkpss.cli import run
    from xlkpss.codelists import orps

    out.mkdir(parents=True, exist_ok=True)
    merge = territory_module.merge_results

    def wrapped(results: Any, **kw: Any) -> Any:
        level, code = kw["level"], kw["territory"].code
        keep = level in ("stat", "kraj") or orps()[code]["kod_kraje"] == kraj
        inputs = pickle.dumps((results, kw), protocol=5) if keep else b""
        c = merge(results, **kw)
        if keep:  # forked workers write their own merges
            (out / f"{level}_{code}.pkl").write_bytes(inputs)
            (out / f"{level}_{code}.out.pkl").write_bytes(pickle.dumps(c, protocol=5))
        return c

    territory_module.merge_results = wrapped
    sys.argv = ["xlkpss", *argv]
    run()


def time_merges(folder: Path, level: str | None, repeat: int) -> bool:
    from xlkpss.merge.consolidate import merge_results

    ok = True
    inputs = sorted(p for p in folder.glob("*.pkl") if not p.name.endswith(".out.pkl"))
    by_level: dict[str, list[Path]] = {}
    for p in inputs:
        lvl = p.name.split("_", 1)[0]
        if level in (None, lvl):
            by_level.setdefault(lvl, []).append(p)
    for lvl in ("orp", "kraj", "stat"):
        paths = by_level.get(lvl, [])
        if not paths:
            continue
        blobs = [p.read_bytes() for p in paths]
        best = None
        for r in range(repeat):
            total = 0.0
            for p, blob in zip(paths, blobs):
                results, kw = pickle.loads(blob)
                gc.collect()
                t0 = time.process_time()
                c = merge_results(results, **kw)
                total += time.process_time() - t0
                if r == 0:
                    want = pickle.loads(p.with_name(p.name[: -len(".pkl")] + ".out.pkl").read_bytes())
                    if fingerprint(c) != fingerprint(want):
                        ok = False
                        print(f"DIFFERENT: {p.name}")
            best = total if best is None else min(best, total)
        print(f"{lvl}: {len(paths)} merges, CPU {best:.3f} s (best of {repeat})")
    print("results identical to the captured ones" if ok else "RESULTS DIFFER")
    return ok


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["capture"]:
        if "--" not in args:
            print("usage: mergecpu capture DIR [--kraj KÓD] -- XLKPSS-ARGS…", file=sys.stderr)
            return 2
        cut = args.index("--")
        ap = argparse.ArgumentParser(prog="mergecpu capture")
        ap.add_argument("dir", type=Path)
        ap.add_argument("--kraj", default="CZ020")
        ns = ap.parse_args(args[1:cut])
        capture(ns.dir, ns.kraj, args[cut + 1 :])
        return 0
    ap = argparse.ArgumentParser(prog="mergecpu")
    ap.add_argument("command", choices=["time"])
    ap.add_argument("dir", type=Path)
    ap.add_argument("--level", choices=["orp", "kraj", "stat"])
    ap.add_argument("--repeat", type=int, default=3)
    ns = ap.parse_args(args)
    return 0 if time_merges(ns.dir, ns.level, ns.repeat) else 1


if __name__ == "__main__":
    raise SystemExit(main())
