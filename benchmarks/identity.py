"""Byte-identity of every output of the real pipeline (to prove a restructuring changes nothing).

``python -m benchmarks.identity save`` runs the whole job on the bundled samples into a
temporary folder — the demo (blank templates, validation report text + JSON, annotated
copies, consolidated ORP workbooks of 4203 and 4204, the regional workbook CZ042 and the
national one, their HTML summaries, the catalogue page and open-data CSV, the registry
workbook, next year's pre-filled templates and their index, the fulfilment workbook and
page), plus the CSV validation report and the roll-over of each sample plan — and records
the SHA-256 of every file in ``benchmarks/IDENTITY.json``. ``check`` runs it again and
lists every file that is new, missing or different (exit 1).

What is normalised, and why (found by running the pipeline twice, seconds apart and into two
folders, and comparing every byte; everything else is hashed as written):

* the merge date is fixed with ``generated`` and the roll-over date with ``today`` — the
  same inputs the CLI's ``--generated`` / ``--date`` give;
* the checkout's absolute path is replaced by ``<ROOT>`` (and the temporary folder by
  ``<OUT>``) in text outputs and text members of workbooks: the JSON and CSV validation
  reports name each input file by its path, and the hashes must not depend on where the
  repository lives;
* workbooks (``.xlsx``) are hashed member by member — name, order, compression method and
  content — not as zip files: the annotated copies (written by openpyxl) stamp every zip
  entry with the local time of writing and ``docProps/core.xml`` with a
  ``dcterms:modified`` of now, which is blanked. The xlsxwriter outputs (templates, merged
  workbooks, registry, fulfilment, roll-over) vary in nothing;
* the catalogue PDF (only written when Chromium is installed) is left out: Chromium puts
  its own creation date and document id into it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import io
import json
import re
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "IDENTITY.json"
GENERATED = dt.date(2026, 3, 31)
ROLLOVER_DAY = dt.date(2026, 12, 15)
#: outputs that are not deterministic by nature (see the module docstring)
SKIPPED_SUFFIXES = (".pdf",)
#: openpyxl writes the time of saving here
_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")
_TEXT_SUFFIXES = (".txt", ".json", ".csv", ".html", ".xml", ".rels", ".vml")


def run_pipeline(out: Path) -> None:
    """Everything the samples produce, written into ``out``."""
    from xlkpss.commands.demo import run_demo, samples_dir
    from xlkpss.fsutil import write_text_atomic
    from xlkpss.plan import load_plans
    from xlkpss.plan.rollover import write_rollover
    from xlkpss.validate.engine import collect_paths, validate_paths
    from xlkpss.validate.report import to_csv

    run_demo(out / "demo", generated=GENERATED)
    src = samples_dir()
    inputs = collect_paths([src])
    results = validate_paths(inputs)
    write_text_atomic(out / "kontrola.csv", to_csv(results), protect=set(inputs))
    for plan_file in sorted(src.glob("orp_*/plan_*.xlsx")):
        (plan,) = load_plans([plan_file])
        write_rollover(plan, out / "rollover" / plan_file.name, to_year=plan.year + 1, today=ROLLOVER_DAY)


def _normalise(data: bytes, out: Path) -> bytes:
    for path, mark in ((str(out.resolve()), b"<OUT>"), (str(out), b"<OUT>"), (str(ROOT), b"<ROOT>")):
        data = data.replace(path.encode(), mark)
        # JSON escapes nothing in a POSIX path, but an HTML/XML writer may: cover the common case
        data = data.replace(path.replace("/", "\\/").encode(), mark)
    return data


def file_digest(path: Path, out: Path) -> str:
    data = path.read_bytes()
    if path.suffix.lower() in (".xlsx", ".xlsm") and zipfile.is_zipfile(io.BytesIO(data)):
        h = hashlib.sha256()
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for info in zf.infolist():
                member = zf.read(info)
                if info.filename.lower().endswith(_TEXT_SUFFIXES):
                    member = _normalise(member, out)
                if info.filename == "docProps/core.xml":
                    member = _MODIFIED.sub(rb"\1\2", member)
                h.update(info.filename.encode() + b"\0" + str(info.compress_type).encode() + b"\0")
                h.update(hashlib.sha256(member).digest())
        return h.hexdigest()
    if path.suffix.lower() in _TEXT_SUFFIXES:
        data = _normalise(data, out)
    return hashlib.sha256(data).hexdigest()


def digests(out: Path) -> dict[str, str]:
    return {
        p.relative_to(out).as_posix(): file_digest(p, out)
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.suffix.lower() not in SKIPPED_SUFFIXES
    }


def compute() -> dict[str, str]:
    with tempfile.TemporaryDirectory(prefix="xlkpss-identity-") as tmp:
        out = Path(tmp) / "out"
        run_pipeline(out)
        return digests(out)


def compare(golden: dict[str, str], now: dict[str, str]) -> list[str]:
    lines = []
    for name in sorted(set(golden) | set(now)):
        if name not in now:
            lines.append(f"missing:   {name}")
        elif name not in golden:
            lines.append(f"new:       {name}")
        elif golden[name] != now[name]:
            lines.append(f"different: {name}")
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.identity", description=__doc__.split("\n")[0])
    ap.add_argument("action", choices=("save", "check"))
    ap.add_argument("--golden", type=Path, default=GOLDEN)
    args = ap.parse_args(argv)
    now = compute()
    if args.action == "save":
        args.golden.write_text(json.dumps(now, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"{len(now)} outputs recorded in {args.golden}")
        return 0
    golden = json.loads(args.golden.read_text(encoding="utf-8"))
    diff = compare(golden, now)
    if diff:
        print("\n".join(diff))
        print(f"{len(diff)} of {len(set(golden) | set(now))} outputs differ from {args.golden.name}", file=sys.stderr)
        return 1
    print(f"all {len(now)} outputs identical to {args.golden.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
