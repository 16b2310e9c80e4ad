"""Validation reports: a text table for people, JSON (stable schema) and CSV for programs.

JSON schema (documented in the README)::

    {"valid": bool,
     "files": [{"path", "kind", "version", "format", "valid", "rows", "errors", "warnings",
                "issues": [{"code", "severity", "explained", "effect", "sheet", "cell", "row",
                            "column", "value", "message"}]}]}

``effect``: "file" (the merge rejects the whole file), "row" (the row is left out) or
"none" (the rows are kept; a warning, or an error in a contact field).
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections.abc import Sequence

from xlkpss.i18n import ui
from xlkpss.validate.issues import FileResult

__all__ = ["to_csv", "to_dict", "to_json", "to_text"]

_SEV_ORDER = {"error": 0, "warning": 1}


def _sorted_issues(res: FileResult):
    def key(i):
        return (i.sheet or "", i.row or 0, i.cell or "", _SEV_ORDER.get(i.severity, 2), i.code)

    file_level = [i for i in res.issues if i.row is None]
    cells = sorted((i for i in res.issues if i.row is not None), key=key)
    return file_level + cells


def to_dict(results: Sequence[FileResult], lang: str = "cs") -> dict:
    return {
        "valid": all(r.valid for r in results),
        "files": [
            {
                "path": str(r.path),
                "kind": r.kind,
                "version": r.version,
                "format": r.format,
                "valid": r.valid,
                "rows": r.rows,
                "errors": len(r.errors),
                "warnings": len(r.warnings),
                "issues": [i.to_dict(lang) for i in _sorted_issues(r)],
            }
            for r in results
        ],
    }


def to_json(results: Sequence[FileResult], lang: str = "cs") -> str:
    return json.dumps(to_dict(results, lang), ensure_ascii=False, indent=2, default=str)


CSV_COLUMNS = ("file", "sheet", "cell", "row", "column", "value", "code", "severity", "explained", "effect", "message")


def to_csv(results: Sequence[FileResult], lang: str = "cs", *, excel: bool = True) -> str:
    """The issues as CSV.  ``excel`` (default): what a Czech Excel opens correctly on a
    double click — UTF-8 with a byte order mark, ``;`` between fields (a Czech Excel
    reads ``,`` as the decimal comma); ``excel=False``: plain ``,`` CSV without the mark."""
    buf = io.StringIO()
    if excel:
        buf.write("\ufeff")
    w = csv.writer(buf, delimiter=";" if excel else ",", lineterminator="\r\n" if excel else "\n")
    w.writerow(CSV_COLUMNS)
    for r in results:
        for i in _sorted_issues(r):
            w.writerow(
                [
                    str(r.path),
                    i.sheet or "",
                    i.cell or "",
                    i.row or "",
                    i.column or "",
                    _csv_safe(i.value),
                    i.code,
                    i.severity,
                    "1" if i.explained else "",
                    i.effect or "none",
                    _csv_safe(i.body(lang)),
                ]
            )
    return buf.getvalue()


def _csv_safe(text: str) -> str:
    """Text from submissions must not become a formula when the CSV is opened in Excel."""
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _outcome(r: FileResult, lang: str) -> str:
    """What the merge will do with a file that has errors (the end of its total line)."""
    if r.valid:
        return ""
    if r.rejected:
        return ui("outcome_rejected", lang)
    excluded = r.rows_excluded()
    return ui("outcome_rows", lang, excluded=excluded) if excluded else ui("outcome_kept", lang)


def to_text(results: Sequence[FileResult], lang: str = "cs", *, only_problems: bool = False, errors_only: bool = False) -> str:
    """A table (soubor, list, buňka, sloupec, hodnota, problém) with totals per file.
    ``errors_only``: the errors and nothing else ('' when there is none)."""
    heads = [ui(k, lang) for k in ("file", "sheet", "cell", "column", "value", "problem")]
    rows: list[list[str]] = []
    totals: list[str] = []
    for r in results:
        name = r.path.name
        issues = [i for i in _sorted_issues(r) if i.severity == "error" or not errors_only]
        for i in issues:
            sev = i.severity_word(lang)
            effect = i.effect_words(lang)
            rows.append(
                [
                    _clip(name, 34),
                    i.sheet or "",
                    i.cell or (ui("row_only", lang, row=i.row) if i.row else ""),
                    _clip(i.column or "", 26),
                    _clip(i.value.replace("\n", " "), 24),
                    f"[{sev}] {i.body(lang)}" + (f" – {effect}" if effect else ""),
                ]
            )
        totals.append(
            ui("file_total", lang, path=name, rows=r.rows, errors=len(r.errors), warnings=len(r.warnings)) + _outcome(r, lang)
        )
    out = []
    if rows:
        widths = [max([_width(h)] + [_width(row[c]) for row in rows]) for c, h in enumerate(heads[:-1])]
        out.append("  ".join(_pad(h, w) for h, w in zip(heads[:-1], widths)) + "  " + heads[-1])
        out.append("  ".join("-" * w for w in widths) + "  " + "-" * 30)
        for row in rows:
            out.append("  ".join(_pad(c, w) for c, w in zip(row[:-1], widths)) + "  " + row[-1])
        out.append("")
    if errors_only:
        return "\n".join(out[:-1]) + "\n" if rows else ""
    if not only_problems:
        out.extend(totals)
    ok = sum(1 for r in results if r.valid)
    rejected = sum(1 for r in results if r.rejected)
    out.append(
        ui(
            "totals",
            lang,
            files=len(results),
            ok=ok,
            bad=len(results) - ok,
            rejected_part=ui("totals_rejected", lang, rejected=rejected) if rejected else "",
            errors=sum(len(r.errors) for r in results),
            warnings=sum(len(r.warnings) for r in results),
        )
    )
    return "\n".join(out) + "\n"
