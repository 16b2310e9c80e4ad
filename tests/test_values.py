"""Cell value normalisation: how a Czech clerk types numbers, money, dates and codes."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xlkpss.codelists import codelist
from xlkpss.read.values import PARSERS, ParseContext, ico_is_valid, parse_number, parse_value, to_date
from xlkpss.spec import FIELD_TYPES, get_template, load_spec


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("2 774 600,- Kč", 2774600),
        ("2 774 600 Kč", 2774600),
        ("2\u00a0774\u00a0600", 2774600),
        ("2.774.600,50", 2774600.5),
        ("2,774,600.50", 2774600.5),
        ("1 250,5", 1250.5),
        ("12,5", 12.5),
        ("12.5", 12.5),
        ("20,-", 20),
        (" 7 ", 7),
        (3.0, 3.0),
        ("cca 20", None),
        ("20 klientů", None),
        ("", None),
        ("1,2,3", None),
        (True, None),
    ],
)
def test_parse_number(raw, expected):
    assert parse_number(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("3. 9. 2008", dt.date(2008, 9, 3)),
        ("3.9.2008", dt.date(2008, 9, 3)),
        ("15.1.2024", dt.date(2024, 1, 15)),
        ("2024-01-15", dt.date(2024, 1, 15)),
        ("15/01/2024", dt.date(2024, 1, 15)),
        (45306, dt.date(2024, 1, 15)),
        (dt.datetime(2024, 1, 15, 13, 45), dt.date(2024, 1, 15)),
        ("31. 2. 2024", None),
        ("zítra", None),
    ],
)
def test_to_date(raw, expected):
    assert to_date(raw) == expected


def test_ico_check_digit():
    assert ico_is_valid("00075655")  # Městský ústav sociálních služeb Chomutov-like
    assert ico_is_valid("00261891")
    assert not ico_is_valid("00261892")
    assert not ico_is_valid("1234567")


def _ctx():
    names = {f.codelist for f in load_spec().all_fields() if f.type == "code"}
    return ParseContext({n: codelist(n) for n in names})


def test_codes_accept_code_name_display_case_and_spaces():
    f = get_template("sluzby").sheet("sluzby").field("druh")
    ctx = _ctx()
    for raw in ("13", "§49 Domovy pro seniory", "domovy pro SENIORY", "  Domovy   pro seniory ", "§49", "DruhSocialniSluzby/13"):
        assert parse_value(f, raw, ctx)[:2] == ("13", None), raw
    value, code, suggestion = parse_value(f, "Domov seniorů", ctx)
    assert (value, code) == (None, "unknown-code")
    assert suggestion == "§49 Domovy pro seniory"


def test_ico_typed_as_number_gets_leading_zeros():
    f = get_template("sluzby").sheet("sluzby").field("ico_poskytovatele")
    assert parse_value(f, 75655, _ctx())[:2] == ("00075655", None)
    assert parse_value(f, "00075656", _ctx())[1] == "invalid-ico"


def test_libreoffice_true_formula_and_bools():
    f = get_template("sluzby").sheet("sluzby").field("registrovana")
    assert parse_value(f, "=TRUE()", _ctx())[0] == "ano"
    assert parse_value(f, False, _ctx())[0] == "ne"


def test_every_field_type_has_a_parser():
    assert set(PARSERS) == set(FIELD_TYPES)


_cell_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**15), max_value=10**15),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=60),
    st.dates(),
    st.datetimes(),
    st.sampled_from(["=TRUE()", "#REF!", "2 774 600,- Kč", "cca 20", "3. 9. 2008", "§49", "   ", "\u00a0", "=1+1"]),
)


@settings(max_examples=60, deadline=None)
@given(value=_cell_values)
def test_any_value_in_any_field_gives_value_or_issue(value):
    """Property: arbitrary cell content never raises; it yields a value or an issue code."""
    ctx = _ctx()
    for f in load_spec().all_fields():
        parsed, code, _ = parse_value(f, value, ctx)
        assert code is None or code in {
            "not-a-number",
            "not-an-integer",
            "not-a-date",
            "unknown-code",
            "ambiguous-code",
            "invalid-ico",
            "invalid-service-id",
            "pattern-mismatch",
            "invalid-email",
            "invalid-phone",
            "above-maximum",
            "below-minimum",
        }
        if code:
            assert parsed is None


def test_huge_and_non_ascii_numbers_are_issues_not_crashes(tmp_path):
    from support import GOOD_SERVICE, make_submission

    from xlkpss.validate.engine import validate_paths

    f = get_template("sluzby").sheet("sluzby").field("kapacita")
    assert parse_value(f, 1e300, _ctx())[:2] == (None, "above-maximum")
    assert parse_value(f, -(10**20), _ctx())[:2] == (None, "below-minimum")
    ident = get_template("sluzby").sheet("sluzby").field("identifikator")
    assert parse_value(ident, "²²²²²²²", _ctx())[1] == "invalid-service-id"
    rows = [GOOD_SERVICE, {**GOOD_SERVICE, "identifikator": "7654321", "kapacita": 1e300, "pocet_uzivatelu": 10**20}]
    [res] = validate_paths([make_submission(tmp_path / "f.xlsx", rows=rows)], workers=1)
    assert sorted(i.code for i in res.issues) == ["above-maximum", "above-maximum"]
    assert res.rows == 2 and res.rows_excluded() == 1
