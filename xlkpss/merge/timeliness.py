"""Timeliness against ``--deadline``: a file is on time or late by its *Datum vyplnění*, or
by the file's time when the date is blank (column *Dodržení termínu*)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from xlkpss.i18n import format_date

__all__ = ["TIMELINESS", "timeliness"]


#: column *Dodržení termínu*
TIMELINESS = {"on_time": "včas", "late": "po termínu", "missing": "chybí"}


def _as_date(v: Any) -> dt.date | None:
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if isinstance(v, str):
        try:
            return dt.date.fromisoformat(v[:10])
        except ValueError:
            return None
    return None


def timeliness(date_filled: Any, mtime: float | None, deadline: dt.date) -> tuple[str, str]:
    """(key of ``TIMELINESS``, Czech note) of a file: *Datum vyplnění*, else the file's time."""
    filled = _as_date(date_filled)
    if filled is not None:
        late = filled > deadline
        return ("late" if late else "on_time"), (
            f"po termínu {format_date(deadline)}: vyplněno {format_date(filled)}" if late else ""
        )
    if mtime:
        saved = dt.datetime.fromtimestamp(mtime).date()
        late = saved > deadline
        return ("late" if late else "on_time"), (
            f"po termínu {format_date(deadline)}: soubor uložen {format_date(saved)} (datum vyplnění chybí)"
            if late
            else "datum vyplnění chybí, podle času souboru"
        )
    return "on_time", ""
