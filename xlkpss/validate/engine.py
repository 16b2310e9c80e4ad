"""Validation pipeline: file → read → recognise → parse values → pandera → cross checks.

The per-file part (``parse_file``) runs in worker processes with time and memory
limits; it returns compact, picklable results.  The schema part (``validate_parsed``)
concatenates the rows of many files into one frame per sheet and runs pandera once,
because pandera costs ~20 ms per call whatever the frame size.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from xlkpss.codelists import CodeList, Territory, codelist, municipalities, normalize_key
from xlkpss.collate import czech_key
from xlkpss.fsutil import resolve_paths, sha256_file
from xlkpss.i18n import ROWS, describe_field, plural_cs
from xlkpss.perf import gc_paused
from xlkpss.read.archives import LOCK_PREFIXES, REPORTED_SUFFIXES, SPREADSHEET_SUFFIXES, unpack_zip
from xlkpss.read.model import RawWorkbook, ReadError
from xlkpss.read.recognise import FileIssue, SheetData, Submission, a1, is_blank, recognise
from xlkpss.read.values import PARSERS, ParseContext, parse_value
from xlkpss.read.zipparts import WHOLE_LIMIT
from xlkpss.spec import Field, SheetSpec
from xlkpss.validate.issues import FileResult, Issue, make_issue

__all__ = [
    "REPORTED_SUFFIXES",
    "SPREADSHEET_SUFFIXES",
    "ParsedFile",
    "collect_paths",
    "parse_file",
    "parse_workbook",
    "validate_parsed",
    "validate_paths",
]

#: the files a folder walk takes (``xlkpss.read.archives``: workbooks and what is reported)
_COLLECTED = SPREADSHEET_SUFFIXES | REPORTED_SUFFIXES


@dataclass
class ParsedSheet:
    key: str
    sheet_name: str
    rows: list[int]  # Excel row numbers (1-based) of the records
    values: dict[str, list[Any]]  # field key -> typed values
    cells: dict[str, int]  # field key -> col0 (tables) / row0 (key–value)
    anchor: int
    bad: list[set[str]]  # per record: field keys that already have an issue


@dataclass
class ParsedFile:
    path: Path
    sha256: str = ""
    mtime: float = 0.0
    format: str | None = None
    application: str | None = None
    kind: str | None = None
    version: int | None = None
    issues: list[Issue] = field(default_factory=list)
    sheets: dict[str, ParsedSheet] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)  # the hidden _xlkpss sheet's pairs


class _ScopedObce:
    """Resolve municipality names inside the declared ORP first (names repeat across the
    country but never within an ORP), then the kraj, then the whole country."""

    def __init__(self, orp: str | None, kraj: str | None):
        # the lists are built when first needed: most names resolve in the ORP's list
        self._scopes: list[Territory | None] = []
        if orp:
            self._scopes.append(Territory("orp", orp, orp))
        if kraj:
            self._scopes.append(Territory("kraj", kraj, kraj))
        self._scopes.append(None)
        self._lists: list[CodeList] = []

    def _chain(self):
        yield from self._lists
        while len(self._lists) < len(self._scopes):
            scope = self._scopes[len(self._lists)]
            self._lists.append(codelist("obce", scope) if scope is not None else codelist("obce"))
            yield self._lists[-1]

    @property
    def chain(self) -> list[CodeList]:
        return list(self._chain())

    @property
    def national(self) -> CodeList:
        return self.chain[-1]

    @property
    def title(self) -> str:
        return self.national.title

    def resolve(self, value):
        code = _municipality_code(value)
        if code is not None:
            # a municipality code resolves to itself in whichever list of the chain has
            # it first (codes always win over names), so no list needs building
            return _CodeRef(code)
        for cl in self._chain():
            item = cl.resolve(value)
            if item is not None:
                return item
            if cl.is_ambiguous(value):
                return None
        return None

    def is_ambiguous(self, value) -> bool:
        return any(cl.is_ambiguous(value) for cl in self.chain) and self.resolve(value) is None

    def suggest(self, value):
        return next(self._chain()).suggest(value)


@dataclass(frozen=True)
class _CodeRef:
    """The resolved item of a code: what the parser uses of a CodeItem."""

    code: str


def _municipality_code(value: Any) -> str | None:
    """``value`` as the code of an existing municipality, normalised exactly as
    ``CodeList.resolve`` does, or None."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    key = normalize_key(value)
    return key if key in municipalities() else None


@lru_cache(maxsize=512)
def _scoped_obce(orp: str | None, kraj: str | None) -> _ScopedObce:
    """One resolver per (ORP, kraj) per process, so its parse cache serves many files."""
    return _ScopedObce(orp, kraj)


def warm_up() -> None:
    """Build the code lists validation uses (in the parent before workers fork, so that
    every worker inherits them instead of building its own)."""
    from xlkpss.spec import load_spec

    municipalities()
    for t in load_spec().templates.values():
        for s in t.data_sheets:
            for f in s.fields:
                if f.type == "code" and f.codelist != "obce":  # obce: scoped lists, built on demand
                    codelist(f.codelist)


def _issue_at(
    code: str, sheet: ParsedSheet, spec: SheetSpec, record: int, key: str, value: Any, lang_params: dict | None = None
) -> Issue:
    """The issue at the field's cell; a field whose column (on a key–value sheet, row) the
    file lacks — ``column-missing`` says so — is at its row, without a cell."""
    f = spec.field(key)
    row0: int | None
    if spec.layout == "keyvalue":
        row0, col0 = sheet.cells.get(key), sheet.anchor  # the field's row, the value column
    else:
        row0, col0 = sheet.rows[record] - 1, sheet.cells.get(key)
    cell = a1(row0, col0) if row0 is not None and col0 is not None else None
    params = dict(lang_params or {})
    if "expected" not in params:
        # what the field accepts, in both languages: the report language is chosen later
        params["expected_cs"] = describe_field(f, "cs")
        params["expected_en"] = describe_field(f, "en")
    row = None if row0 is None else row0 + 1
    return make_issue(code, sheet=sheet.sheet_name, cell=cell, row=row, column=f.label, value=value, field_key=key, **params)


def _file_issue(fi: FileIssue) -> Issue:
    return make_issue(
        fi.code, sheet=fi.sheet, cell=fi.cell, column=fi.column, value=fi.value, expected=fi.expected, **fi.params
    )


def _parse_records(data: SheetData, lists: dict, scoped_obce, out_issues: list[Issue]) -> ParsedSheet:
    spec = data.spec
    ctx = ParseContext({**lists, "obce": scoped_obce})
    ps = ParsedSheet(
        key=spec.key,
        sheet_name=data.sheet_name,
        rows=[r + 1 for r, _ in data.records],
        values={f.key: [] for f in spec.fields},
        cells=dict(data.positions),
        anchor=data.anchor,
        bad=[set() for _ in data.records],
    )
    err_by_cell = data.errors
    # plain text fields: the parser gives a stripped text back as it is
    fields = [
        (f, f.key, f.key in data.positions, ps.values[f.key], PARSERS[f.type], f.type == "text" and not f.digits)
        for f in spec.fields
    ]
    table = spec.layout != "keyvalue"
    required = [f.key for f in spec.fields if f.required and f.key in data.positions]
    all_keys = [f.key for f in spec.fields]
    for n, (row0, record) in enumerate(data.records):
        get = record.get
        total = _total_row(record, required) if table else None
        if total is not None:
            # a row of totals typed under the records: one issue, not an error per column;
            # the row is excluded (the consolidated workbook sums the records itself)
            out_issues.append(_issue_at("total-row", ps, spec, n, total[0], total[1]))
            ps.bad[n].update(all_keys)
            for _f, _key, _present, out, _parser, _plain in fields:
                out.append(None)
            continue
        for f, key, present, out, parser, plain in fields:
            if not present:
                out.append(None)
                continue
            if not err_by_cell:
                raw = get(key)
                if raw is None:  # an empty cell: every parser gives (None, None, None)
                    out.append(None)
                    continue
                if not isinstance(raw, str):  # not text: parse_value would call the parser directly
                    value, code, suggestion = parser(f, raw, ctx)
                    if code is None:
                        out.append(value)
                        continue
                else:
                    text = raw.strip()
                    if text and text[0] != "=":  # what parse_value hands the parser for such a text
                        if plain:
                            out.append(text)
                            continue
                        value, code, suggestion = parser(f, text, ctx)
                        if code is None:
                            out.append(value)
                            continue
            rc = data.cell_of(row0, f.key)
            if rc in err_by_cell:
                out_issues.append(_issue_at("formula-error", ps, spec, n, f.key, err_by_cell[rc]))
                ps.bad[n].add(f.key)
                ps.values[f.key].append(None)
                continue
            raw = record.get(f.key)
            value, code, suggestion = parse_value(f, raw, ctx)
            if code:
                params = {}
                if code in ("unknown-code", "ambiguous-code"):
                    params["expected"] = ctx.lists[f.codelist].title
                    if suggestion:
                        params["suggested"] = suggestion
                out_issues.append(_issue_at(code, ps, spec, n, f.key, raw, params))
                ps.bad[n].add(f.key)
            ps.values[f.key].append(value)
    return ps


#: the first words of a row of totals a clerk adds under the records („Celkem“, „Součet za
#: obec“, „Úhrnem“ …), in any case, with or without accents
_TOTAL_WORDS = re.compile(
    r"^\W*(celkem|(mezi)?sou[cč]et|sou[cč]ty|suma|sum[aá]r|[uú]hrn(em)?|dohromady|total)\b", re.IGNORECASE
)


def _total_row(record: dict[str, Any], required: list[str]) -> tuple[str, str] | None:
    """(field key, text) when the row is a row of totals: its first filled cell is a text
    that starts with a word of totals (``_TOTAL_WORDS``) and a required field is empty (a
    complete record is a record, whatever its first word); None for any other row."""
    for key, value in record.items():
        if is_blank(value):
            continue
        if type(value) is not str or _TOTAL_WORDS.match(value) is None:
            return None
        if not any(is_blank(record.get(k)) for k in required):
            return None
        return key, value.strip()
    return None


def parse_file(path: str | os.PathLike, engine: str = "calamine") -> ParsedFile:
    """Read one file and parse every value (runs inside a sandboxed worker)."""
    from xlkpss.read.files import read_workbook

    path = Path(path)
    pf = ParsedFile(path=path)
    data = None
    try:
        st = path.stat()
        if stat.S_ISREG(st.st_mode) and st.st_size <= WHOLE_LIMIT:
            # read once: hashed here, probed and read from these bytes (read_workbook)
            data = path.read_bytes()
            pf.sha256 = hashlib.sha256(data).hexdigest()
        else:
            pf.sha256 = sha256_file(path)
        pf.mtime = st.st_mtime
    except OSError:
        pf.issues.append(make_issue("file-not-found"))
        return pf
    try:
        # lazy: only the sheets recognition and parsing use are parsed (not the hidden
        # lists or the instructions); a ReadError may then come from a sheet's first use
        raw = read_workbook(path, engine=engine, lazy=True, data=data)
        return parse_workbook(path, raw, pf)
    except ReadError as exc:
        failed = ParsedFile(path=path, sha256=pf.sha256, mtime=pf.mtime)
        failed.issues.append(make_issue(exc.code, value=exc.value, expected=exc.expected))
        return failed


def parse_workbook(path: str | os.PathLike, raw: RawWorkbook, pf: ParsedFile | None = None) -> ParsedFile:
    """Recognise an already read workbook and parse every value (``parse_file`` minus
    hashing and reading; the benchmark's naive baseline reads with another reader)."""
    pf = pf or ParsedFile(path=Path(path))
    pf.format, pf.application = raw.format, raw.application
    sub: Submission = recognise(raw)
    pf.kind, pf.version = sub.kind, sub.version
    pf.meta = dict(sub.meta)
    pf.issues.extend(_file_issue(fi) for fi in sub.issues)
    if sub.template is None or any(fi.code.startswith("template-version-") and fi.code != "template-version-read" for fi in sub.issues):
        return pf
    lists = {
        f.codelist: codelist(f.codelist)
        for s in sub.template.data_sheets
        for f in s.fields
        if f.type == "code" and f.codelist != "obce"  # obce: the scoped resolver below
    }
    # identification first: its ORP scopes municipality names on the other sheets
    ident_data = sub.sheets.get("identifikace")
    orp = kraj = None
    if ident_data is not None:
        national = _scoped_obce(None, None)
        ps = _parse_records(ident_data, lists, national, pf.issues)
        pf.sheets["identifikace"] = ps
        orp = ps.values.get("kod_orp", [None])[0]
        kraj = ps.values.get("kod_kraje", [None])[0]
    scoped = _scoped_obce(orp, kraj)
    declared = _declared_empty(pf.sheets.get("identifikace"), sub.template)
    for key, data in sub.sheets.items():
        if key == "identifikace":
            continue
        typed_none = key == sub.template.table_sheets[0].key and _none_typed_as_row(data, pf.issues)
        pf.sheets[key] = ps = _parse_records(data, lists, scoped, pf.issues)
        _fill_related(ps)
        if key in declared:
            if data.records:
                ident, f = pf.sheets["identifikace"], declared[key]
                spec = sub.template.sheet("identifikace")
                n = len(data.records)
                pf.issues.append(
                    _issue_at(
                        "none-declared-with-rows", ident, spec, 0, f.key, ident.values[f.key][0],
                        {"expected": f"{data.sheet_name} ({plural_cs(n, ROWS)})"},
                    )
                )
        elif not data.records and key == sub.template.table_sheets[0].key and not typed_none:
            pf.issues.append(make_issue("no-data", sheet=data.sheet_name))
    return pf


def _declared_empty(ident: ParsedSheet | None, template) -> dict[str, Field]:
    """Table sheets the identification declares empty (a ``declares_empty`` field = ano)."""
    out: dict[str, Field] = {}
    if ident is None:
        return out
    for f in template.sheet("identifikace").fields:
        if f.declares_empty and (ident.values.get(f.key) or [None])[0] == "ano":
            out[f.declares_empty] = f
    return out


#: What a clerk types into the first row instead of choosing „žádná služba“ (lower case,
#: without accents): „žádné služby nemáme“, „nejsou“, „bez služeb“, „nic“, „0 služeb“ …
_NONE_WORDS = re.compile(
    r"^\W*(zadn[aeyoi]\w*|nemame|nejsou|neni|nic|bez\s+sluz\w*|0\s+sluz\w*|neposkytuj\w*|nepusob\w*)\b"
    r"|\b(zadn[aeyoi]\w*\s+(socialni\s+)?sluz\w*|nemame\s+(zadne\s+)?sluz\w*|zadna\s+nepusob\w*)\b"
)


def _plain_words(text: str) -> str:
    import unicodedata

    decomposed = unicodedata.normalize("NFD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def _none_typed_as_row(data: SheetData, out_issues: list[Issue]) -> bool:
    """„žádné služby nemáme“ typed into the only data row: one issue pointing to the
    field that says so (the spec's ``declares_empty`` field) instead of an error per
    required column.  The row is not a service; it is reported, not parsed."""
    if len(data.records) != 1:
        return False
    row0, record = data.records[0]
    filled = [(k, v) for k, v in record.items() if not (v is None or (isinstance(v, str) and not v.strip()))]
    if not filled or len(filled) > 2 or not all(isinstance(v, str) for _, v in filled):
        return False
    hit = next(((k, v) for k, v in filled if _NONE_WORDS.search(_plain_words(v))), None)
    declaring = _ident_fields_declaring(data.spec.key)
    if hit is None or not declaring:
        return False
    f = declaring[0]
    key, value = hit
    data.records = []
    r, c = data.cell_of(row0, key)
    out_issues.append(
        make_issue(
            "none-typed-as-row",
            sheet=data.sheet_name,
            cell=a1(r, c),
            row=r + 1,
            column=data.spec.field(key).label,
            value=value,
            expected=f"„{f.label}“ na listu Identifikace",
        )
    )
    return True


@lru_cache(maxsize=8)
def _ident_fields_declaring(sheet_key: str) -> tuple[Field, ...]:
    from xlkpss.spec import load_spec

    return tuple(f for f in load_spec().all_fields() if f.declares_empty == sheet_key)


def _fill_related(ps: ParsedSheet) -> None:
    """An unregistered related service (spec ``[related_services]``, e.g. Registrovaná
    služba = ne) with an empty Druh služby is „související služba (není druh podle
    zákona)“: the empty value is read as that code, so it is counted as one."""
    from xlkpss.spec import load_spec

    rel = load_spec().related
    code, when = rel.get("druh"), rel.get("when") or {}
    if not code or "druh" not in ps.values or not when or any(k not in ps.values for k in when):
        return
    druh = ps.values["druh"]
    for n, value in enumerate(druh):
        if value is None and "druh" not in ps.bad[n] and all(ps.values[k][n] == v for k, v in when.items()):
            druh[n] = code


def _frame(parsed: list[tuple[int, ParsedSheet]], spec: SheetSpec):
    import pandas as pd

    from xlkpss.validate.schema import DTYPES, FILE_COL, ROW_COL

    cols: dict[str, Any] = {FILE_COL: [], ROW_COL: []}
    for f in spec.fields:
        cols[f.key] = []
    for file_idx, ps in parsed:
        n = len(ps.rows)
        cols[FILE_COL].extend([file_idx] * n)
        cols[ROW_COL].extend(ps.rows)
        for f in spec.fields:
            cols[f.key].extend(ps.values[f.key])
    data = {}
    for k, v in cols.items():
        if k in (FILE_COL, ROW_COL):
            data[k] = pd.Series(v, dtype="int64")
        else:
            data[k] = pd.Series(v, dtype=DTYPES[spec.field(k).type])
    return pd.DataFrame(data)


@dataclass
class _Group:
    """One (kind, sheet key) batch: the rows of every file with that sheet in one frame."""

    kind: str
    key: str
    spec: SheetSpec
    frame: Any
    parsed: list[tuple[int, ParsedSheet]]
    offsets: dict[int, int]
    excluded: Any = None  # numpy bool per row, filled in at the end

    def spans(self) -> list[tuple[int, int, int]]:
        return [(idx, self.offsets[idx], self.offsets[idx] + len(ps.rows)) for idx, ps in self.parsed]


@gc_paused
def validate_parsed(files: list[ParsedFile], *, expected_year: int | None = None) -> list[FileResult]:
    """Schema + cross checks over many parsed files at once; one FileResult per file.

    Everything is batched per (kind, sheet): one frame, one schema run, one vectorised
    pass of the row checks; per-file frames are cut from the batch at the end.  The
    result is the same as validating each file on its own (issues in the same order).
    """
    import numpy as np

    from xlkpss.spec import get_template
    from xlkpss.validate.checks import ROW_CHECKS, batch_row_checks, ident_checks
    from xlkpss.validate.schema import FILE_COL, ROW_COL, run_schema

    results = [
        FileResult(
            path=pf.path,
            sha256=pf.sha256,
            format=pf.format,
            application=pf.application,
            kind=pf.kind,
            version=pf.version,
            issues=list(pf.issues),
            sheet_names={k: s.sheet_name for k, s in pf.sheets.items()},
            mtime=pf.mtime,
            meta=pf.meta,
        )
        for pf in files
    ]
    # group sheets by (kind, sheet key) so each schema runs once over all files
    by_key: dict[tuple[str, str], list[tuple[int, ParsedSheet]]] = {}
    for idx, pf in enumerate(files):
        for key, ps in pf.sheets.items():
            by_key.setdefault((pf.kind, key), []).append((idx, ps))
    groups: list[_Group] = []
    for (kind, key), parsed in by_key.items():
        spec = get_template(kind).sheet(key)
        frame = _frame(parsed, spec)
        offsets = {}
        start = 0
        for idx, ps in parsed:
            offsets[idx] = start
            start += len(ps.rows)
        groups.append(_Group(kind, key, spec, frame, parsed, offsets))
        failures = run_schema(spec, frame)
        if not failures:
            continue
        bad_cells = {(idx, ps.rows[n], k) for idx, ps in parsed for n, b in enumerate(ps.bad) if b for k in b}
        sheet_of = {idx: ps for idx, ps in parsed}
        file_col = frame[FILE_COL].to_numpy()
        row_col = frame[ROW_COL].to_numpy()
        for fi, field_key, code, value in failures:
            file_idx = int(file_col[fi])
            excel_row = int(row_col[fi])
            if (file_idx, excel_row, field_key) in bad_cells:
                continue  # one issue per cell
            bad_cells.add((file_idx, excel_row, field_key))
            ps = sheet_of[file_idx]
            n = fi - offsets[file_idx]
            params: dict[str, Any] = {}
            if code == "too-long":
                params["length"], params["expected"] = len(str(value)), spec.field(field_key).max_length
            if code == "duplicate-row":
                params, value = _duplicate_params(frame, fi, spec)
            results[file_idx].issues.append(_issue_at(code, ps, spec, n, field_key, value, params))
    # identification → typed dict (a file has one identification record)
    for g in groups:
        if g.key != "identifikace":
            continue
        cols = {f.key: g.frame[f.key].tolist() for f in g.spec.fields}
        for idx, ps in g.parsed:
            if len(ps.rows):
                at = g.offsets[idx]
                results[idx].ident = {k: (None if _na(v[at]) else v[at]) for k, v in cols.items()}
    # row checks, batched per sheet (vectorised pre-selection of suspicious rows)
    found: dict[tuple[int, str], list] = {}
    for g in groups:
        if g.key in ROW_CHECKS:
            bad = [b for _idx, ps in g.parsed for b in ps.bad]
            for idx, rows in batch_row_checks(g.key, g.frame, g.spec, g.spans(), {i: results[i].ident for i, _ in g.parsed}, bad).items():
                found[(idx, g.key)] = rows
    groups_of: dict[int, list[_Group]] = {}
    for g in groups:
        g.excluded = np.zeros(len(g.frame), dtype=bool)
        for idx, _ps in g.parsed:
            groups_of.setdefault(idx, []).append(g)
    # per file: identification checks, row-check issues, explained warnings, exclusions
    for idx, (pf, res) in enumerate(zip(files, results)):
        mine = groups_of.get(idx, [])
        if "identifikace" in pf.sheets and len(pf.sheets["identifikace"].rows):
            ps = pf.sheets["identifikace"]
            spec = get_template(pf.kind).sheet("identifikace")
            for key, code, value, params in ident_checks(res.ident, expected_year):
                if key in ps.cells:
                    res.issues.append(_issue_at(code, ps, spec, 0, key, value, params))
                else:
                    res.issues.append(make_issue(code, sheet=ps.sheet_name, value=value, field_key=key, **params))
        for g in mine:
            ps = pf.sheets[g.key]
            for n, field_key, code, value, params in found.get((idx, g.key), ()):
                res.issues.append(_issue_at(code, ps, g.spec, n, field_key, value, params))
        _explain_and_exclude(pf, res, mine, idx)
    for g in groups:
        for (idx, ps), sub in zip(g.parsed, _split_frame(g)):
            results[idx].frames[g.key] = sub
            results[idx].columns[g.key] = dict(ps.cells)
    for res in results:
        res.settle_effects()
    return results


def _split_frame(g: _Group) -> list[Any]:
    """Per-file frames (``_row``, fields, ``_excluded``; index from 0) cut from a batch.

    There are tens of thousands of them nationally, so they are assembled from blocks
    sliced out of the batch (~40 µs a frame) instead of through the DataFrame
    constructor (~250 µs); any surprise in pandas' internals falls back to the latter.
    """
    try:
        return _split_frame_blocks(g)
    except Exception:  # noqa: BLE001 - internals of another pandas version: take the public way
        return _split_frame_generic(g)


def _split_frame_blocks(g: _Group) -> list[Any]:
    import numpy as np
    import pandas as pd
    from pandas._libs.internals import BlockPlacement
    from pandas.core.internals import BlockManager
    from pandas.core.internals.blocks import get_block_type, new_block_2d

    from xlkpss.validate.schema import FILE_COL

    names = [c for c in g.frame.columns if c != FILE_COL] + ["_excluded"]
    by_dtype: dict[Any, list[int]] = {}
    masked: list[tuple[BlockPlacement, type, Any, Any, type]] = []
    arrays: dict[int, Any] = {}
    for pos, c in enumerate(names[:-1]):
        arr = g.frame[c].array
        if isinstance(arr, pd.arrays.IntegerArray | pd.arrays.FloatingArray | pd.arrays.BooleanArray):
            masked.append((BlockPlacement(slice(pos, pos + 1)), type(arr), arr._data, arr._mask, get_block_type(arr.dtype)))
        elif isinstance(arr, pd.arrays.NumpyExtensionArray) and arr.dtype.numpy_dtype.kind in "iufbO":
            values = arr.to_numpy()
            arrays[pos] = values
            by_dtype.setdefault(values.dtype, []).append(pos)
        else:
            raise TypeError(f"unexpected column type {type(arr).__name__}")
    arrays[len(names) - 1] = np.asarray(g.excluded, dtype=bool)
    by_dtype.setdefault(np.dtype(bool), []).append(len(names) - 1)
    stacked = [(BlockPlacement(np.array(ps, dtype=np.intp)), np.vstack([arrays[p] for p in ps])) for ps in by_dtype.values()]
    columns = pd.Index(names)
    out = []
    for _idx, lo, hi in g.spans():
        if hi == lo:
            out.extend(_split_frame_generic(g, [(_idx, lo, hi)]))
            continue
        blocks = [new_block_2d(values[:, lo:hi], bp) for bp, values in stacked]
        blocks += [klass(t._simple_new(d[lo:hi], m[lo:hi]), ndim=2, placement=bp) for bp, t, d, m, klass in masked]
        mgr = BlockManager(blocks, [columns, pd.RangeIndex(hi - lo)], verify_integrity=False)
        out.append(pd.DataFrame._from_mgr(mgr, mgr.axes))
    return out


def _split_frame_generic(g: _Group, spans: list[tuple[int, int, int]] | None = None) -> list[Any]:

    from xlkpss.validate.schema import FILE_COL

    out = []
    for _idx, lo, hi in spans if spans is not None else g.spans():
        sub = g.frame.iloc[lo:hi].reset_index(drop=True).drop(columns=[FILE_COL])
        sub["_excluded"] = [bool(x) for x in g.excluded[lo:hi]]  # [] gives float64, as before
        out.append(sub)
    return out


def _na(v: Any) -> bool:
    import pandas as pd

    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _duplicate_params(frame, fi: int, spec: SheetSpec) -> tuple[dict, Any]:
    from xlkpss.validate.schema import FILE_COL, ROW_COL

    keys = [FILE_COL, *spec.unique]
    row = frame.loc[fi, keys]
    mask = (frame[keys] == row.values).all(axis=1)
    first = int(frame.loc[mask, ROW_COL].min())
    shown = " / ".join(_shown(spec.field(k), frame.at[fi, k]) for k in spec.unique if not _na(frame.at[fi, k]))
    return {"expected": first}, shown


def _shown(f: Field, value: Any) -> str:
    """A typed value as a person would recognise it (code → its label)."""
    if f.type == "code":
        return codelist(f.codelist).get(value).display
    return str(value)


def _explain_and_exclude(pf: ParsedFile, res: FileResult, groups: list[_Group], idx: int) -> None:
    """Warnings explained in the row's comment column are marked so; rows with an error
    that excludes its row (effect "row") are excluded from the merge (kept in the error
    report)."""
    from xlkpss.spec import get_template
    from xlkpss.validate.schema import ROW_COL

    if not pf.kind:
        return
    by_sheet: dict[str | None, list[Issue]] = {}
    for issue in res.issues:
        if issue.row is not None:
            by_sheet.setdefault(issue.sheet, []).append(issue)
    if not by_sheet:
        return  # nothing to explain or exclude
    t = get_template(pf.kind)
    for g in groups:
        issues = by_sheet.get(res.sheet_names.get(g.key))
        if not issues:
            continue
        spec = t.sheet(g.key)
        lo = g.offsets[idx]
        hi = lo + len(pf.sheets[g.key].rows)
        excel_rows = [int(r) for r in g.frame[ROW_COL].array[lo:hi]]
        comment = spec.comment_field
        rows_with_comment = set()
        if comment is not None:
            comments = g.frame[comment.key].array[lo:hi]
            rows_with_comment = {r for r, c in zip(excel_rows, comments) if c is not None and not _na(c) and str(c).strip()}
        bad_rows = set()
        for issue in issues:
            if issue.severity == "warning" and issue.row in rows_with_comment:
                issue.explained = True
            if issue.severity == "error" and res.effect_of(issue) == "row":
                bad_rows.add(issue.row)
        if bad_rows:
            g.excluded[lo:hi] = [r in bad_rows for r in excel_rows]


#: the first bytes of an AppleDouble file: the metadata macOS keeps beside a file as „._name“
#: (on USB disks, network shares, and in a ZIP made on a Mac, under ``__MACOSX/``)
APPLE_DOUBLE_MAGIC = b"\x00\x05\x16\x07"


def is_apple_double(path: Path) -> bool:
    """True for macOS's „._name.xlsx“ beside „name.xlsx“: its metadata, never a workbook
    (decided by the file's first bytes, not by its name alone)."""
    if not path.name.startswith("._"):
        return False
    try:
        with path.open("rb") as fh:
            return fh.read(4) == APPLE_DOUBLE_MAGIC
    except OSError:
        return False


def _unpacked(path: Path) -> list[Path] | None:
    """The workbooks (and other files that are reported, ``REPORTED_SUFFIXES``) of a ZIP
    archive, unpacked (``xlkpss.read.archives``); None for any other file, or an archive
    that is not to be unpacked — then it is read as a file and says why it is no workbook."""
    if path.suffix.lower() != ".zip" or not path.is_file():
        return None
    # an archive inside is taken out too, not unpacked: it is then reported (file-archive)
    return unpack_zip(path, _COLLECTED)


def collect_paths(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Files given directly, plus spreadsheets found recursively in folders (in Czech
    alphabetical order of their paths in the folder).

    In folders, lock files of Excel („~$…“) and LibreOffice („.~lock…“) and macOS's
    metadata files („._…“, ``is_apple_double``) are not spreadsheets and are left out.  A
    ZIP archive of workbooks (an e-mail attachment) stands for its workbooks, unpacked into a
    temporary folder as „podklady.zip – obec.xlsx“ (``_unpacked``)."""
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            found = [
                q
                # in Czech alphabetical order of the path in the folder (Čáslav before Dolany, Cheb after Hodonín)
                for q in sorted(p.rglob("*"), key=lambda q: czech_key(q.relative_to(p).as_posix()))
                if q.is_file()
                and q.suffix.lower() in _COLLECTED
                and not q.name.startswith(LOCK_PREFIXES)
                and not is_apple_double(q)
            ]
            out.extend(found)
        else:
            out.append(p)
    out = [q for p in out for q in (_unpacked(p) or [p])]
    seen = set()
    unique = []
    for p, key in zip(out, resolve_paths(out)):
        if key not in seen:
            seen.add(key)
            unique.append(p)
    return unique


def validate_paths(
    paths: Iterable[str | os.PathLike],
    *,
    expected_year: int | None = None,
    engine: str = "calamine",
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[FileResult]:
    """Validate files (and folders, recursively); never raises for a bad file."""
    parsed = parse_paths(collect_paths(paths), engine=engine, workers=workers, progress=progress)
    return validate_parsed(parsed, expected_year=expected_year)


@gc_paused  # the parent collects 8,000 parsed files: no cycles, ~25 % less of its CPU
def parse_paths(
    files: Sequence[str | os.PathLike],
    *,
    engine: str = "calamine",
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[ParsedFile]:
    """Read and parse ``files`` in the sandboxed worker pool, in input order (the first
    half of ``validate_paths``; ``validate_parsed`` does the rest, in one batch or in
    several — the results are the same)."""
    from xlkpss.read.sandbox import map_safely

    if files:
        warm_up()
    parsed: list[ParsedFile] = []
    for path, outcome in map_safely(_parse_for_pool(engine), files, workers=workers, progress=progress):
        if isinstance(outcome, ReadError):
            pf = ParsedFile(path=Path(path))
            try:
                pf.sha256 = sha256_file(path)
            except OSError:
                pass
            pf.issues.append(make_issue(outcome.code, value=outcome.value, expected=outcome.expected))
            parsed.append(pf)
        else:
            parsed.append(outcome)
    return parsed


def _parse_calamine(path):
    return parse_file(path, "calamine")


def _parse_openpyxl(path):
    return parse_file(path, "openpyxl")


def _parse_for_pool(engine: str):
    return {"calamine": _parse_calamine, "openpyxl": _parse_openpyxl}[engine]
