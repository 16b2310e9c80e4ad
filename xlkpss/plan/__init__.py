"""Plan evaluations: validated ``plan`` submissions as trees, ready for the yearly
fulfilment sheet (``xlkpss.render.fulfilment``) and next year's plan
(``xlkpss.plan.rollover``).

``load_plans(paths)`` validates the files and refuses any with validation errors
(``PlanRefused`` says which and why) unless ``force=True``; files that are not a plan
evaluation, or cannot be read at all, are refused even then.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xlkpss.plan.tree import (
    MARK,
    FulfilmentStats,
    Marks,
    PlanItem,
    PlanTree,
    build_tree,
    continues,
    marks,
    stats_by_priority,
)

__all__ = [
    "MARK",
    "FulfilmentStats",
    "Marks",
    "Plan",
    "PlanItem",
    "PlanRefused",
    "PlanTree",
    "RefusedFile",
    "build_tree",
    "continues",
    "load_plans",
    "marks",
    "period_years",
    "plans_from_results",
    "stats_by_priority",
]

PLAN_KIND = "plan"
#: how many errors a refusal message lists per file
SHOWN_ERRORS = 5

_YEAR = re.compile(r"\b(\d{4}|\d{2})\b")


def period_years(period: str | None) -> tuple[int, ...]:
    """``"2025/2026"`` → ``(2025, 2026)``; ``"2025-27"`` → ``(2025, 2027)``; ``"2026"`` → ``(2026,)``."""
    if not period:
        return ()
    years: list[int] = []
    for token in _YEAR.findall(str(period)):
        year = int(token)
        if len(token) == 2:
            if not years:
                continue
            year = years[0] // 100 * 100 + year
        years.append(year)
    return tuple(years)


@dataclass
class Plan:
    """One evaluated plan: identification, the tree of items and the projects."""

    path: Path
    ident: dict[str, Any]
    tree: PlanTree
    projects: list[dict[str, Any]] = field(default_factory=list)
    #: validation errors the file still has (only when loaded with ``force``)
    errors: list[Any] = field(default_factory=list)
    warnings: list[Any] = field(default_factory=list)

    @property
    def year(self) -> int | None:
        return self.ident.get("rok")

    @property
    def submitter(self) -> str:
        return str(self.ident.get("nazev") or self.path.stem)

    @property
    def period(self) -> str:
        """The period the plan was approved for (Období plánu), else the evaluated year."""
        return str(self.ident.get("obdobi") or self.year or "").strip()

    def title(self) -> str:
        """Seed 004: „Vyhodnocení krátkodobého plánu … na roky 2007/2008“."""
        name = str(self.ident.get("nazev_planu") or "").strip()
        base = f"Vyhodnocení: {name}" if name else f"Vyhodnocení plánu rozvoje sociálních služeb – {self.submitter}"
        period = self.period
        years = period_years(period)
        if not period or (name and years and all(str(y) in name for y in years)):
            return base
        return f"{base} na {'roky' if len(years) > 1 else 'rok'} {period}"

    def stats(self) -> FulfilmentStats:
        return FulfilmentStats.of(self.tree.items)

    def stats_by_priority(self) -> list[tuple[PlanItem | None, FulfilmentStats]]:
        return stats_by_priority(self.tree)


@dataclass
class RefusedFile:
    path: Path
    reason: str  # "errors" | "not-plan" | "unreadable"
    errors: list[Any] = field(default_factory=list)
    kind: str | None = None

    @property
    def forceable(self) -> bool:
        return self.reason == "errors"

    def message(self, lang: str = "cs") -> str:
        name = self.path.name
        if self.reason == "not-plan":
            if self.kind:
                from xlkpss.spec import get_template

                what = get_template(self.kind).title
                return f"{name}: je to šablona „{what}“, ne vyhodnocení plánu."
            return f"{name}: není to vyhodnocení plánu (šablona „{_plan_title()}“)."
        n = len(self.errors)
        head = (
            f"{name}: soubor nelze použít – {_errors_word(n)}:"
            if self.reason == "unreadable"
            else f"{name}: obsahuje {_errors_word(n)}:"
        )
        lines = [head]
        lines += [f"  - {e.message(lang)}" for e in self.errors[:SHOWN_ERRORS]]
        if n > SHOWN_ERRORS:
            lines.append(f"  … a další ({n - SHOWN_ERRORS}); celý seznam: xlkpss validate {name}")
        return "\n".join(lines)


class PlanRefused(Exception):
    """Some plan files cannot be used as they are; ``files`` says which and why."""

    def __init__(self, files: list[RefusedFile]):
        self.files = files
        super().__init__(self.message())

    @property
    def forceable(self) -> bool:
        """True when every refusal is only about validation errors (``force`` would help)."""
        return all(f.forceable for f in self.files)

    def message(self, lang: str = "cs") -> str:
        return "\n".join(f.message(lang) for f in self.files)


def _plan_title() -> str:
    from xlkpss.spec import get_template

    return get_template(PLAN_KIND).title


def _errors_word(n: int) -> str:
    """``obsahuje 1 chybu / 2 chyby / 5 chyb`` (accusative)."""
    from xlkpss.i18n import plural_cs

    return plural_cs(n, ("chybu", "chyby", "chyb"))


def _clean_ident(ident: dict[str, Any]) -> dict[str, Any]:
    from xlkpss.plan.tree import clean_cell

    return {k: clean_cell(v) for k, v in ident.items()}


def plans_from_results(results: Iterable[Any], *, force: bool = False) -> list[Plan]:
    """Plans from validation results (``xlkpss.validate.issues.FileResult``).

    Raises ``PlanRefused`` for files with validation errors (unless ``force``), and
    always for files that are not a plan evaluation or have no readable plan sheet.
    """
    plans: list[Plan] = []
    refused: list[RefusedFile] = []
    for r in results:
        if r.kind not in (None, PLAN_KIND):
            refused.append(RefusedFile(Path(r.path), "not-plan", kind=r.kind))
            continue
        if r.kind is None or PLAN_KIND not in r.frames:
            if r.errors:
                refused.append(RefusedFile(Path(r.path), "unreadable", errors=r.errors))
            else:
                refused.append(RefusedFile(Path(r.path), "not-plan"))
            continue
        if r.errors and not force:
            refused.append(RefusedFile(Path(r.path), "errors", errors=r.errors))
            continue
        projects = []
        if "projekty" in r.frames:
            from xlkpss.plan.tree import row_dicts

            projects = [
                p
                for p in row_dicts(r.frames["projekty"])
                if any(v is not None for k, v in p.items() if not k.startswith("_"))
            ]
        plans.append(
            Plan(
                path=Path(r.path),
                ident=_clean_ident(r.ident),
                tree=build_tree(r.frames[PLAN_KIND]),
                projects=projects,
                errors=list(r.errors),
                warnings=list(r.warnings),
            )
        )
    if refused:
        raise PlanRefused(refused)
    return plans


def load_plans(
    paths: Iterable[str | os.PathLike],
    *,
    year: int | None = None,
    force: bool = False,
    engine: str = "calamine",
) -> list[Plan]:
    """Validate plan files (``year`` = the expected evaluated year) and build their trees."""
    from xlkpss.validate.engine import validate_paths

    results = validate_paths(list(paths), expected_year=year, engine=engine)
    return plans_from_results(results, force=force)
