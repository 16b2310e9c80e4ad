"""The whole pipeline on the samples writes exactly the recorded bytes (``benchmarks/IDENTITY.json``).

A restructuring must not change any output. An intended change of output is re-recorded with
``python -m benchmarks.identity save`` in the same commit (see README, *Restructuring safely*).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import identity


def test_outputs_identical_to_recorded():
    golden = json.loads(identity.GOLDEN.read_text(encoding="utf-8"))
    now = identity.compute()
    # the recorded set covers every stage: templates, reports, annotated copies, every merge level, pages
    assert {"demo/souhrn_cr.xlsx", "demo/souhrn_kraj_CZ042.xlsx", "kontrola.csv"} <= set(golden)
    assert any(n.startswith("demo/kontrola/oznacene/") for n in golden)
    assert any(n.startswith("rollover/") for n in golden)
    diff = identity.compare(golden, now)
    assert not diff, "outputs changed (re-record with `python -m benchmarks.identity save` if intended):\n" + "\n".join(diff)


def test_check_notices_a_changed_byte(tmp_path):
    out = tmp_path / "out"
    (out / "a").mkdir(parents=True)
    (out / "a" / "x.txt").write_text(f"{identity.ROOT}/samples/x.xlsx\n", encoding="utf-8")
    first = identity.digests(out)
    (out / "a" / "x.txt").write_text(f"{identity.ROOT}/samples/y.xlsx\n", encoding="utf-8")
    assert identity.compare(first, identity.digests(out)) == ["different: a/x.txt"]
    (out / "a" / "x.txt").unlink()
    assert identity.compare(first, identity.digests(out)) == ["missing:   a/x.txt"]
