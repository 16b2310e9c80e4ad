"""Turn a raw cell value into the field's typed value, the way a Czech clerk means it.

Accepted: decimal comma or dot, thousands spaces (also non-breaking) or dots,
"Kč", ",-" and ".-" suffixes, Czech dates (``3. 9. 2008``, ``3.9.2008``), ISO dates,
Excel date serials, booleans for ano/ne, numbers typed as text and text typed as
numbers (an IČO ``75655`` → ``00075655``).

``parse_value`` never raises: it returns ``(value, None)`` or ``(None, issue_code)``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from typing import Any

from xlkpss.codelists import CodeList, normalize_key
from xlkpss.spec import Field

__all__ = ["PARSERS", "ParseContext", "ico_is_valid", "parse_number", "parse_value", "to_date"]

_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]+")
_CURRENCY = re.compile(r"(,-|\.-|,--|kč|czk|korun[a-y]?)\s*$", re.IGNORECASE)
_CZ_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+(,\d+)?$")  # 2.774.600,50
_EN_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")  # 2,774,600.50
_PLAIN = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$")
_CZ_DATE = re.compile(r"^(\d{1,2})\s*\.\s*(\d{1,2})\s*\.\s*(\d{4})$")
_SLASH_DATE = re.compile(r"^(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*(\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_PHONE = re.compile(r"^(\+?420|00420)?[1-9]\d{8}$")
_EXCEL_EPOCH = dt.date(1899, 12, 30)
#: whole numbers beyond this are refused before they reach a 64-bit column (2**53: exact in a float)
_INT_LIMIT = 2**53


def parse_number(raw: Any) -> float | None:
    """A number from a cell value or Czech/English text; None when it is not a number."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, (int, float)):
        return None if (isinstance(raw, float) and not math.isfinite(raw)) else raw
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    # strip a trailing currency and ",-"; repeat because "2 774 600,- Kč" has both
    for _ in range(3):
        stripped = _CURRENCY.sub("", text).strip()
        if stripped == text:
            break
        text = stripped
    text = _SPACES.sub("", text)
    if not text:
        return None
    if _CZ_THOUSANDS.match(text):
        text = text.replace(".", "").replace(",", ".")
    elif _EN_THOUSANDS.match(text):
        text = text.replace(",", "")
    elif _PLAIN.match(text):
        text = text.replace(",", ".")
    else:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def to_date(raw: Any) -> dt.date | None:
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, bool):
        return None
    if isinstance(raw, (int, float)):
        # Excel serial (1900 system; serials before 1. 3. 1900 are not real dates here)
        if 61 <= raw < 2958466:
            return _EXCEL_EPOCH + dt.timedelta(days=int(raw))
        return None
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    for rx, order in ((_CZ_DATE, "dmy"), (_SLASH_DATE, "dmy"), (_ISO_DATE, "ymd")):
        m = rx.match(text)
        if m:
            a, b, c = (int(x) for x in m.groups()[:3])
            d, mth, y = (a, b, c) if order == "dmy" else (c, b, a)
            try:
                return dt.date(y, mth, d)
            except ValueError:
                return None
    return None


def ico_is_valid(ico: str) -> bool:
    """Czech IČO check digit (mod 11, weights 8..2)."""
    if len(ico) != 8 or not (ico.isascii() and ico.isdigit()):  # "²".isdigit() is True, int("²") fails
        return False
    total = sum(int(d) * w for d, w in zip(ico[:7], range(8, 1, -1)))
    check = (11 - total % 11) % 10
    return check == int(ico[7])


def as_text(raw: Any) -> str | None:
    """The text of a cell value, stripped; None when empty (12.0 → "12", a date → "3. 9. 2026")."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        return "ano" if raw else "ne"
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, (dt.datetime, dt.date)):
        return f"{raw.day}. {raw.month}. {raw.year}"
    text = str(raw).strip()
    return text or None


class ParseContext:
    """What a parser needs besides the value: the code lists to resolve against."""

    def __init__(self, lists: dict[str, CodeList]):
        self.lists = lists


Parser = Callable[[Field, Any, ParseContext], tuple[Any, str | None, str | None]]
# each parser returns (value, issue_code, suggestion)


def _p_text(f: Field, raw: Any, ctx: ParseContext):
    text = as_text(raw)
    if text is None:
        return None, None, None
    if f.digits:
        digits = _SPACES.sub("", text)
        if not (digits.isascii() and digits.isdigit() and len(digits) == f.digits):
            return None, "invalid-service-id" if f.digits == 7 else "pattern-mismatch", None
        return digits, None, None
    if f.max_length and len(text) > f.max_length:
        return text, None, None  # pandera reports too-long with the length
    return text, None, None


def _p_integer(f: Field, raw: Any, ctx: ParseContext):
    if raw is None:
        return None, None, None
    if type(raw) is int and -_INT_LIMIT <= raw <= _INT_LIMIT:  # the usual case: already a whole number
        return raw, None, None
    n = parse_number(raw)
    if n is None:
        return None, "not-an-integer", None
    if not float(n).is_integer():
        return None, "not-an-integer", None
    if abs(n) > _INT_LIMIT:
        # beyond what a 64-bit column holds (1e300 typed by mistake): report, never overflow the batch
        return None, "above-maximum" if n > 0 else "below-minimum", None
    return int(n), None, None


def _p_decimal(f: Field, raw: Any, ctx: ParseContext):
    if raw is None:
        return None, None, None
    if type(raw) is float and math.isfinite(raw):  # the usual cases: already a number
        return raw, None, None
    if type(raw) is int:
        return float(raw), None, None
    n = parse_number(raw)
    if n is None:
        return None, "not-a-number", None
    return float(n), None, None


def _p_date(f: Field, raw: Any, ctx: ParseContext):
    if raw is None:
        return None, None, None
    d = to_date(raw)
    if d is None:
        return None, "not-a-date", None
    return d, None, None


#: (code list, type, value) -> parsed result.  Code lists are immutable and the same
#: few values ("§49 Domovy pro seniory", "pobytová", "senioři") fill most cells.
_CODE_CACHE: dict[tuple[Any, type, Any], tuple[Any, str | None, str | None]] = {}
_CODE_CACHE_MAX = 200_000


def _p_code(f: Field, raw: Any, ctx: ParseContext):
    if raw is None:
        return None, None, None
    cl = ctx.lists[f.codelist]
    key = (cl, type(raw), raw)
    try:
        return _CODE_CACHE[key]
    except KeyError:
        pass
    except TypeError:  # an unhashable value: no caching
        return _resolve_code(f, raw, cl)
    if len(_CODE_CACHE) >= _CODE_CACHE_MAX:
        _CODE_CACHE.clear()
    out = _CODE_CACHE[key] = _resolve_code(f, raw, cl)
    return out


def _resolve_code(f: Field, raw: Any, cl: Any):
    if isinstance(raw, bool) and f.codelist == "ano_ne":
        raw = "ano" if raw else "ne"
    item = cl.resolve(raw)
    if item is not None:
        return item.code, None, None
    if cl.is_ambiguous(raw):
        return None, "ambiguous-code", None
    return None, "unknown-code", cl.suggest(raw)


def _p_ico(f: Field, raw: Any, ctx: ParseContext):
    text = as_text(raw)
    if text is None:
        return None, None, None
    digits = _SPACES.sub("", text)
    if digits.isascii() and digits.isdigit() and len(digits) < 8:
        digits = digits.zfill(8)  # IČO typed as a number loses its leading zeros
    if not ico_is_valid(digits):
        return None, "invalid-ico", None
    return digits, None, None


def _p_email(f: Field, raw: Any, ctx: ParseContext):
    text = as_text(raw)
    if text is None:
        return None, None, None
    if text.lower().startswith("mailto:"):
        text = text[7:]
    if not _EMAIL.match(text):
        return None, "invalid-email", None
    return text, None, None


def _p_phone(f: Field, raw: Any, ctx: ParseContext):
    text = as_text(raw)
    if text is None:
        return None, None, None
    compact = re.sub(r"[\s\u00a0()./-]", "", text)
    if not _PHONE.match(compact):
        return None, "invalid-phone", None
    return text, None, None


#: One parser per field type (tests check every spec type has one).
PARSERS: dict[str, Parser] = {
    "text": _p_text,
    "integer": _p_integer,
    "decimal": _p_decimal,
    "money": _p_decimal,
    "date": _p_date,
    "code": _p_code,
    "ico": _p_ico,
    "email": _p_email,
    "phone": _p_phone,
}


def parse_value(f: Field, raw: Any, ctx: ParseContext) -> tuple[Any, str | None, str | None]:
    if isinstance(raw, str):
        raw = raw.strip() or None
        # only a text starting with "=" can normalise to "=true()" (normalize_key keeps
        # the first character of a stripped text)
        if raw is not None and raw[0] == "=" and normalize_key(raw) in ("=true()", "=false()"):
            raw = normalize_key(raw) == "=true()"
    return PARSERS[f.type](f, raw, ctx)
