"""A canonical, comparable form of validation results (to prove optimisations change nothing).

``result_record(r)`` turns one ``FileResult`` into plain data: every issue with all its
fields *in order*, the typed identification, every frame (columns, dtypes, values with
NA kept distinct) and the derived flags.  ``python -m benchmarks.fingerprint save|check
FOLDER --golden G.json`` validates FOLDER and stores or compares the records per file;
``--engine openpyxl`` compares the reference reader against a golden made by calamine.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path
from typing import Any


def _val(v: Any) -> Any:
    try:
        import pandas as pd

        if v is pd.NA:
            return "<NA>"
    except ImportError:  # pragma: no cover
        pass
    if isinstance(v, float) and v != v:
        return "<nan>"
    if v is None:
        return None
    if isinstance(v, (bool, int, float, str)):
        return [type(v).__name__, v]
    return [type(v).__name__, repr(v)]


def frame_record(df) -> dict[str, Any]:
    return {
        "columns": [str(c) for c in df.columns],
        "dtypes": [str(t) for t in df.dtypes],
        "index": [int(i) for i in df.index],
        "values": [[_val(v) for v in row] for row in df.itertuples(index=False, name=None)],
    }


def result_record(r, *, with_path: bool = False) -> dict[str, Any]:
    rec = {
        "file": Path(r.path).name,
        "sha256": r.sha256,
        "format": r.format,
        "application": r.application,
        "kind": r.kind,
        "version": r.version,
        "issues": [
            [i.code, i.severity, i.sheet, i.cell, i.row, i.column, i.value, sorted(i.params.items()), i.field_key, i.explained, i.message("cs")]
            for i in r.issues
        ],
        "ident": {k: _val(v) for k, v in sorted(r.ident.items())},
        "frames": {k: frame_record(df) for k, df in r.frames.items()},
        "sheet_names": dict(r.sheet_names),
        "valid": r.valid,
        "rejected": r.rejected,
        "rows": r.rows,
        "rows_excluded": r.rows_excluded(),
    }
    if with_path:
        rec["path"] = str(r.path)
    return rec


def digest(rec: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(rec, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def records(results) -> dict[str, dict[str, Any]]:
    return {str(r.path): result_record(r) for r in results}


def diff(a: dict[str, Any], b: dict[str, Any], limit: int = 5) -> list[str]:
    """Human-readable differences between two records (first few)."""
    out = []
    for key in a:
        if a[key] != b.get(key):
            if key == "frames":
                for fk in set(a[key]) | set(b[key]):
                    fa, fb = a[key].get(fk), b[key].get(fk)
                    if fa != fb:
                        if fa is None or fb is None:
                            out.append(f"frame {fk}: {'missing' if fa is None else 'present'} vs {'missing' if fb is None else 'present'}")
                            continue
                        for part in fa:
                            if fa[part] != fb[part]:
                                if part == "values":
                                    for n, (ra, rb) in enumerate(zip(fa[part], fb[part])):
                                        if ra != rb:
                                            cols = [c for c, x, y in zip(fa["columns"], ra, rb) if x != y]
                                            out.append(f"frame {fk} row {n}: {cols}: {[x for x, y in zip(ra, rb) if x != y]} vs {[y for x, y in zip(ra, rb) if x != y]}")
                                            break
                                    if len(fa[part]) != len(fb[part]):
                                        out.append(f"frame {fk}: {len(fa[part])} vs {len(fb[part])} rows")
                                else:
                                    out.append(f"frame {fk} {part}: {fa[part]} vs {fb[part]}")
            elif key == "issues":
                ia, ib = a[key], b.get(key) or []
                for n in range(max(len(ia), len(ib))):
                    x = ia[n] if n < len(ia) else None
                    y = ib[n] if n < len(ib) else None
                    if x != y:
                        out.append(f"issue {n}: {x} vs {y}")
                        if len(out) >= limit:
                            break
            else:
                out.append(f"{key}: {a[key]!r} vs {b.get(key)!r}")
        if len(out) >= limit:
            break
    return out[:limit]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("action", choices=["save", "check"])
    ap.add_argument("paths", nargs="+", type=Path)
    ap.add_argument("--golden", type=Path, required=True)
    ap.add_argument("--engine", default="calamine")
    ap.add_argument("--workers", type=int)
    a = ap.parse_args(argv)
    from xlkpss.validate.engine import validate_paths

    t0 = time.perf_counter()
    results = validate_paths(a.paths, engine=a.engine, workers=a.workers)
    secs = time.perf_counter() - t0
    recs = records(results)
    print(f"validated {len(results)} files in {secs:.2f} s")
    if a.action == "save":
        a.golden.write_text(json.dumps(recs, ensure_ascii=False, default=str))
        print(f"saved {a.golden}")
        return 0
    golden = json.loads(a.golden.read_text())
    recs = json.loads(json.dumps(recs, ensure_ascii=False, default=str))
    bad = 0
    for path, rec in golden.items():
        got = recs.get(path)
        if got is None:
            print(f"MISSING {path}")
            bad += 1
            continue
        if got != rec:
            bad += 1
            if bad <= 10:
                print(f"DIFF {path}")
                for line in diff(rec, got):
                    print(f"    {line}")
    extra = set(recs) - set(golden)
    for p in sorted(extra)[:5]:
        print(f"EXTRA {p}")
    print(f"{len(golden) - bad} of {len(golden)} identical" + (f", {len(extra)} extra" if extra else ""))
    return 1 if bad or extra else 0


if __name__ == "__main__":
    sys.exit(main())
