"""Values as the merge compares and shows them: a number or None, a value in a side-by-side
cell (Konflikty, Opravy), a typed field value as its dropdown text, dates as ordinals and
from ISO text, and whether two reports say the same."""

from __future__ import annotations

import datetime as dt
from typing import Any

from xlkpss.codelists import codelist, municipalities, normalize_key
from xlkpss.i18n import format_number
from xlkpss.merge.clean import clean_value

__all__ = ["date_ordinal", "display", "fmt", "num", "parse_iso", "same_value"]


def num(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    return None


def fmt(value: Any) -> str:
    """A value for a side-by-side comparison cell (Czech numbers)."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "ano" if value else "ne"
    if isinstance(value, (int, float)):
        return format_number(value, 0 if float(value).is_integer() else 2).replace("\u00a0", " ")
    if isinstance(value, dt.date):
        return f"{value.day}. {value.month}. {value.year}"
    return str(value)


def date_ordinal(value: Any) -> int:
    if isinstance(value, dt.datetime):
        return value.toordinal()
    if isinstance(value, dt.date):
        return value.toordinal()
    return 0


def display(fieldspec, value: Any) -> Any:
    """A typed field value as the workbook shows it (code → Czech dropdown text)."""
    value = clean_value(value)
    if value is None:
        return None
    if fieldspec.type == "code":
        if fieldspec.codelist == "obce":
            m = municipalities().get(str(value))
            return m.name if m else str(value)
        cl = codelist(fieldspec.codelist)
        if value in cl:
            return cl.get(value).display
        return str(value)
    return value


def parse_iso(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except (TypeError, ValueError):
        return None


def same_value(a: Any, b: Any) -> bool:
    if a is None and b is None:
        return True
    na, nb = num(a), num(b)
    if na is not None and nb is not None:
        return abs(na - nb) < 0.005
    return normalize_key(a) == normalize_key(b) if a is not None and b is not None else False
