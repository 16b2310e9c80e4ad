"""The shared HTML machinery of every report page: one jinja2 environment, Czech filters, CSS.

Every page xlkpss writes (the summary, the fulfilment sheet, the catalogue) is one
self-contained file: the CSS is inlined from ``templates/*.css`` and the charts are
inline SVG (``xlkpss.render.charts``), so the page works offline and as an e-mail
attachment.  ``autoescape=True`` for *every* template: whatever a submission contains
(a provider called ``<script>…``) is shown as text.
"""

from __future__ import annotations

import datetime as dt
import math
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from xlkpss.i18n import format_number, plural_form

__all__ = [
    "DASH",
    "environment",
    "fmt_date",
    "fmt_money",
    "fmt_number",
    "fmt_pct",
    "inline_css",
    "is_blank",
    "render_template",
]

#: what an empty figure shows (never "nan", "None" or "0" for "unknown")
DASH = "–"
NBSP = "\u00a0"


def is_blank(value: Any) -> bool:
    """None, NaN, NaT, pandas NA or an empty string."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, float):
        return math.isnan(value)
    try:
        import pandas as pd

        return bool(pd.isna(value))
    except (TypeError, ValueError, ImportError):
        return False


def _as_float(value: Any) -> float | None:
    if is_blank(value) or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def fmt_number(value: Any, decimals: int = 0) -> str:
    """``2774600`` → ``2 774 600`` (non-breaking spaces); ``12.5`` with decimals=1 → ``12,5``."""
    number = _as_float(value)
    if number is None:
        return DASH if is_blank(value) else str(value)
    return format_number(number, decimals)


def fmt_money(value: Any) -> str:
    """``2774600`` → ``2 774 600 Kč`` (whole crowns, as in Czech budgets)."""
    number = _as_float(value)
    if number is None:
        return DASH if is_blank(value) else str(value)
    return f"{format_number(number, 0)}{NBSP}Kč"


def fmt_pct(value: Any, decimals: int = 0) -> str:
    """``87.5`` → ``88 %`` (value is already in per cent)."""
    number = _as_float(value)
    if number is None:
        return DASH
    return f"{format_number(number, decimals)}{NBSP}%"


def fmt_date(value: Any) -> str:
    """A date the Czech way: ``3. 9. 2026`` (from a date, a datetime or an ISO string)."""
    if is_blank(value):
        return DASH
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            return value
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp
        value = value.to_pydatetime()
    if isinstance(value, (dt.date, dt.datetime)):
        return f"{value.day}.{NBSP}{value.month}.{NBSP}{value.year}"
    return str(value)


def fmt_text(value: Any) -> str:
    """Any cell as text: blank → dash, whole floats without ``.0``."""
    if is_blank(value):
        return DASH
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@cache
def _css_text(name: str) -> str:
    return resources.files("xlkpss.render").joinpath("templates", name).read_text(encoding="utf-8")


def inline_css(*names: str) -> Markup:
    """The CSS files' text, ready for a ``<style>`` element (CSS never comes from data)."""
    return Markup("\n".join(_css_text(n) for n in names))


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The one jinja2 environment of all report pages (autoescaping, Czech filters)."""
    env = Environment(
        loader=PackageLoader("xlkpss.render", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        number=fmt_number,
        money=fmt_money,
        pct=fmt_pct,
        date=fmt_date,
        text=fmt_text,
        plural=lambda n, one, few, many: plural_form(int(n or 0), (one, few, many)),
    )
    env.globals.update(inline_css=inline_css, DASH=DASH)
    return env


def render_template(name: str, **context: Any) -> str:
    """Render ``templates/<name>`` with the shared environment."""
    return environment().get_template(name).render(**context)
