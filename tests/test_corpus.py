"""Every file of the third-party corpus (../shared/corpus, ~2,000 real-world and
hostile spreadsheets) goes through the sandboxed reader and ends as a RawWorkbook or
a ReadError: no other exception, no hang.

Never runs in CI (the corpus is not part of the repository); locally:
``pytest -m corpus -s tests/test_corpus.py`` prints a summary.
"""

from __future__ import annotations

import collections
import csv
import os
import time
from pathlib import Path

import pytest

from xlkpss.read.files import read_workbook
from xlkpss.read.model import RawWorkbook, ReadError
from xlkpss.read.safety import ReadLimits
from xlkpss.read.sandbox import map_safely

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.slow,
    pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is absent"),
    pytest.mark.skipif(bool(os.environ.get("CI")), reason="the corpus is never read in CI"),
]

LIMITS = ReadLimits(timeout_s=20)
OOXML = (".xlsx", ".xlsm", ".xltx", ".xltm")


def _files() -> list[Path]:
    # the corpus root holds its own bookkeeping (survey.csv, PROVENANCE.md, scripts)
    return sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.parent != CORPUS)


def _read(path: Path) -> RawWorkbook:
    return read_workbook(path, limits=LIMITS)


def _compare(path: Path) -> str:
    """'same' / 'different' / 'unread' for one OOXML file read by both engines."""
    try:
        a = read_workbook(path, engine="calamine", limits=LIMITS)
        b = read_workbook(path, engine="openpyxl", limits=LIMITS)
    except ReadError:
        return "unread"
    return "same" if a == b else "different"


def _cells(wb: RawWorkbook) -> int:
    return sum(v is not None for s in wb.sheets for row in s.rows for v in row)


def _cells_openpyxl(path: Path) -> int:
    return _cells(read_workbook(path, engine="openpyxl", limits=LIMITS))


def test_every_corpus_file_is_a_workbook_or_a_read_error() -> None:
    files = _files()
    started = time.monotonic()
    outcomes: collections.Counter[str] = collections.Counter()
    examples: dict[str, str] = {}
    for path, outcome in map_safely(_read, files, limits=LIMITS):
        if isinstance(outcome, RawWorkbook):
            key = f"ok {outcome.format}"
        else:
            assert isinstance(outcome, ReadError), (path, outcome)
            key = outcome.code
        outcomes[key] += 1
        examples.setdefault(key, str(path.relative_to(CORPUS)))
    elapsed = time.monotonic() - started
    print(f"\ncorpus: {len(files)} files in {elapsed:.1f} s")
    for key, count in outcomes.most_common():
        print(f"  {key:22} {count:5}   e.g. {examples[key]}")
    assert sum(outcomes.values()) == len(files)
    # nothing in the corpus needs anywhere near the time limit once sniffing has
    # refused the crafted containers (oleloop.xls is a loop in the sector chain)
    assert outcomes["file-timeout"] == 0
    # the corpus is mostly readable workbooks (about 90 %); a drop means a regression
    assert sum(v for k, v in outcomes.items() if k.startswith("ok ")) > 0.8 * len(files)


def test_both_engines_agree_on_the_corpus() -> None:
    files = [p for p in _files() if p.suffix.lower() in OOXML]
    results = collections.Counter(r for _, r in map_safely(_compare, files, limits=ReadLimits(timeout_s=60)))
    print(f"\nengines on {len(files)} OOXML files: {dict(results)}")
    # the known differences are calamine quirks (time formats over 24 h, some number
    # formats not seen as dates, whitespace inside <v>, rare _xHHHH_ escapes)
    assert results["different"] <= 0.03 * (results["same"] + results["different"])


def test_stale_dimensions_read_in_full() -> None:
    """Files where openpyxl read_only trusted a stale <dimension> and lost data
    (survey.csv: fewer cells without ``reset_dimensions()``) read in full here."""
    survey = CORPUS / "survey.csv"
    if not survey.is_file():
        pytest.skip("survey.csv is absent")
    stale: dict[Path, int] = {}
    with survey.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["openpyxl_status"] == row["openpyxlreset_status"] == "ok" and (
                int(row["openpyxl_cells"] or 0) < int(row["openpyxlreset_cells"] or 0)
            ):
                stale[CORPUS / row["file"]] = int(row["openpyxl_cells"])
    stale = {p: n for p, n in stale.items() if p.is_file()}
    assert stale, "survey.csv lists stale-dimension files"
    for path, outcome in map_safely(_cells_openpyxl, list(stale), limits=LIMITS):
        assert not isinstance(outcome, ReadError), (path, outcome)
        assert outcome > stale[path], (path, outcome, stale[path])
