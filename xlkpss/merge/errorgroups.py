"""The order of the Chyby sheet: what needs action first.

A line of Chyby belongs to one of three groups, in this order:

1. ``excluded`` – a row or a whole file was left out of the totals (a validation error,
   a rejected file, a file outside the territory or of another year): someone has to
   fix the file and send it again;
2. ``warning`` – the data were merged, but something should be checked;
3. ``info`` – nothing to do: a service reported by several submitters (counted once),
   a file replaced by a newer one, a row already merged from another summary.

``error_group(row)`` says which; ``error_sort_key(row)`` is the one key the merge sorts
Chyby by (group, then the file and the place in it).  When a line has an ``effect``
(what the problem did to the data), the group follows it; otherwise the code decides
(its severity in the issue catalogue, or the merge's own codes below).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["ERROR_GROUPS", "INFO_CODES", "error_group", "error_sort_key"]

#: group key -> Czech heading (in the order of the sheet)
ERROR_GROUPS: dict[str, str] = {
    "excluded": "Vyřazeno z výsledků – je třeba opravit a poslat znovu",
    "warning": "Upozornění – započteno, ale zkontrolujte",
    "info": "Pro informaci – není třeba nic dělat",
}
#: merge codes that only inform (the data are counted, once)
INFO_CODES = frozenset({"duplicate-service", "duplicate-row", "superseded"})
_ORDER = {key: n for n, key in enumerate(ERROR_GROUPS)}


def _group_of_effect(effect: str) -> str | None:
    """The group named by an ``effect`` value (a key or its Czech words)."""
    e = effect.strip().lower()
    if not e:
        return None
    if any(w in e for w in ("exclud", "reject", "vyřaz", "odmít", "nezapoč")):
        return "excluded"
    if any(w in e for w in ("info", "none", "nic", "jednou", "nahrazen")):
        return "info"
    if any(w in e for w in ("warn", "upozor", "zkontrol", "přijat", "fix", "oprav")):
        return "warning"
    return None


def error_group(row: Mapping[str, Any]) -> str:
    """``excluded``, ``warning`` or ``info`` for one line of Chyby."""
    effect = row.get("effect")
    if isinstance(effect, str):
        found = _group_of_effect(effect)
        if found:
            return found
    code = str(row.get("code") or "")
    if code in INFO_CODES:
        return "info"
    from xlkpss.i18n import ISSUES

    issue = ISSUES.get(code)
    if issue is not None and issue.severity != "error":
        return "warning"
    return "excluded"


def error_sort_key(row: Mapping[str, Any]) -> tuple:
    """Sort key of a Chyby line: its group, then where it comes from."""
    return (
        _ORDER[error_group(row)],
        str(row.get("via") or ""),
        str(row.get("src_file") or ""),
        str(row.get("src_sheet") or ""),
        row.get("src_row") or 0,
        str(row.get("code")),
    )
