"""Statuses of submissions: one meaning each, one count for the HTML, the workbook and the CLI.

Every input file has exactly one status (a line of Odevzdání); an expected submitter
that sent no file of the expected kind has a ``missing`` line.  The statuses:

* ``valid`` — *v pořádku*: no error, no unexplained warning;
* ``warnings`` — *přijato s upozorněním*: warnings only, every row merged;
* ``errors`` — *přijato s chybami*: accepted, but some rows were excluded or a field is
  wrong (e.g. the e-mail on Identifikace) — the coordinator has something to chase;
* ``rejected`` — *odmítnuto*: nothing of the file is used;
* ``superseded`` — *nahrazeno novějším*: a newer file of the same submitter, kind and year wins;
* ``missing`` — *chybí*: an expected submitter sent nothing of that kind;
* ``outside`` — *mimo území*: the file belongs to another territory.

``status_counts`` is the only place the counts are made: Přehled, the HTML summary and
the CLI summary all call it on the Odevzdání table.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from xlkpss.merge.model import KIND_LABELS, STATUS_LABELS

__all__ = ["ACCEPTED", "NONE_DECLARED_NOTE", "STATUS_ORDER", "count_text", "file_status", "rejected_note", "status_counts", "status_totals"]

STATUS_ORDER = tuple(STATUS_LABELS)
#: statuses of a file whose data were merged
ACCEPTED = ("valid", "warnings", "errors")
#: the Odevzdání note of a services file that says *Na území nepůsobí žádná služba* = ano
#: and has no rows: the only empty file that is evidence of "bez služby"
NONE_DECLARED_NOTE = "na území nepůsobí žádná služba (potvrzeno na listu Identifikace)"


def file_status(*, errors: int, rows_excluded: int, unexplained_warnings: int) -> str:
    """Status of an accepted submission from what validation found in it."""
    if errors or rows_excluded:
        return "errors"
    if unexplained_warnings:
        return "warnings"
    return "valid"


def _kind_word(value: Any) -> str:
    """Kind of a submissions line as the workbook shows it (``Sociální služby`` …)."""
    if value is None or value == "":
        return KIND_LABELS[""]
    text = str(value)
    return KIND_LABELS.get(text, text)


def status_counts(submissions: Iterable[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """kind (Czech word) → status key → number of Odevzdání lines, statuses in
    ``STATUS_ORDER``, only those that occur; kinds in order of first appearance."""
    out: dict[str, dict[str, int]] = {}
    for r in submissions:
        status = str(r.get("status") or "")
        if status not in STATUS_LABELS:
            continue
        per = out.setdefault(_kind_word(r.get("kind")), {})
        per[status] = per.get(status, 0) + 1
    return {k: {s: v[s] for s in STATUS_ORDER if s in v} for k, v in out.items()}


def status_totals(submissions: Iterable[dict[str, Any]]) -> dict[str, int]:
    """status key → number of Odevzdání lines over all kinds (``STATUS_ORDER``)."""
    totals: dict[str, int] = {}
    for per in status_counts(submissions).values():
        for s, n in per.items():
            totals[s] = totals.get(s, 0) + n
    return {s: totals[s] for s in STATUS_ORDER if s in totals}


def count_text(counts: dict[str, int]) -> str:
    """``v pořádku 3, přijato s chybami 1, chybí 2``"""
    return ", ".join(f"{STATUS_LABELS[s]} {n}" for s, n in counts.items()) or "žádné soubory"


def rejected_note(reasons: Iterable[Any]) -> str:
    """The Odevzdání note of a rejected file: which error rejects it (validation issues
    whose effect is ``file``), so the coordinator knows what to ask for without opening
    Chyby — ``soubor nelze použít – Rok: „dvacet šest“ není celé číslo. …``."""
    reasons = list(reasons)
    if not reasons:
        return "soubor nelze použít"
    first = reasons[0]
    text = f"{first.column}: {first.body()}" if first.column else first.body()
    more = len(reasons) - 1
    return f"soubor nelze použít – {text}" + (f" (a další důvody: {more}, viz list Chyby)" if more else "")
