"""One read of every workload file, as a whole process, for paired timing against the floor.

    .venv/bin/python -m benchmarks.readfloor --preset national raw     # python-calamine, used sheets only
    .venv/bin/python -m benchmarks.readfloor --preset national stage   # validation's read stage (sandboxed)
    .venv/bin/python -m benchmarks.readfloor --preset national parse   # read stage + parsing every value

Each mode uses the same number of worker processes (the CPUs usable); time them in
turns with any whole-process timer to get the read stage's ratio to its floor.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmarks.run import _pool_map, _raw_calamine_used, _read_stage, _workers
from benchmarks.workload import PRESETS, generate


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=("raw", "stage", "parse"))
    ap.add_argument("--preset", choices=sorted(PRESETS), default="region")
    ap.add_argument("--root", type=Path)
    a = ap.parse_args(argv)
    w = generate(a.preset, **({"root": a.root} if a.root else {}), log=lambda *_: None)
    paths = [str(p) for p in w.paths()]
    if a.mode == "raw":
        _pool_map(_raw_calamine_used, paths, _workers())
    else:
        from xlkpss.read.sandbox import map_safely
        from xlkpss.validate.engine import parse_paths

        if a.mode == "stage":
            for _p, _o in map_safely(_read_stage, paths, workers=_workers()):
                pass
        else:
            parse_paths(paths, workers=_workers())
    print(len(paths))
    return 0


if __name__ == "__main__":
    sys.exit(main())
