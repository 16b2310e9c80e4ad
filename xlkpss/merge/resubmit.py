"""Resubmissions: what changed between a superseded file and the file that replaced it.

Rows are matched by what identifies them: a service by *Identifikátor služby* and
*Forma* (an unregistered one by its name and form), a plan item by its *Číslo*, a
project by its name.  The result says how many rows were added, removed and changed,
and lists every changed cell old → new (the *Opravy* sheet).  Plain records in, plain
records out: ``acceptance`` calls it with the rows both files had.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from xlkpss.i18n import ROWS, plural_cs, plural_form

__all__ = ["ROWS", "Diff", "diff_rows", "row_key"]


@dataclass
class Diff:
    added: int = 0
    removed: int = 0
    changed: int = 0
    #: (sheet key, row key text, field key, old value, new value, new Excel row)
    cells: list[tuple[str, str, str, Any, Any, int | None]] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def describe(self) -> str:
        """``shodný s nahrazeným souborem`` / ``přidány 2 řádky, odebrán 1 řádek, změněno 5 řádků``
        (the participle agrees with the count)."""
        if self.identical:
            return "obsah je shodný s nahrazeným souborem"
        parts = []
        for n, verb in ((self.added, _ADDED), (self.removed, _REMOVED), (self.changed, _CHANGED)):
            if n:
                parts.append(f"{plural_form(n, verb)} {plural_cs(n, ROWS)}")
        return ", ".join(parts)


_ADDED = ("přidán", "přidány", "přidáno")
_REMOVED = ("odebrán", "odebrány", "odebráno")
_CHANGED = ("změněn", "změněny", "změněno")


def row_key(sheet: str, rec: dict[str, Any]) -> str:
    """What identifies a row between two versions of a file (shown in Opravy)."""

    def text(v: Any) -> str:
        return "" if v is None else str(v).strip()

    if sheet == "sluzby":
        ident = text(rec.get("identifikator"))
        first = ident or text(rec.get("nazev_sluzby")).casefold()
        return f"{first} / {text(rec.get('forma'))}"
    if sheet == "plan":
        return text(rec.get("cislo"))
    return text(rec.get("nazev")).casefold() or text(rec.get("_row"))


def diff_rows(
    old: dict[str, Sequence[dict[str, Any]]],
    new: dict[str, Sequence[dict[str, Any]]],
    fields: dict[str, Sequence[str]],
    same: Callable[[Any, Any], bool],
) -> Diff:
    """``old`` / ``new``: sheet key → records (field key → clean value, ``_row``);
    ``fields``: sheet key → the field keys compared; ``same``: value equality."""
    d = Diff()
    for sheet, keys in fields.items():
        before = _by_key(sheet, old.get(sheet, ()))
        after = _by_key(sheet, new.get(sheet, ()))
        d.added += sum(1 for k in after if k not in before)
        d.removed += sum(1 for k in before if k not in after)
        for k, rec in after.items():
            prev = before.get(k)
            if prev is None:
                continue
            diffs = [(f, prev.get(f), rec.get(f)) for f in keys if not same(prev.get(f), rec.get(f))]
            if diffs:
                d.changed += 1
                row = rec.get("_row")
                d.cells.extend((sheet, k, f, a, b, int(row) if row is not None else None) for f, a, b in diffs)
    return d


def _by_key(sheet: str, records: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for n, rec in enumerate(records):
        k = row_key(sheet, rec)
        if k in out:  # the same key twice in a file: keep both apart
            k = f"{k} ({n + 1})"
        out[k] = rec
    return out
