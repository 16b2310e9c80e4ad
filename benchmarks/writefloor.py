"""The floor for writing consolidated workbooks, next to ``write_consolidated`` on the same data.

    .venv/bin/python -m benchmarks.writefloor OUT/kraj/*.xlsx [--repeat 3]

For the given workbooks (written by a merge): read each back (``read_consolidated``),
then time, in this process, best of ``--repeat``:

- **write_consolidated** of every result (what the pipeline does with ORP and regional
  workbooks: in its worker processes, without deflate threads);
- **emit floor**: every non-empty cell of every sheet of the written files (read with
  python-calamine) turned into its minimal cell XML — one f-string a cell
  (``<c r="B7" t="s"><v>12</v></c>``, strings through a shared-string dict), rows joined and
  encoded; no styles, no formulas, no widths;
- **deflate floor**: zlib (xlsxwriter's level 6, and level 1 for comparison) of every part
  of the written files as they are.

floor = emit + deflate(6).  The ratio write / floor is what README and issue 19 quote.
"""

from __future__ import annotations

import argparse
import sys
import time
import zipfile
import zlib
from pathlib import Path


def _cols(n: int) -> list[str]:
    out = []
    for i in range(n):
        s, k = "", i + 1
        while k:
            k, r = divmod(k - 1, 26)
            s = chr(65 + r) + s
        out.append(s)
    return out


def sheets_of(paths: list[Path]) -> list[list[list]]:
    import python_calamine as pc

    out = []
    for p in paths:
        with pc.CalamineWorkbook.from_path(str(p)) as wb:
            for name in wb.sheet_names:
                out.append(wb.get_sheet_by_name(name).to_python(skip_empty_area=False))
    return out


def emit(sheets: list[list[list]]) -> tuple[int, int]:
    """Minimal cell XML for every non-empty cell; (cells, bytes)."""
    cols = _cols(max((len(r) for s in sheets for r in s), default=1))
    cells = size = 0
    for rows in sheets:
        sst: dict[str, int] = {}
        parts = []
        for i, row in enumerate(rows, 1):
            cs = []
            for j, v in enumerate(row):
                if v == "" or v is None:
                    continue
                if isinstance(v, str):
                    k = sst.setdefault(v, len(sst))
                    cs.append(f'<c r="{cols[j]}{i}" t="s"><v>{k}</v></c>')
                else:
                    cs.append(f'<c r="{cols[j]}{i}"><v>{v}</v></c>')
            cells += len(cs)
            parts.append(f'<row r="{i}">{"".join(cs)}</row>')
        size += len("".join(parts).encode())
    return cells, size


def deflate(parts: list[bytes], level: int) -> int:
    n = 0
    for p in parts:
        co = zlib.compressobj(level, zlib.DEFLATED, -15)
        n += len(co.compress(p)) + len(co.flush())
    return n


def measure(paths: list[Path], repeat: int = 3, log=print) -> dict[str, float]:
    from xlkpss.merge.workbook import read_consolidated, write_consolidated
    from xlkpss.merge.xlsxrows import forget_deflated

    results = [read_consolidated(p) for p in paths]
    sheets = sheets_of(paths)
    parts = []
    for p in paths:
        with zipfile.ZipFile(p) as z:
            parts += [z.read(n) for n in z.namelist()]
    tmp = Path("/tmp") / f"xlkpss-writefloor-{id(paths)}.xlsx"

    def best(f, before=lambda: None) -> float:
        f()  # warm
        times = []
        for _ in range(repeat):
            before()
            t = time.process_time()
            f()
            times.append(time.process_time() - t)
        return min(times)

    # the writer deflates a small part once per process and distinct content: emptied
    # before each timed round, so that every round pays what a run of these workbooks pays
    # (the parts they share are deflated once, each workbook's own parts every time)
    w = best(lambda: [write_consolidated(c, tmp, deflate_threads=False) for c in results], forget_deflated)
    tmp.unlink(missing_ok=True)
    e = best(lambda: emit(sheets))
    d6 = best(lambda: deflate(parts, 6))
    d1 = best(lambda: deflate(parts, 1))
    cells, _ = emit(sheets)
    fig = {"workbooks": len(paths), "cells": cells, "xml_mb": sum(map(len, parts)) / 1e6, "write_s": w, "emit_s": e,
           "deflate6_s": d6, "deflate1_s": d1, "floor_s": e + d6, "ratio": w / (e + d6)}  # fmt: skip
    log(f"{len(paths)} workbooks, {cells:,} non-empty cells, {fig['xml_mb']:.0f} MB of XML: write_consolidated {w:.2f} s CPU; "
        f"floor = emit {e:.2f} s + deflate(6) {d6:.2f} s = {e + d6:.2f} s (deflate(1) {d1:.2f} s) → {fig['ratio']:.2f}× the floor")
    return fig


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("paths", nargs="+", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args(argv)
    measure(a.paths, a.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
