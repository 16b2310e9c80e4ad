"""The field spec: the one place where every field of every template is defined.

The spec lives in ``spec.toml`` next to this module (readable by a regional office,
no Python needed).  This module turns it into frozen dataclasses that every other
stage compiles from: the template writer (columns, dropdowns, input rules), the
reader (label matching), the validator (pandera schemas, messages) and the renderers
(HTML headings).
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

__all__ = [
    "FIELD_TYPES",
    "Field",
    "SheetSpec",
    "Spec",
    "SpecError",
    "TemplateSpec",
    "get_template",
    "load_spec",
]

#: Every field type the spec may use.  Each stage keeps a mapping keyed by these
#: names; ``tests/test_spec.py`` fails when a mapping lacks one of them.
FIELD_TYPES = ("text", "integer", "decimal", "money", "date", "code", "ico", "email", "phone")

NUMERIC_TYPES = frozenset({"integer", "decimal", "money"})

LAYOUTS = ("instructions", "keyvalue", "table")


class SpecError(ValueError):
    """The spec file itself is wrong (a developer or the regional office edited it badly)."""


@dataclass(frozen=True)
class Field:
    """One input cell (key–value sheets) or one column (table sheets)."""

    key: str
    label: str
    type: str
    sheet: str
    required: bool = False
    codelist: str | None = None
    dropdown: bool = True
    min: float | None = None
    max: float | None = None
    pattern: str | None = None
    max_length: int | None = None
    digits: int | None = None
    help: str = ""
    example: str = ""
    width: float | None = None
    funding: bool = False
    #: a figure of the reported year (users, staff, costs, funding): a template pre-filled
    #: from last year leaves it empty and shows last year's value in the cell comment
    yearly: bool = False
    comment: bool = False
    group: str | None = None
    group_index: int | None = None
    min_count: int = 0
    since: int = 1
    #: the field identifies the submission (who, where, which year): an error in it
    #: rejects the whole file; an error in any other Identifikace field keeps the rows
    identifies: bool = False
    #: key of a table sheet that the answer „ano“ in this field declares empty (a
    #: complete submission without rows, e.g. *Na území nepůsobí žádná služba*)
    declares_empty: str | None = None

    @property
    def numeric(self) -> bool:
        return self.type in NUMERIC_TYPES


@dataclass(frozen=True)
class SheetSpec:
    key: str
    name: str
    layout: str
    fields: tuple[Field, ...] = ()
    table: str | None = None
    rows: int = 0
    unique: tuple[str, ...] = ()
    help: str = ""
    #: printing: the columns from the first up to this field repeat on every printed page
    #: (the row's identity) when the sheet is wider than one A4 page
    print_repeat: str | None = None

    @property
    def labels(self) -> list[str]:
        return [f.label for f in self.fields]

    def field(self, key: str) -> Field:
        for f in self.fields:
            if f.key == key:
                return f
        raise KeyError(key)

    def group(self, name: str) -> list[Field]:
        return [f for f in self.fields if f.group == name]

    @property
    def comment_field(self) -> Field | None:
        return next((f for f in self.fields if f.comment), None)


@dataclass(frozen=True)
class TemplateSpec:
    kind: str
    title: str
    description: str
    version: int
    filename: str
    sheets: tuple[SheetSpec, ...]
    fingerprint: str = ""

    def sheet(self, key: str) -> SheetSpec:
        for s in self.sheets:
            if s.key == key:
                return s
        raise KeyError(key)

    @property
    def data_sheets(self) -> tuple[SheetSpec, ...]:
        return tuple(s for s in self.sheets if s.layout in ("keyvalue", "table"))

    @property
    def table_sheets(self) -> tuple[SheetSpec, ...]:
        return tuple(s for s in self.sheets if s.layout == "table")


@dataclass(frozen=True)
class Spec:
    templates: dict[str, TemplateSpec]
    codelists: dict[str, dict[str, Any]]
    gaps: dict[str, Any] = field(default_factory=dict)
    #: ``[related_services]``: unregistered related services (``when``: field → code,
    #: ``druh``: the code of „související služba“, ``label``, ``kategorie``)
    related: dict[str, Any] = field(default_factory=dict)
    #: ``[peers]``: plausibility queries against peers (``threshold`` of |z|, ``min_peers``,
    #: ``min_difference_points``, ``units`` per capacity type; ``xlkpss.validate.peers``)
    peers: dict[str, Any] = field(default_factory=dict)

    def template(self, kind: str) -> TemplateSpec:
        try:
            return self.templates[kind]
        except KeyError:
            raise SpecError(f"unknown template kind {kind!r}") from None

    def all_fields(self) -> list[Field]:
        seen: dict[tuple[str, str], Field] = {}
        for t in self.templates.values():
            for s in t.sheets:
                for f in s.fields:
                    seen.setdefault((s.key, f.key), f)
        return list(seen.values())

    def label(self, sheet: str, key: str) -> str:
        """The Czech label of a field, for renderers: never retype a label."""
        for f in self.all_fields():
            if f.sheet == sheet and f.key == key:
                return f.label
        raise KeyError((sheet, key))


_FIELD_KEYS = {
    "key", "label", "type", "required", "codelist", "dropdown", "min", "max", "pattern",
    "max_length", "digits", "help", "example", "width", "funding", "yearly", "comment", "repeat",
    "min_count", "templates", "since", "identifies",
    "min_count", "templates", "since", "declares_empty", "same_as",
}

#: attributes a ``same_as`` field does not take from the field it copies: they belong to
#: that field's own template (its versions, which templates show it)
_NOT_INHERITED = {"templates", "since", "repeat", "min_count", "declares_empty", "identifies"}


def _inherit(sheet_key: str, raw: dict, sheets_raw: dict) -> dict:
    """A field with ``same_as = "<sheet>"``: the field of that sheet with the same key,
    with the attributes given here on top — one definition of each rule."""
    source = raw.get("same_as")
    if source is None:
        return raw
    base = next((f for f in sheets_raw.get(source, {}).get("fields", []) if f.get("key") == raw.get("key")), None)
    if base is None:
        raise SpecError(f"{sheet_key}.{raw.get('key')}: same_as = {source!r}, but sheet {source!r} has no such field")
    if base.get("same_as"):
        raise SpecError(f"{sheet_key}.{raw.get('key')}: same_as must name the field's own definition")
    merged = {k: v for k, v in base.items() if k not in _NOT_INHERITED}
    merged.update({k: v for k, v in raw.items() if k != "same_as"})
    return merged


def _build_fields(sheet_key: str, raw_fields: list[dict], kind: str, sheets_raw: dict | None = None) -> tuple[Field, ...]:
    out: list[Field] = []
    for raw in raw_fields:
        raw = _inherit(sheet_key, raw, sheets_raw or {})
        unknown = set(raw) - _FIELD_KEYS
        if unknown:
            raise SpecError(f"{sheet_key}.{raw.get('key')}: unknown attributes {sorted(unknown)}")
        if raw["type"] not in FIELD_TYPES:
            raise SpecError(f"{sheet_key}.{raw['key']}: unknown type {raw['type']!r}")
        if raw["type"] == "code" and not raw.get("codelist"):
            raise SpecError(f"{sheet_key}.{raw['key']}: type code needs a codelist")
        templates = raw.get("templates")
        if templates is not None and kind not in templates:
            continue
        common = {
            k: raw[k]
            for k in raw
            if k not in ("repeat", "templates", "key", "label", "min_count")
        }
        repeat = int(raw.get("repeat", 1))
        if repeat == 1:
            out.append(Field(key=raw["key"], label=raw["label"], sheet=sheet_key, **common))
            continue
        if "{n}" not in raw["label"]:
            raise SpecError(f"{sheet_key}.{raw['key']}: a repeated field needs {{n}} in its label")
        for n in range(1, repeat + 1):
            out.append(
                Field(
                    key=f"{raw['key']}_{n}",
                    label=raw["label"].replace("{n}", str(n)),
                    sheet=sheet_key,
                    group=raw["key"],
                    group_index=n,
                    min_count=int(raw.get("min_count", 0)),
                    **common,
                )
            )
    keys = [f.key for f in out]
    if len(keys) != len(set(keys)):
        raise SpecError(f"{sheet_key}: duplicate field keys")
    labels = [f.label for f in out]
    if len(labels) != len(set(labels)):
        raise SpecError(f"{sheet_key}: duplicate labels")
    return tuple(out)


def _fingerprint(t: TemplateSpec) -> str:
    """Hash of everything that shapes a filled workbook; changes when a field changes."""
    payload = {
        "kind": t.kind,
        "version": t.version,
        "sheets": [
            {
                "key": s.key,
                "name": s.name,
                "fields": [
                    [f.key, f.label, f.type, f.required, f.codelist, f.min, f.max, f.pattern]
                    for f in s.fields
                ],
            }
            for s in t.sheets
        ],
    }
    blob = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def parse_spec(text: str) -> Spec:
    raw = tomllib.loads(text)
    sheets_raw = raw.get("sheets", {})
    templates: dict[str, TemplateSpec] = {}
    for kind, t in raw["templates"].items():
        sheets = []
        for sheet_key in t["sheets"]:
            s = sheets_raw[sheet_key]
            if s["layout"] not in LAYOUTS:
                raise SpecError(f"{sheet_key}: unknown layout {s['layout']!r}")
            sheets.append(
                SheetSpec(
                    key=sheet_key,
                    name=s["name"],
                    layout=s["layout"],
                    fields=_build_fields(sheet_key, s.get("fields", []), kind, sheets_raw),
                    table=s.get("table"),
                    rows=int(s.get("rows", 0)),
                    unique=tuple(s.get("unique", ())),
                    help=s.get("help", ""),
                    print_repeat=s.get("print_repeat"),
                )
            )
            if sheets[-1].print_repeat and sheets[-1].print_repeat not in {f.key for f in sheets[-1].fields}:
                raise SpecError(f"{sheet_key}: print_repeat {sheets[-1].print_repeat!r} is not a field of the sheet")
        ts = TemplateSpec(
            kind=kind,
            title=t["title"],
            description=t.get("description", ""),
            version=int(t["version"]),
            filename=t["filename"],
            sheets=tuple(sheets),
        )
        templates[kind] = TemplateSpec(**{**ts.__dict__, "fingerprint": _fingerprint(ts)})
    return Spec(
        templates=templates,
        codelists=raw.get("codelists", {}),
        gaps=raw.get("gaps", {}),
        related=raw.get("related_services", {}),
        peers=raw.get("peers", {}),
    )


@lru_cache(maxsize=1)
def load_spec() -> Spec:
    text = resources.files(__package__).joinpath("spec.toml").read_text(encoding="utf-8")
    return parse_spec(text)


def get_template(kind: str) -> TemplateSpec:
    return load_spec().template(kind)
