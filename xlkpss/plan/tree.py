"""The plan tree: a validated ``plan`` frame as priorities → goals/measures → activities.

A community plan is a tree of numbered items (``1`` → ``1.1`` → ``1.1.1``); the depth
and the level names vary between plans, and all three shapes of the seeds are read:

* seed 004 (Chomutov): priorita → opatření → aktivita;
* seed 001 (Zlín): oblast (pracovní skupina) → cíl → opatření;
* seed 000 (MOS ORP Chomutov): cíl → cíl (dílčí) → opatření.

The top (``1``, ``2`` …) may be an area, a priority or a goal; a child is never of a
higher level than its parent (``xlkpss.validate.checks`` reports it).  The tree is built
from the numbers, not from the row order, so rows appended at the end of the table land
in their place.

What counts as an *activity* (a row that is evaluated and gets marks): a row of level
``aktivita``, a leaf of any other level below the top (whatever the deepest level of the
plan is called), and any row that has a status.  Headings are the rest.  The top item is
called the *priority* in the code and the figures (``stats_by_priority``) whatever its
level.

Marks in the fulfilment sheet (seed 004 columns *Plán splněn / Plán nesplněn / Plán
pro rok X+1*):

* ``splněno`` → mark in *Plán splněn*;
* ``částečně splněno`` → the word „částečně“ in *Plán splněn* (neither a full mark
  nor *nesplněn*; it is not counted as fulfilled in the percentage);
* ``nesplněno`` → mark in *Plán nesplněn*;
* ``zrušeno`` → the word „zrušeno“ in *Plán nesplněn*, never continues;
* *Plán pro rok X+1* → the item continues (``continues``): an explicit
  *Pokračuje v příštím roce* wins; when it is blank, every item that is not
  ``splněno`` or ``zrušeno`` continues (``nesplněno``, ``částečně``, no status yet).
  An item can be fulfilled *and* continue (seed 004: „pokračovat v komunitním
  plánování“).

Fulfilment % = activities ``splněno`` / activities with any status × 100 (activities
without a status are left out; ``zrušeno`` counts as a status, i.e. as not fulfilled).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "MARK",
    "FulfilmentStats",
    "Marks",
    "PlanItem",
    "PlanTree",
    "activity_continues",
    "build_tree",
    "continues",
    "marks",
    "number_key",
    "stats_by_priority",
]

#: The mark written into *Plán splněn / nesplněn / pro rok X+1* (U+2713, present in
#: DejaVu/Liberation fallbacks, Calibri falls back to Segoe UI Symbol on Windows).
MARK = "✓"
PARTIAL_WORD = "částečně"
CANCELLED_WORD = "zrušeno"

_NUMBER = re.compile(r"^\d+(\.\d+)*$")
_DONE = "splneno"
_PARTIAL = "castecne"
_NOT_DONE = "nesplneno"
_CANCELLED = "zruseno"
STATUSES = (_DONE, _PARTIAL, _NOT_DONE, _CANCELLED)
#: levels that are headings even without children (never evaluated without a status)
_HEADING_LEVELS = ("oblast", "priorita")


def number_key(number: str | None) -> tuple[int, ...]:
    """``"1.10.2"`` → ``(1, 10, 2)`` for natural ordering (``1.2`` before ``1.10``)."""
    if not number or not _NUMBER.match(number):
        return ()
    return tuple(int(p) for p in number.split("."))


def _clean(value: Any) -> Any:
    """pandas NA/NaN → None; numpy scalars → Python; whole Float64 money stays float."""
    if value is None:
        return None
    if type(value) in (str, int, bool):  # plain already (most cells)
        return value
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            return value.item()
        except (AttributeError, ValueError):
            return value
    return value


@dataclass(eq=False)
class PlanItem:
    """One row of the plan sheet, placed in the tree."""

    number: str | None
    level: str | None
    name: str
    row: int | None = None
    values: dict[str, Any] = field(default_factory=dict)
    excluded: bool = False
    parent: PlanItem | None = field(default=None, repr=False)
    children: list[PlanItem] = field(default_factory=list, repr=False)

    def get(self, key: str) -> Any:
        return self.values.get(key)

    @property
    def description(self) -> str | None:
        return self.values.get("popis")

    @property
    def status(self) -> str | None:
        return self.values.get("stav")

    @property
    def depth(self) -> int:
        return len(number_key(self.number)) or 1

    @property
    def is_activity(self) -> bool:
        if self.status is not None or self.level == "aktivita":
            return True
        return not self.children and self.level not in _HEADING_LEVELS and self.depth > 1

    @property
    def is_heading(self) -> bool:
        return not self.is_activity

    @property
    def priority(self) -> PlanItem | None:
        """The top-level ancestor (the priority) or None for an orphan without one."""
        node = self
        while node.parent is not None:
            node = node.parent
        return node if node.number and node.depth == 1 else None

    def walk(self) -> Iterator[PlanItem]:
        yield self
        for child in self.children:
            yield from child.walk()

    def has_continuing_descendant(self) -> bool:
        return any(continues(c) or c.has_continuing_descendant() for c in self.children)


@dataclass
class PlanTree:
    """Top-level items in number order; ``items`` is the depth-first order of all rows."""

    roots: list[PlanItem]

    @property
    def items(self) -> list[PlanItem]:
        return [i for root in self.roots for i in root.walk()]

    @property
    def activities(self) -> list[PlanItem]:
        return [i for i in self.items if i.is_activity]

    @property
    def priorities(self) -> list[PlanItem]:
        return [r for r in self.roots if r.depth == 1]

    def find(self, number: str) -> PlanItem | None:
        return next((i for i in self.items if i.number == number), None)


def build_tree(frame_or_rows: Any) -> PlanTree:
    """The tree from a validated ``plan`` frame (or a list of row dicts with field keys).

    Rows with an unusable number (an error the validator reported) and rows whose
    parent is missing are attached to the nearest existing ancestor, or kept at the top
    level after the numbered items, so nothing a submitter wrote disappears.
    """
    rows = _rows(frame_or_rows)
    items: list[PlanItem] = []
    for r in rows:
        number = r.get("cislo")
        number = str(number).strip() if number is not None else None
        items.append(
            PlanItem(
                number=number,
                level=r.get("uroven"),
                name=str(r.get("nazev") or ""),
                row=r.get("_row"),
                values={k: v for k, v in r.items() if not k.startswith("_")},
                excluded=bool(r.get("_excluded") or False),
            )
        )
    by_number: dict[tuple[int, ...], PlanItem] = {}
    for item in items:
        key = number_key(item.number)
        if key and key not in by_number:  # a duplicate number: the first one owns the place
            by_number[key] = item
    roots: list[PlanItem] = []
    orphans: list[PlanItem] = []
    for item in items:
        key = number_key(item.number)
        if not key or by_number.get(key) is not item:
            orphans.append(item)
            continue
        parent = None
        for n in range(len(key) - 1, 0, -1):
            parent = by_number.get(key[:n])
            if parent is not None:
                break
        if parent is None:
            roots.append(item)
        else:
            item.parent = parent
            parent.children.append(item)
    order = {id(item): i for i, item in enumerate(items)}

    def sort(nodes: list[PlanItem]) -> None:
        nodes.sort(key=lambda n: (number_key(n.number), order[id(n)]))
        for n in nodes:
            sort(n.children)

    sort(roots)
    return PlanTree(roots=roots + orphans)


def _rows(frame_or_rows: Any) -> list[dict[str, Any]]:
    if isinstance(frame_or_rows, list):
        return [{k: _clean(v) for k, v in r.items()} for r in frame_or_rows]
    frame = frame_or_rows
    cols = list(frame.columns)
    return [{c: _clean(v) for c, v in zip(cols, values)} for values in frame.itertuples(index=False, name=None)]


# --- marks and statistics ------------------------------------------------------------


def continues(item: PlanItem) -> bool:
    """Does the item go into next year's plan (column *Plán pro rok X+1*)?"""
    return item.is_activity and activity_continues(item.status, item.get("pokracuje"))


def activity_continues(status: str | None, explicit: str | None) -> bool:
    """Does an activity (``PlanItem.is_activity``) with status code ``status`` and
    *Pokračuje v příštím roce* code ``explicit`` (``ano``/``ne``/None) continue?"""
    if status == _CANCELLED:
        return False
    if explicit == "ano":
        return True
    if explicit == "ne":
        return False
    return status != _DONE


@dataclass(frozen=True)
class Marks:
    done: str = ""
    not_done: str = ""
    next_year: str = ""


def marks(item: PlanItem) -> Marks:
    """What the three columns of the fulfilment sheet show for one item."""
    if not item.is_activity:
        return Marks()
    done = {_DONE: MARK, _PARTIAL: PARTIAL_WORD}.get(item.status or "", "")
    not_done = {_NOT_DONE: MARK, _CANCELLED: CANCELLED_WORD}.get(item.status or "", "")
    return Marks(done=done, not_done=not_done, next_year=MARK if continues(item) else "")


@dataclass
class FulfilmentStats:
    """Counts of activities by status; ``pct_done`` in per cent (None without any status)."""

    activities: int = 0
    done: int = 0
    partial: int = 0
    not_done: int = 0
    cancelled: int = 0
    no_status: int = 0
    continuing: int = 0
    planned: float = 0.0
    spent: float = 0.0

    @property
    def with_status(self) -> int:
        return self.activities - self.no_status

    @property
    def pct_done(self) -> float | None:
        if not self.with_status:
            return None
        return round(100.0 * self.done / self.with_status, 1)

    def add(self, item: PlanItem) -> None:
        self.activities += 1
        status = item.status
        if status == _DONE:
            self.done += 1
        elif status == _PARTIAL:
            self.partial += 1
        elif status == _NOT_DONE:
            self.not_done += 1
        elif status == _CANCELLED:
            self.cancelled += 1
        else:
            self.no_status += 1
        if continues(item):
            self.continuing += 1
        self.planned += float(item.get("rozpocet") or 0)
        self.spent += float(item.get("cerpano") or 0)

    @classmethod
    def of(cls, items: list[PlanItem]) -> FulfilmentStats:
        stats = cls()
        for item in items:
            if item.is_activity:
                stats.add(item)
        return stats


def stats_by_priority(tree: PlanTree) -> list[tuple[PlanItem | None, FulfilmentStats]]:
    """Fulfilment per priority, in plan order; activities without a priority under None."""
    out: list[tuple[PlanItem | None, FulfilmentStats]] = []
    loose: list[PlanItem] = []
    for root in tree.roots:
        if root.depth == 1 and root.number:
            out.append((root, FulfilmentStats.of(list(root.walk()))))
        else:
            loose.extend(root.walk())
    if any(i.is_activity for i in loose):
        out.append((None, FulfilmentStats.of(loose)))
    return out
