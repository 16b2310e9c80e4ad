"""The national benchmark at CI size: generator → validate → ORP/kraj merges → HTML.

No timing assertions: the figures are printed by ``python -m benchmarks.run``.  What is
asserted is that the counts reconcile (every generated file validated, every generated
row merged or excluded, exactly the rows made wrong on purpose excluded) and that the
fast paths give the same results as the reference ones on the same files: calamine
(lazy sheets) vs openpyxl, lazy vs eager reading, batched vs one-file-at-a-time
validation, and a generated file vs the same content written by ``build_template``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.fingerprint import records, result_record
from benchmarks.workload import generate

LIBREOFFICE = 2 if shutil.which("soffice") or shutil.which("libreoffice") else 0


@pytest.fixture(scope="module")
def workload(tmp_path_factory):
    root = tmp_path_factory.mktemp("bench")
    return generate("region", orps=2, libreoffice=LIBREOFFICE, seed=7, root=root, log=lambda *_: None)


def test_generated_workload_matches_its_manifest(workload):
    files = workload.paths()
    assert len(files) > 30 and all(p.is_file() for p in files)
    roles = {f.role for f in workload.files}
    assert roles == {"obec", "orp", "poskytovatel"}
    assert sum(f.libreoffice for f in workload.files) == LIBREOFFICE
    plans = [f for f in workload.files if f.kind == "plan"]
    assert plans and all(50 <= f.rows["plan"] <= 300 for f in plans)
    assert workload.expected_excluded() >= 0
    # cached: the second call reuses the files
    again = generate("region", orps=2, libreoffice=LIBREOFFICE, seed=7, root=workload.root.parent, log=lambda *_: None)
    assert again.reused and [f.path for f in again.files] == [f.path for f in workload.files]


def test_benchmark_end_to_end_reconciles(tmp_path):
    """The region preset (one kraj, ~520 files) end to end, as the issue asks of CI."""
    out = tmp_path / "result.json"
    cmd = [
        sys.executable, "-m", "benchmarks.run", "--preset", "region", "--libreoffice", str(LIBREOFFICE),
        "--seed", "7", "--root", str(tmp_path / "cache"), "--out", str(tmp_path / "out"), "--baseline-sample", "6",
        "--json", str(out),
    ]  # fmt: skip
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    workload = generate("region", libreoffice=LIBREOFFICE, seed=7, root=tmp_path / "cache", log=lambda *_: None)
    assert workload.reused and len(workload.files) > 400
    res = json.loads(out.read_text())
    rec = res["reconciliation"]
    assert res["reconciled"]
    assert rec["files_validated"] == rec["files_generated"] == len(workload.files)
    assert rec["rows_validated"] == rec["rows_generated"] == workload.total_rows()
    assert rec["rows_merged"] + rec["rows_excluded"] == rec["rows_generated"]
    assert rec["rows_excluded"] == rec["rows_excluded_expected"] == workload.expected_excluded()
    assert rec["files_rejected"] == rec["files_rejected_expected"]
    assert rec["orp_workbooks"] == 16 and rec["kraj_workbooks"] == 1 and rec["html_pages"] == 1
    assert rec["kraj_rows_read"] == rec["rows_merged"]
    assert rec["national"] and rec["national_rows_read"] == rec["kraj_rows_merged"] == rec["national_rows_merged"]
    assert rec["baseline_same_results"] == rec["baseline_files"] == 6
    assert all(Path(h["path"]).stat().st_size > 1000 for h in res["html"])
    for name in ("validate (total)", "checks + ORP + regional workbooks", "merge: national result",
                 "national workbook ‖ HTML summary", "reference: raw python-calamine read"):
        assert any(s["name"] == name for s in res["stages"]), name
    assert "rows/s" in proc.stdout and "files/s" in proc.stdout and "MB" in proc.stdout


def test_calamine_and_openpyxl_give_identical_results(workload):
    from xlkpss.validate.engine import validate_paths

    files = workload.paths()
    fast = records(validate_paths(files, engine="calamine", workers=2))
    ref = records(validate_paths(files, engine="openpyxl", workers=2))
    assert fast == ref


def test_lazy_reading_equals_eager_reading(workload):
    from xlkpss.read.files import read_workbook

    for path in workload.paths():
        lazy = read_workbook(path, lazy=True)
        eager = read_workbook(path)
        assert [s.name for s in lazy.sheets] == [s.name for s in eager.sheets]
        assert lazy.sheets == eager.sheets and lazy.truncated == eager.truncated


def test_batched_validation_equals_one_file_at_a_time(workload):
    from xlkpss.validate.engine import parse_file, validate_parsed

    parsed = [parse_file(p) for p in workload.paths()]
    batched = [result_record(r) for r in validate_parsed(parsed)]
    alone = [result_record(validate_parsed([pf])[0]) for pf in [parse_file(p) for p in workload.paths()]]
    assert batched == alone


def test_generated_file_validates_like_build_template_output(workload, tmp_path):
    """The generator patches rows into a skeleton; the same content written by the real
    template writer must give the same validation result."""
    from xlkpss.codelists import territory
    from xlkpss.read.files import read_workbook
    from xlkpss.read.recognise import recognise
    from xlkpss.spec import get_template
    from xlkpss.template import build_template
    from xlkpss.validate.engine import validate_paths

    entries = [f for f in workload.files if not f.libreoffice and f.role in ("obec", "orp")][:1]
    entries += [f for f in workload.files if not f.libreoffice and f.kind == "plan"][:1]
    for entry in entries:
        path = workload.files_dir / entry.path
        sub = recognise(read_workbook(path))
        t = get_template(entry.kind)
        prefill = dict(sub.sheets["identifikace"].records[0][1])
        rows = {key: [rec for _row, rec in data.records] for key, data in sub.sheets.items() if key != "identifikace"}
        twin = tmp_path / f"twin_{Path(entry.path).name}"
        build_template(entry.kind, twin, scope=territory(orp=entry.kod_orp), prefill=prefill, rows=rows)
        a, b = (result_record(r) for r in validate_paths([path, twin], workers=1))
        for rec in (a, b):
            rec.pop("file"), rec.pop("sha256")
        assert a == b, t.kind
