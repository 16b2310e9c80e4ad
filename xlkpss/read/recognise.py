"""Recognise which template a workbook is and where its data are.

First by the hidden metadata sheet (kind, version, fingerprint); when that was lost
(data pasted into another workbook, sheets renamed or reordered) by the header
labels.  Columns are always matched by label, never by position.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from xlkpss.cells import a1, col_letter
from xlkpss.codelists import normalize_key
from xlkpss.i18n import ROWS, plural_cs, plural_form
from xlkpss.read.model import RawSheet, RawWorkbook
from xlkpss.spec import SheetSpec, TemplateSpec, load_spec

__all__ = ["MIN_SUPPORTED_VERSION", "FileIssue", "SheetData", "Submission", "a1", "col_letter", "is_blank", "recognise"]

META_SHEET = "_xlkpss"
#: The oldest template version each kind can still read (older ones are refused with
#: a message saying which template to download).
MIN_SUPPORTED_VERSION = {"sluzby": 1, "plan": 1, "sit": 1}
_HEADER_SCAN_ROWS = 30


@dataclass
class FileIssue:
    """A problem found while recognising the file (not tied to one data cell)."""

    code: str
    sheet: str | None = None
    cell: str | None = None
    column: str | None = None
    value: Any = None
    expected: Any = None
    #: further values its message names
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class SheetData:
    spec: SheetSpec
    sheet_name: str
    #: field key -> 0-based column (tables) or 0-based row (key–value sheets)
    positions: dict[str, int]
    #: tables: 0-based header row; key–value: the value column
    anchor: int
    #: tables: (row0, {field key: raw value}); key–value: one record
    records: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    errors: dict[tuple[int, int], str] = field(default_factory=dict)

    def cell_of(self, row0: int, key: str) -> tuple[int, int]:
        """(row0, col0) of a field in a record."""
        if self.spec.layout == "keyvalue":
            return self.positions[key], self.anchor
        return row0, self.positions[key]


@dataclass
class Submission:
    kind: str | None
    template: TemplateSpec | None
    version: int | None
    fingerprint: str | None
    sheets: dict[str, SheetData] = field(default_factory=dict)
    issues: list[FileIssue] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)


def _label_key(value: Any) -> str:
    if value is None:
        return ""
    if type(value) is str:
        return _text_key(value)  # headers repeat in every file: cached
    text = str(value).replace("\n", " ").strip().rstrip("*").strip()
    return normalize_key(text)


@lru_cache(maxsize=16384)
def _text_key(value: str) -> str:
    return normalize_key(value.replace("\n", " ").strip().rstrip("*").strip())


#: id(spec) -> (spec, its label keys); by identity: hashing a frozen SheetSpec hashes all
#: its fields again on every call
_LABELS: dict[int, tuple[SheetSpec, frozenset[str]]] = {}


def _spec_labels(spec: SheetSpec) -> frozenset[str]:
    hit = _LABELS.get(id(spec))
    if hit is not None and hit[0] is spec:
        return hit[1]
    labels = frozenset(_label_key(f.label) for f in spec.fields)
    _LABELS[id(spec)] = (spec, labels)
    return labels


def _read_meta(raw: RawWorkbook) -> dict[str, str]:
    sheet = raw.sheet(META_SHEET)
    if sheet is None:
        return {}
    meta = {}
    for row in sheet.rows:
        if len(row) >= 2 and row[0] is not None:
            meta[str(row[0]).strip()] = "" if row[1] is None else str(row[1]).strip()
    return meta


def _find_header(sheet: RawSheet, labels: set[str]) -> tuple[int, dict[str, int]] | None:
    """The row (within the first rows) with the most spec labels, and label→column."""
    best: tuple[int, dict[str, int]] | None = None
    for r, row in enumerate(sheet.rows[:_HEADER_SCAN_ROWS]):
        found = {}
        for c, v in enumerate(row):
            k = _label_key(v)
            if k in labels and k not in found:
                found[k] = c
        if found and (best is None or len(found) > len(best[1])):
            best = (r, found)
            if len(found) == len(labels):
                break  # no later row can match more
    return best


def _keyvalue_positions(sheet: RawSheet, labels: set[str]) -> tuple[int, dict[str, int]] | None:
    """Key–value layout: labels in one column, values in the next.  Returns (value col, label→row)."""
    best: tuple[int, dict[str, int]] | None = None
    for c in range(3):
        found = {}
        for r, row in enumerate(sheet.rows[:60]):
            k = _label_key(row[c] if c < len(row) else None)
            if k in labels and k not in found:
                found[k] = r
                if len(found) == len(labels):
                    break  # every label found: later rows cannot add one
        if found and (best is None or len(found) > len(best[1])):
            best = (c + 1, found)
            if len(found) == len(labels):
                break  # no later column can match more
    return best


def _match_score(sheet: RawSheet, spec: SheetSpec) -> tuple[int, Any]:
    labels = _spec_labels(spec)
    if spec.layout == "keyvalue":
        kv = _keyvalue_positions(sheet, labels)
        return (len(kv[1]) if kv else 0), kv
    hdr = _find_header(sheet, labels)
    return (len(hdr[1]) if hdr else 0), hdr


def _guess_kind(raw: RawWorkbook) -> str | None:
    spec = load_spec()
    best_kind, best_score = None, 0
    for kind, t in spec.templates.items():
        score = 0
        for s in t.table_sheets:
            score += max((_match_score(sh, s)[0] for sh in raw.sheets), default=0)
        # a sheet must really look like ours: at least half the labels of one table
        need = min(len(s.fields) for s in t.table_sheets) // 2
        if score >= need and score > best_score:
            best_kind, best_score = kind, score
    return best_kind


@lru_cache(maxsize=1)
def _instructions_names() -> frozenset[str]:
    """The instructions sheets' names (the spec's; asked for every file)."""
    return frozenset(s.name for t in load_spec().templates.values() for s in t.sheets if s.layout == "instructions")


def _looks_like_instructions(sheet: RawSheet) -> bool:
    """The instructions sheet lists the labels of every sheet in one column; a key–value
    sheet holds only its own.  Seeing table labels in column A means Návod (renamed)."""
    table_labels = {_label_key(f.label) for t in load_spec().templates.values() for s in t.table_sheets for f in s.fields}
    hits = sum(1 for row in sheet.rows[:200] if row and _label_key(row[0]) in table_labels)
    return hits >= 3


def _locate_sheet(raw: RawWorkbook, spec: SheetSpec, used: set[str]) -> tuple[RawSheet | None, Any]:
    exact = raw.sheet(spec.name)
    if exact is not None:
        score, pos = _match_score(exact, spec)
        if score:
            return exact, pos
    # renamed or reordered: the best sheet by label match
    best: tuple[int, RawSheet | None, Any] = (0, None, None)
    skip = _instructions_names() | {META_SHEET}
    for sh in raw.sheets:
        if sh.name in used or sh.name in skip:
            continue
        if spec.layout == "keyvalue" and _looks_like_instructions(sh):
            continue
        score, pos = _match_score(sh, spec)
        if score > best[0]:
            best = (score, sh, pos)
    threshold = max(2, len(spec.fields) // 3)
    if best[0] >= threshold:
        return best[1], best[2]
    return None, None


def is_blank(v: Any) -> bool:
    """An empty cell: nothing, or text of white space only."""
    return v is None or (isinstance(v, str) and not v.strip())


def recognise(raw: RawWorkbook) -> Submission:
    spec = load_spec()
    meta = _read_meta(raw)
    kind = meta.get("kind")
    sub = Submission(kind=None, template=None, version=None, fingerprint=meta.get("fingerprint"), meta=meta)
    if kind in spec.templates:
        try:
            version = int(meta.get("version", "0"))
        except ValueError:
            version = 0
    else:
        kind = _guess_kind(raw)
        version = None
        if kind is None:
            sub.issues.append(FileIssue("not-our-template", expected=" nebo ".join(t.filename for t in spec.templates.values())))
            return sub
        sub.issues.append(FileIssue("template-recognised-by-labels"))
    t = spec.template(kind)
    sub.kind, sub.template = kind, t
    sub.version = version if version is not None else t.version
    if version is not None:
        if version > t.version:
            sub.issues.append(FileIssue("template-version-new", value=f"verze {version}", expected=f"verze {t.version}"))
            return sub
        if version < MIN_SUPPORTED_VERSION[kind]:
            sub.issues.append(FileIssue("template-version-old", value=f"verze {version}", expected=t.filename))
            return sub
        if version < t.version:
            sub.issues.append(FileIssue("template-version-read", value=f"verze {version}", expected=f"{t.filename} (verze {t.version})"))

    used: set[str] = set()
    for s in t.data_sheets:
        sheet, pos = _locate_sheet(raw, s, used)
        if sheet is None:
            sub.issues.append(FileIssue("sheet-missing", sheet=s.name, expected=s.name))
            continue
        used.add(sheet.name)
        if sheet.name != s.name:
            sub.issues.append(FileIssue("sheet-renamed", sheet=sheet.name, value=sheet.name, expected=s.name))
        sub.sheets[s.key] = _extract(sheet, s, pos, sub, raw)
    _find_copies(raw, t, sub, used)
    return sub


_NOT_READ = ("se nečte", "se nečtou", "se nečte")


def _find_copies(raw: RawWorkbook, t: TemplateSpec, sub: Submission, used: set[str]) -> None:
    """A visible sheet with the headings of a table sheet and rows under them, besides the
    sheet read for it — „Služby (2)“, copied when the clerk wanted more room: its rows are
    not read, so it is an error that says where they are (``sheet-copy``).  Hidden sheets
    (the template's own lists and checks) and the instructions are never loaded for this."""
    skip = _instructions_names() | {META_SHEET}
    others = [sh for sh in raw.sheets if sh.name not in used and sh.name not in skip and not sh.hidden]
    if not others:
        return
    for s in t.table_sheets:
        data = sub.sheets.get(s.key)
        if data is None:
            continue
        for sh in others:
            if sh.name in used:
                continue
            score, pos = _match_score(sh, s)
            if score < max(2, len(s.fields) // 3):
                continue
            header_row, label_cols = pos
            cols = sorted(label_cols.values())
            n = sum(
                1
                for row in sh.rows[header_row + 1 :]
                if any(c < len(row) and not is_blank(row[c]) for c in cols)
            )
            used.add(sh.name)
            if n:
                rows = f"{plural_cs(n, ROWS)} z něj {plural_form(n, _NOT_READ)}"
                copy = FileIssue("sheet-copy", sheet=sh.name, value=sh.name, expected=data.sheet_name, params={"rows": rows})
                sub.issues.append(copy)


def _lengthened_headers(
    header: list[Any], s: SheetSpec, positions: dict[str, int], file_version: int
) -> dict[str, int]:
    """Columns whose heading a clerk lengthened („Kapacita služby“, „Kapacita (počet míst)“
    for „Kapacita“): field key -> column, for a missing field whose label is the first
    words of exactly one unknown heading that begins with no other missing label."""
    missing = [f for f in s.fields if f.key not in positions and f.since <= file_version]
    if not missing:
        return {}
    known = set(positions.values())
    pairs = []
    for c, v in enumerate(header):
        if c in known or is_blank(v):
            continue
        k = _label_key(v)
        hits = [f for f in missing if _begins_with(k, _label_key(f.label))]
        if len(hits) == 1:
            pairs.append((hits[0].key, c))
    keys = [key for key, _c in pairs]
    return {key: c for key, c in pairs if keys.count(key) == 1}


def _filled_down(sheet: RawSheet, header_row: int, cols: set[int]) -> dict[int, dict[int, Any]]:
    """Row -> {column: value} for the cells under the first of a merged range of one column
    of the table (a provider's name merged over its services): the file holds the value
    only in the first cell, but every row of the range shows it, as the clerk sees it."""
    out: dict[int, dict[int, Any]] = {}
    for r0, c0, r1, c1 in sheet.merged:
        if c0 != c1 or c0 not in cols or r0 <= header_row or r1 <= r0:
            continue  # a block or a row of cells, the heading, a column the template has not
        value = sheet.cell(r0, c0)
        if is_blank(value):
            continue
        for r in range(r0 + 1, r1 + 1):
            out.setdefault(r, {})[c0] = value
    return out


def _begins_with(heading: str, label: str) -> bool:
    """Whether the heading is the label and more words (or a bracket, a comma …)."""
    return heading.startswith(label) and heading[len(label) : len(label) + 1] in (" ", "(", ",", ":", "-")


def _extract(sheet: RawSheet, s: SheetSpec, pos: Any, sub: Submission, raw: RawWorkbook) -> SheetData:
    by_label = {_label_key(f.label): f for f in s.fields}
    file_version = sub.version or 1
    if s.layout == "keyvalue":
        value_col, label_rows = pos
        positions = {by_label[k].key: r for k, r in label_rows.items()}
        data = SheetData(spec=s, sheet_name=sheet.name, positions=positions, anchor=value_col)
        record = {key: sheet.cell(r, value_col) for key, r in positions.items()}
        for f in s.fields:
            if f.key not in positions and f.since <= file_version and f.required:
                sub.issues.append(FileIssue("column-missing", sheet=sheet.name, column=f.label))
        data.records = [(0, record)]
        data.errors = {rc: e for rc, e in sheet.errors.items() if rc[1] == value_col and rc[0] in positions.values()}
        for (r, c), e in data.errors.items():
            key = next(k for k, rr in positions.items() if rr == r)
            record[key] = None
        return data

    header_row, label_cols = pos
    positions = {by_label[k].key: c for k, c in label_cols.items()}
    data = SheetData(spec=s, sheet_name=sheet.name, positions=positions, anchor=header_row)
    header = sheet.rows[header_row]
    renamed = _lengthened_headers(header, s, positions, file_version)
    for key, c in renamed.items():
        positions[key] = c
        label = s.field(key).label
        heading = str(header[c]).strip()
        sub.issues.append(FileIssue("column-renamed", sheet=sheet.name, cell=a1(header_row, c), value=heading, expected=label))
    for f in s.fields:
        if f.key not in positions and f.since <= file_version:
            sub.issues.append(FileIssue("column-missing", sheet=sheet.name, column=f.label))
    known_cols = set(positions.values())
    for c, v in enumerate(header):
        if c not in known_cols and not is_blank(v):
            sub.issues.append(FileIssue("column-unknown", sheet=sheet.name, cell=a1(header_row, c), value=str(v)))
    cols = sorted(positions.items(), key=lambda kv: kv[1])
    err_rows = {}
    for (r, c), e in sheet.errors.items():
        if r > header_row and c in known_cols:
            err_rows.setdefault(r, {})[c] = e
    rows = sheet.rows
    keys = [key for key, _ in cols]
    idx = [c for _, c in cols]
    filled = _filled_down(sheet, header_row, known_cols) if sheet.merged else {}
    for r in range(header_row + 1, len(rows)):
        row = rows[r]
        n = len(row)
        if not n:  # an empty row: all blank
            if r in err_rows:
                data.records.append((r, dict.fromkeys(keys)))
            continue
        vals = [row[c] if c < n else None for c in idx]
        if r not in err_rows and (vals.count(None) == len(vals) or all(is_blank(v) for v in vals)):
            continue
        if r in filled:  # a row with its own values, under a merged cell that shows one for it
            vals = [filled[r].get(c, v) if v is None else v for c, v in zip(idx, vals)]
        data.records.append((r, dict(zip(keys, vals))))
    data.errors = {(r, c): e for r, cols_ in err_rows.items() for c, e in cols_.items()}
    if raw.truncated.get(sheet.name):
        sub.issues.append(
            FileIssue("too-many-rows", sheet=sheet.name, value=raw.truncated[sheet.name], expected=len(sheet.rows))
        )
    return data
