"""pandera schemas compiled from the field spec (never written by hand).

Values reach pandera already parsed (``xlkpss.read.values``): a cell that could not be
parsed has its type issue and is NA here.  The schema checks what is left: required
values, ranges, patterns, lengths, code lists, IČO check digits and uniqueness within a
file.  Each check carries the issue code it reports, so ``failure_cases`` translate to
issues one-to-one (``schema_issues``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from typing import Any

from xlkpss.codelists import codelist, municipalities
from xlkpss.read.values import ico_is_valid
from xlkpss.spec import Field, SheetSpec

__all__ = ["DTYPES", "FILE_COL", "ROW_COL", "CompiledSchema", "compile_schema"]

FILE_COL = "_file"
ROW_COL = "_row"

#: pandas dtype per field type (tests check every spec type has one).
DTYPES: dict[str, str | None] = {
    "text": "object",
    "integer": "Int64",
    "decimal": "Float64",
    "money": "Float64",
    "date": "object",
    "code": "object",
    "ico": "object",
    "email": "object",
    "phone": "object",
}


@dataclass(frozen=True)
class CompiledSchema:
    schema: Any  # pandera.DataFrameSchema
    #: (column, check_number) -> issue code
    codes: dict[tuple[str, int], str]
    unique: tuple[str, ...]


def _checks(f: Field) -> list[tuple[Any, str]]:
    import pandera.pandas as pa

    out: list[tuple[Any, str]] = []
    if f.min is not None:
        out.append((pa.Check.ge(f.min), "below-minimum"))
    if f.max is not None:
        out.append((pa.Check.le(f.max), "above-maximum"))
    if f.type == "text" and f.pattern and not f.digits:
        out.append((pa.Check.str_matches(f.pattern), "pattern-mismatch"))
    if f.type == "text" and f.max_length:
        out.append((pa.Check.str_length(max_value=f.max_length), "too-long"))
    if f.type == "code":
        out.append((pa.Check.isin(_codes(f.codelist)), "unknown-code"))
    if f.type == "ico":
        out.append((pa.Check(lambda v: ico_is_valid(str(v)), element_wise=True), "invalid-ico"))
    return out


def _codes(name: str) -> list[str]:
    """The valid codes of a code list.  For obce the codes of the municipality table (the
    same set), without building the searchable list of 6,258 names."""
    if name == "obce":
        return list(municipalities())
    return codelist(name).codes()


@cache
def compile_schema(sheet: SheetSpec) -> CompiledSchema:
    import pandera.pandas as pa

    columns = {}
    codes: dict[tuple[str, int], str] = {}
    for f in sheet.fields:
        checks = _checks(f)
        for n, (_, code) in enumerate(checks):
            codes[(f.key, n)] = code
        columns[f.key] = pa.Column(
            dtype=None,
            nullable=not f.required,
            checks=[c for c, _ in checks],
            required=True,
        )
    unique = (FILE_COL, *sheet.unique) if sheet.unique else ()
    schema = pa.DataFrameSchema(
        columns,
        unique=list(unique) if unique else None,
        report_duplicates="exclude_first",
        name=sheet.key,
    )
    return CompiledSchema(schema=schema, codes=codes, unique=tuple(sheet.unique))


def run_schema(sheet: SheetSpec, frame) -> list[tuple[int, str, str, Any]]:
    """Validate ``frame`` (lazy) and return (frame index, field key, issue code, value) per failure."""
    import pandera.errors as pe

    compiled = compile_schema(sheet)
    try:
        compiled.schema.validate(frame, lazy=True)
    except pe.SchemaErrors as exc:
        fc = exc.failure_cases
    else:
        return []
    out: list[tuple[int, str, str, Any]] = []
    seen_dupes: set[int] = set()
    # An empty value in a unique key is no duplicate (unregistered services have no
    # identifier: two of them in the same form are two services); pandas would count
    # the empty values as equal.
    keyless = frame[list(compiled.unique)].isna().any(axis=1) if compiled.unique else None
    for rec in fc.itertuples(index=False):
        idx = rec.index
        if idx is None or (isinstance(idx, float) and math.isnan(idx)):
            continue
        idx = int(idx)
        check = str(rec.check)
        if check == "multiple_fields_uniqueness":
            if idx in seen_dupes or (keyless is not None and bool(keyless.iloc[idx])):
                continue
            seen_dupes.add(idx)
            out.append((idx, compiled.unique[0], "duplicate-row", None))
            continue
        column = rec.column
        if check == "not_nullable":
            out.append((idx, column, "required", None))
            continue
        num = rec.check_number
        if num is None or (isinstance(num, float) and math.isnan(num)):
            continue
        code = compiled.codes.get((column, int(num)))
        if code:
            out.append((idx, column, code, rec.failure_case))
    return out
