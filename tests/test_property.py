"""Property tests: arbitrary cell content in every column of a real workbook gives issues, never exceptions.

Each example writes a generated template with hypothesis-chosen values in every column
(and in Identifikace), saves it with openpyxl and runs the whole validation — reading,
recognition, parsing, pandera, cross checks, reports and the annotated copy.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import GOOD_SERVICE, make_submission

from xlkpss.spec import get_template
from xlkpss.validate.annotate import annotate
from xlkpss.validate.engine import parse_file, validate_parsed
from xlkpss.validate.report import to_csv, to_json, to_text

# Values openpyxl can store in a cell (no control characters, which XML forbids).
_text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)
cell_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    _text,
    st.dates(min_value=dt.date(1901, 1, 1), max_value=dt.date(2200, 1, 1)),
    st.sampled_from(["cca 20", "2 774 600,- Kč", "3. 9. 2008", "§49", "ano", "NE", "senioři", "=1+1", "@x", "#REF!", " "]),
    st.sampled_from([1e300, -1e300, 10**20, -(10**19), 1e15 + 0.5, "1e300", "²²²²²²²", "٣٤٥"]),
)

SERVICE_KEYS = [f.key for f in get_template("sluzby").sheet("sluzby").fields]
PLAN_KEYS = [f.key for f in get_template("plan").sheet("plan").fields]


def _check(path: Path) -> None:
    [result] = validate_parsed([parse_file(path)])
    for issue in result.issues:
        assert issue.code and issue.severity in ("error", "warning")
        assert issue.message() and issue.message("en")
    # every row is either merged-able or excluded, never lost
    assert result.rows >= result.rows_excluded() >= 0
    json.loads(to_json([result]))
    to_text([result])
    to_csv([result])
    with tempfile.TemporaryDirectory() as out:
        annotate(result, out)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(row=st.fixed_dictionaries({k: cell_values for k in SERVICE_KEYS}), ident_year=cell_values, ident_orp=cell_values)
def test_arbitrary_service_rows(row, ident_year, ident_orp):
    with tempfile.TemporaryDirectory() as tmp:
        path = make_submission(
            Path(tmp) / "f.xlsx", rows=[GOOD_SERVICE, row], ident={"rok": ident_year, "kod_orp": ident_orp}
        )
        _check(path)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.fixed_dictionaries({k: cell_values for k in PLAN_KEYS}), min_size=1, max_size=3))
def test_arbitrary_plan_rows(rows):
    with tempfile.TemporaryDirectory() as tmp:
        _check(make_submission(Path(tmp) / "p.xlsx", "plan", rows))
