"""What the computed sheets are split by: the whole territory, then its units (the obce of
an ORP, the ORP of a kraj, the kraje of the country), the Služby column that selects each,
and the small number and code-list helpers those sheets share."""

from __future__ import annotations

import math
from typing import Any

from xlkpss.codelists import Territory, codelist, orps, regions
from xlkpss.collate import czech_key
from xlkpss.merge.clean import clean_value
from xlkpss.merge.model import LEVEL_WORDS, STATE_COLUMN

__all__ = [
    "TOTAL_LABEL",
    "UNIT_LEVEL",
    "clean_num",
    "code_of",
    "criteria_column",
    "list_order",
    "scope_units",
    "territory_scopes",
    "to_float",
]


#: the druh cell of a total row (Financování)
TOTAL_LABEL = "Celkem"


#: territory_level values
#: territory_level word -> the Služby column holding the territory's code
_COLUMN_OF_LEVEL = {"obec": "kod_obce", "ORP": "kod_orp", "kraj": "kod_kraje", "stát": STATE_COLUMN}


#: merge level -> the level of the units it is split into
UNIT_LEVEL = {"orp": "obec", "kraj": "orp", "stat": "kraj"}


def criteria_column(territory_level: str) -> str:
    """The Služby column that identifies a territory of the given level word."""
    return _COLUMN_OF_LEVEL[territory_level]


def scope_units(level: str, territory: Territory) -> list[tuple[str, str, int | None]]:
    """(code, name, population) of the units a territory is split into, sorted by name:
    the obce of an ORP, the ORP of a kraj, the kraje of the Czech Republic."""
    if level == "orp":
        units = [(m.code, m.name, m.population) for m in territory.municipalities]
    elif level == "kraj":
        units = [
            (o["kod_orp"], o["nazev_orp"], Territory("orp", o["kod_orp"], o["nazev_orp"]).population)
            for o in orps().values()
            if o["kod_kraje"] == territory.code
        ]
    else:
        units = [
            (k["kod_kraje"], k["nazev_kraje"], Territory("kraj", k["kod_kraje"], k["nazev_kraje"]).population)
            for k in regions().values()
        ]
    return sorted(units, key=lambda u: (czech_key(u[1]), u[0]))


def territory_scopes(level: str, territory: Territory) -> list[tuple[str, str, str, int | None, str]]:
    """(territory_level word, code, name, population, services column) — the whole
    territory first, then its units."""
    whole_word = LEVEL_WORDS[level]
    unit_word = LEVEL_WORDS[UNIT_LEVEL[level]]
    out = [(whole_word, territory.code, territory.name, territory.population, criteria_column(whole_word))]
    out += [
        (unit_word, code, name, pop, criteria_column(unit_word)) for code, name, pop in scope_units(level, territory)
    ]
    return out


def list_order(listname: str, value: Any) -> int:
    position = codelist(listname).position(value)
    return 999 if position is None else position


def code_of(listname: str, value: Any) -> str | None:
    if value is None:
        return None
    item = codelist(listname).resolve(value)
    return item.code if item is not None else None


def to_float(value: Any) -> float:
    kind = type(value)
    if kind is int or (kind is float and not math.isnan(value)):  # the usual, clean number
        return float(value)
    value = clean_value(value)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0


def clean_num(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value
