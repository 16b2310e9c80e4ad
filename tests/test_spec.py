"""The field spec and the shipped code lists."""

from __future__ import annotations

from collections import Counter

import pytest

from xlkpss.codelists import TerritoryError, codelist, municipalities, orps, regions, territory
from xlkpss.read.values import PARSERS
from xlkpss.spec import FIELD_TYPES, SpecError, load_spec, parse_spec
from xlkpss.template import NUM_FORMATS
from xlkpss.validate.schema import DTYPES


def test_every_field_type_is_in_every_mapping():
    """A new type must be taught to every stage: template format, parser, pandera dtype."""
    for name, mapping in {"template.NUM_FORMATS": NUM_FORMATS, "read.values.PARSERS": PARSERS, "validate.schema.DTYPES": DTYPES}.items():
        assert set(mapping) == set(FIELD_TYPES), name
    used = {f.type for f in load_spec().all_fields()}
    assert used <= set(FIELD_TYPES)


def test_spec_fields_are_complete():
    spec = load_spec()
    for f in spec.all_fields():
        assert f.label and f.help, f.key
        if f.type == "code":
            assert len(codelist(f.codelist)) > 0, f.codelist
    for t in spec.templates.values():
        assert t.fingerprint and len(t.fingerprint) == 16
        for s in t.sheets:
            assert len(s.labels) == len(set(s.labels))
            for key in s.unique:
                s.field(key)


def test_fingerprint_changes_with_a_field():
    text = (load_spec.__wrapped__.__globals__["resources"].files("xlkpss.spec") / "spec.toml").read_text(encoding="utf-8")
    a = parse_spec(text).template("sluzby").fingerprint
    b = parse_spec(text.replace('label = "Kapacita"', 'label = "Kapacita služby"')).template("sluzby").fingerprint
    assert a != b


def test_bad_spec_is_refused():
    bad = """
[templates.x]
title = "x"
version = 1
sheets = ["s"]
filename = "x.xlsx"
[sheets.s]
name = "S"
layout = "table"
[[sheets.s.fields]]
key = "a"
label = "A"
type = "float"
help = "h"
"""
    with pytest.raises(SpecError):
        parse_spec(bad)


def test_reference_data_counts():
    assert len(municipalities()) == 6258
    assert len(orps()) == 206
    assert len(regions()) == 14
    assert len(codelist("druhy_sluzeb")) == 35  # 33 druhů + centrum duševního zdraví + související služba (spec)
    assert len(codelist("cilove_skupiny")) == 28
    assert codelist("formy").displays() == ["ambulantní", "pobytová", "terénní"]
    assert codelist("typy_kapacity").get("luzka").label == "lůžka"
    assert codelist("druhy_sluzeb").get("13").display == "§49 Domovy pro seniory"
    assert codelist("druhy_sluzeb").get("13").extra["formy"] == ("pob",)
    assert codelist("druhy_sluzeb").get("3").extra["formy"] == ("ter",)


def test_municipality_names_unique_within_orp_but_not_in_country():
    munis = list(municipalities().values())
    assert max(Counter((m.name, m.orp) for m in munis).values()) == 1
    assert max(Counter(m.name for m in munis).values()) > 1
    obce = codelist("obce")
    assert obce.is_ambiguous("Březina")
    assert obce.resolve("562971").label == "Chomutov"


def test_territory_scoping():
    chomutov = territory(orp="4203")
    assert len(chomutov.municipalities) == int(orps()["4203"]["pocet_obci"]) == 25
    assert len(codelist("obce", chomutov)) == 25
    assert territory(kraj="CZ042").population > 700_000
    with pytest.raises(TerritoryError):
        territory(orp="9999")
    with pytest.raises(TerritoryError):
        territory(obec="562971", orp="4205")
