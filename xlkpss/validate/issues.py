"""Issues are data, not exceptions: one per problem cell (or per file), with a stable code."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xlkpss.i18n import ISSUES, SEVERITY_WORDS, issue_text, ui

__all__ = ["EFFECTS", "KEEPS_ROW", "FileResult", "Issue", "display_value", "issue_effect", "make_issue"]

#: what an issue does to the merge: rejects the whole file, excludes its row, or nothing
EFFECTS = ("file", "row", "none")


def display_value(value: Any) -> str:
    """How a found value is shown to a person (dates the Czech way, whole floats without .0)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "PRAVDA" if value else "NEPRAVDA"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return f"{value.day}. {value.month}. {value.year} {value:%H:%M}"
    if isinstance(value, dt.date):
        return f"{value.day}. {value.month}. {value.year}"
    text = str(value)
    return text if len(text) <= 200 else text[:197] + "…"


@dataclass
class Issue:
    code: str
    severity: str
    sheet: str | None = None
    cell: str | None = None
    row: int | None = None
    column: str | None = None
    value: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    field_key: str | None = None
    explained: bool = False
    #: "file" (rejects the whole file) | "row" (excludes its row) | "none"; None until
    #: validation decides it (``FileResult.settle_effects``)
    effect: str | None = None

    def body(self, lang: str = "cs") -> str:
        params = dict(self.params)
        for key in list(params):  # ``expected_cs`` / ``counted_en`` … : the text for ``lang``
            if key.endswith(f"_{lang}"):
                params[key[: -len(lang) - 1]] = params[key]
        if params.get("suggested"):
            params["suggestion"] = ui("did_you_mean", lang, s=params["suggested"])
        text = issue_text(self.code, lang, value=self.value, column=self.column or "", **params)
        if self.explained:
            text += ui("explained_suffix", lang)
        return text

    def message(self, lang: str = "cs") -> str:
        """The full sentence: where, what was found and what is expected."""
        where = []
        if self.sheet:
            where.append(f"{'List' if lang == 'cs' else 'Sheet'} {self.sheet}")
        if self.cell:
            where.append(f"{ui('cell', lang)} {self.cell}")
        prefix = ", ".join(where)
        if self.column and self.cell:
            prefix += f" ({self.column})"
        return f"{prefix}: {self.body(lang)}" if prefix else self.body(lang)

    def severity_word(self, lang: str = "cs") -> str:
        return SEVERITY_WORDS[lang]["explained" if self.explained else self.severity]

    def effect_words(self, lang: str = "cs") -> str:
        """What the issue does to the merge, in a clerk's words ("" when nothing)."""
        if self.effect in ("file", "row"):
            return ui(f"effect_{self.effect}", lang)
        if self.severity == "error" and self.effect == "none":
            return ui("effect_none", lang)  # an error that keeps the rows (a contact field …)
        return ""

    def to_dict(self, lang: str = "cs") -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "explained": self.explained,
            "effect": self.effect or "none",
            "sheet": self.sheet,
            "cell": self.cell,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "message": self.message(lang),
        }


def make_issue(
    code: str,
    *,
    sheet: str | None = None,
    cell: str | None = None,
    row: int | None = None,
    column: str | None = None,
    value: Any = None,
    field_key: str | None = None,
    **params: Any,
) -> Issue:
    it = ISSUES[code]
    return Issue(
        code=code,
        severity=it.severity,
        sheet=sheet,
        cell=cell,
        row=row,
        column=column,
        value=display_value(value),
        params={k: display_value(v) if not isinstance(v, str) else v for k, v in params.items()},
        field_key=field_key,
    )


@dataclass
class FileResult:
    """Everything validation learnt about one file."""

    path: Path
    sha256: str = ""
    format: str | None = None
    application: str | None = None
    kind: str | None = None
    version: int | None = None
    issues: list[Issue] = field(default_factory=list)
    #: typed identification (field key -> value), codes resolved
    ident: dict[str, Any] = field(default_factory=dict)
    #: sheet key -> typed DataFrame: one row per data row; columns = field keys plus
    #: ``_row`` (Excel row number) and ``_excluded`` (row has an error)
    frames: dict[str, Any] = field(default_factory=dict)
    #: sheet key -> actual sheet name in the file
    sheet_names: dict[str, str] = field(default_factory=dict)
    mtime: float = 0.0
    #: key–value pairs of the file's hidden ``_xlkpss`` sheet (template version, pre-fill stamp …)
    meta: dict[str, str] = field(default_factory=dict)
    #: sheet key -> field key -> 0-based column of the field in the file (columns are
    #: matched by label, so they may stand anywhere): for issues raised after validation
    columns: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def valid(self) -> bool:
        return not self.errors

    def effect_of(self, issue: Issue) -> str:
        """``issue.effect`` when settled, else decided now (see ``issue_effect``)."""
        return issue.effect or issue_effect(issue, self.kind, self.sheet_names.get("identifikace"))

    def settle_effects(self) -> None:
        """Write the effect of every issue into it (validation calls this once at the end)."""
        for i in self.issues:
            i.effect = self.effect_of(i)

    @property
    def rejected(self) -> bool:
        """The file as a whole cannot be used: unreadable, not our template, or an error in
        a field that identifies the submission (``identifies = true`` in the spec)."""
        if not self.frames:
            return True
        return any(self.effect_of(i) == "file" for i in self.issues)

    @property
    def file_errors(self) -> list[Issue]:
        """Errors that keep the rows (e.g. a wrong e-mail on Identifikace): the file is
        accepted with errors and the coordinator sees what to chase."""
        return [i for i in self.errors if self.effect_of(i) == "none"]

    @property
    def rows(self) -> int:
        return sum(len(df) for key, df in self.frames.items() if key != "identifikace")

    def rows_excluded(self) -> int:
        if self.rejected:
            return self.rows
        return sum(_excluded_count(df) for key, df in self.frames.items() if key != "identifikace")


def _excluded_count(frame: Any) -> int:
    """``count_nonzero`` of the ``_excluded`` column (the same count as ``Series.sum``; this
    runs for every file of a merge, twice) from the column's array as pandas holds it,
    without building its Series (~1 µs instead of ~18 µs) when that is a plain boolean
    array; anything else takes the Series."""
    import numpy as np

    try:
        values = frame._get_column_array(frame.columns.get_loc("_excluded"))
    except (AttributeError, KeyError, TypeError, ValueError):  # other pandas internals
        values = None
    if type(values) is np.ndarray and values.dtype == np.bool_ and values.ndim == 1:
        return int(np.count_nonzero(values))
    return int(np.count_nonzero(frame["_excluded"].to_numpy()))


# file-level errors that do not make the whole file unusable (the rows carry their own)
_ROWLESS_OK = frozenset({"column-missing", "sheet-copy"})
#: row errors that exclude no data row: a structural problem of the plan tree (a missing
#: parent, a level that does not fit) — the item still counts, attached to its nearest
#: existing ancestor, so the merge's figures equal ``xlkpss fulfilment``'s — and „žádné
#: služby nemáme“ typed into a row (that text never was a service row: nothing to exclude)
KEEPS_ROW = frozenset({"plan-parent-missing", "plan-level-depth", "none-typed-as-row"})


def issue_effect(issue: Issue, kind: str | None, ident_sheet: str | None) -> str:
    """What ``issue`` does to the merge of a file of template ``kind`` whose Identifikace
    sheet is called ``ident_sheet``.

    Warnings do nothing.  On Identifikace an error rejects the file only when its field
    identifies the submission (``identifies = true`` in the spec: who submits, kód obce /
    IČO, ORP, kraj, year) or cannot be placed on a field; errors in the other fields
    (contacts, date filled, name) keep the rows.  Any other error without a row is a
    file-level read problem and rejects the file (a missing table column does not: its
    rows carry their own errors).  An error in a table row excludes the row, except a
    structural problem of the plan tree (``KEEPS_ROW``): that item is kept and counted.
    """
    if issue.severity != "error":
        return "none"
    if ident_sheet is not None and issue.sheet == ident_sheet:
        f = _ident_field(kind, issue.field_key, issue.column)
        return "file" if f is None or f.identifies else "none"
    if issue.row is None:
        return "none" if issue.code in _ROWLESS_OK else "file"
    return "none" if issue.code in KEEPS_ROW else "row"


def _ident_field(kind: str | None, key: str | None, label: str | None):
    from xlkpss.spec import get_template

    if not kind:
        return None
    try:
        sheet = get_template(kind).sheet("identifikace")
    except (KeyError, ValueError):  # unknown kind (SpecError) or no Identifikace
        return None
    for f in sheet.fields:
        if (key and f.key == key) or (not key and label and f.label == label):
            return f
    return None
