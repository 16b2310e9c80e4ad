"""Services templates pre-filled from last year's consolidated workbook and/or the
national registry (RPSS), one per submitter, and the check "sent back unchanged".

What a pre-filled file holds, for a submitter (an obec, an ORP, or a provider in one
ORP) and the new year:

* one row per service and form it reported last year (the consolidated workbook's
  *Služby*: rows it submitted, or whose *Hlásí také* names it) and/or the registry lists
  for it — a provider by IČO, an obec by obec of provision, an ORP by any obec of the
  ORP; a provider's file holds its services in one ORP (the file declares one ORP and
  every row's obec must lie in it);
* identity and description columns filled — the registry wins for what it registers
  (provider and IČO, type, form, capacity and its type), last year for the rest (name,
  obec, target groups, contacts …); a cell where the two disagree says so in its
  comment;
* the figures of the year (``yearly = true`` in the spec: users, staff, costs, funding)
  empty, last year's value in the cell comment;
* the comment of each row's first cell says where the row came from;
* services whose registration ended before the year are left out (the result says so).

The hidden ``_xlkpss`` sheet records what was pre-filled: ``prefill_fingerprint`` (a
hash of every pre-filled value of the services sheet), ``prefill_rows``,
``prefill_submitter`` and ``prefill_sources``.  ``is_unchanged(path)`` tells whether a
returned file still holds exactly those values (sent back unchanged — not fresh data).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xlkpss.codelists import Territory, codelist, municipalities, normalize_key, orps, regions, territory
from xlkpss.collate import czech_key
from xlkpss.fsutil import atomic_path, sha256_file
from xlkpss.i18n import format_date, format_number
from xlkpss.read.values import as_text
from xlkpss.registry.values import service_values
from xlkpss.spec import Field, get_template

__all__ = [
    "INDEX_COLUMNS",
    "PrefillError",
    "PrefillResult",
    "PrefillSources",
    "PrefillStamp",
    "Submitter",
    "build_prefilled",
    "expected_submitters",
    "file_name",
    "fingerprint_rows",
    "is_unchanged",
    "prefill_stamp",
    "prefilled_rows",
    "provider_submitter",
    "write_per_submitter",
]

KIND = "sluzby"
SHEET = "sluzby"
#: what the registry decides when both sources know a service (it registers these)
REGISTRY_WINS = ("registrovana", "poskytovatel", "ico_poskytovatele", "druh", "forma", "kapacita", "typ_kapacity")
_FORM_ORDER = ("pob", "amb", "ter")
#: columns of the index of ``write_per_submitter`` (Czech, in order)
INDEX_COLUMNS = (
    "Předkladatel",
    "Kód obce / IČO",
    "Název",
    "ORP",
    "Kraj",
    "Soubor",
    "Předvyplněných řádků",
    "Z loňského hlášení",
    "Z registru",
    "E-mail",
    "Telefon",
    "Poznámka",
)


class PrefillError(Exception):
    """Pre-filling cannot continue (the message is Czech and says what to do)."""


@dataclass(frozen=True)
class Submitter:
    """Who gets a pre-filled file: ``kind`` obec / orp / poskytovatel, ``code`` the obec
    code / ORP code / IČO, ``orp`` the ORP the file declares (its rows lie in it)."""

    kind: str
    code: str
    name: str
    orp: str
    email: str | None = None
    phone: str | None = None

    @property
    def scope(self) -> Territory:
        if self.kind == "obec":
            return territory(obec=self.code)
        return territory(orp=self.orp)

    def describe(self) -> str:
        word = {"obec": "obec", "orp": "ORP", "poskytovatel": "poskytovatel"}[self.kind]
        key = f"IČO {self.code}" if self.kind == "poskytovatel" else self.code
        return f"{self.name} ({word}, {key})"


@dataclass
class PrefillSources:
    """Last year's consolidated workbook and/or the imported registry."""

    previous: Any = None  # xlkpss.merge.model.Consolidated
    registry: Any = None  # xlkpss.registry.Registry
    #: (kind "souhrn" | "registr", file name, SHA-256) of each source, for the metadata
    files: list[tuple[str, str, str]] = field(default_factory=list)

    @classmethod
    def load(cls, paths: Iterable[str | os.PathLike]) -> PrefillSources:
        """Read each path as a registry workbook (or ``rpss.json``) or a consolidated
        workbook; at most one of each.  Raises ``PrefillError``."""
        from xlkpss.registry import RegistryError, is_registry_workbook, read_registry

        out = cls()
        for p in (Path(p) for p in paths):
            if not p.is_file():
                raise PrefillError(f"soubor {p} neexistuje")
            if p.suffix.lower() == ".json" or is_registry_workbook(p):
                if out.registry is not None:
                    raise PrefillError("zadejte nejvýše jeden registr (--prefill registr.xlsx)")
                try:
                    out.registry = read_registry(p)
                except RegistryError as exc:
                    raise PrefillError(str(exc)) from None
                out.files.append(("registr", p.name, sha256_file(p)))
                continue
            if out.previous is not None:
                raise PrefillError("zadejte nejvýše jeden loňský souhrnný sešit (--prefill souhrn.xlsx)")
            out.previous = _read_previous(p)
            out.files.append(("souhrn", p.name, sha256_file(p)))
        if out.previous is None and out.registry is None:
            raise PrefillError("chybí zdroj předvyplnění: loňský souhrnný sešit nebo sešit registru (--prefill)")
        return out

    @property
    def previous_year(self) -> int | None:
        if self.previous is None:
            return None
        year = self.previous.meta.get("year")
        return int(year) if isinstance(year, (int, float, str)) and str(year).isdigit() else None

    def previous_rows(self) -> list[dict[str, Any]]:
        if self.previous is None:
            return []
        frame = self.previous.table("services")
        return frame.to_dict("records") if len(frame) else []


def _read_previous(path: Path):
    from xlkpss.merge.workbook import ConsolidatedReadError, read_consolidated

    try:
        return read_consolidated(path, tables=["services", "submissions"])
    except ConsolidatedReadError as exc:
        raise PrefillError(
            f"{exc} – jako --prefill zadejte loňský souhrnný sešit (výstup xlkpss merge) nebo sešit registru"
        ) from None


@dataclass
class PrefilledRow:
    values: dict[str, Any]
    comments: dict[str, str]
    origin: tuple[str, ...]  # "souhrn" and/or "registr"


@dataclass
class PrefillResult:
    submitter: Submitter
    path: Path | None
    rows: list[PrefilledRow]
    fingerprint: str
    #: Czech notes: services left out and why
    notes: list[str] = field(default_factory=list)

    def count(self, origin: str) -> int:
        return sum(1 for r in self.rows if origin in r.origin)


# ---------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------


def _fields() -> tuple[Field, ...]:
    return get_template(KIND).sheet(SHEET).fields


def _display(name: str, code: str | None, scope: Territory | None = None) -> str | None:
    return codelist(name, scope).display_of(code)


def _shown(fld: Field, value: Any) -> str:
    """A value as a person reads it in a comment (Czech numbers, Kč)."""
    if isinstance(value, bool):
        return "ano" if value else "ne"
    if isinstance(value, (int, float)):
        decimals = 0 if float(value).is_integer() else 2
        text = format_number(value, decimals).rstrip("0").rstrip(",") if decimals else format_number(value)
        return f"{text} Kč" if fld.type == "money" else text
    if isinstance(value, dt.date):
        return format_date(value)
    return str(value)


def _fits(fld: Field, value: Any, scope: Territory) -> bool:
    """Whether a pre-filled value passes the field's own rules (registry texts such as
    a web address or a phone number are taken only when they would validate)."""
    from xlkpss.read.values import ParseContext, parse_value

    lists = {fld.codelist: codelist(fld.codelist, scope)} if fld.codelist else {}
    parsed, problem, _ = parse_value(fld, value, ParseContext(lists))
    if problem is not None:
        return False
    if isinstance(parsed, str):
        if fld.max_length and len(parsed) > fld.max_length:
            return False
        if fld.pattern and not fld.digits and not re.match(fld.pattern, parsed):
            return False
    return True


# ---------------------------------------------------------------------------
# rows
# ---------------------------------------------------------------------------


_WORD = {"obec": "obec", "orp": "ORP", "poskytovatel": "poskytovatel"}


def _seat(orp: str) -> str:
    return orps()[orp]["kod_obce_sidla"]


def _reported_by_submitter(rec: dict[str, Any], sub: Submitter) -> bool:
    """Whether last year's row was reported by ``sub`` (its own file, or named in *Hlásí také*)."""
    typ = str(rec.get("submitter_type") or "")
    code = as_text(rec.get("submitter_code"))
    also = str(rec.get("reported_by") or "")
    if sub.kind == "obec":
        return (typ == "obec" and code == sub.code) or f"(obec {sub.code})" in also
    if sub.kind == "orp":
        seat = _seat(sub.orp)
        return (typ in ("ORP", "orp") and code == seat) or f"(ORP {seat})" in also
    return (typ == "poskytovatel" and code == sub.code) or f"IČO {sub.code})" in also


def _previous_selection(sources: PrefillSources, sub: Submitter) -> tuple[list[dict[str, Any]], list[str]]:
    rows, notes = [], []
    for rec in sources.previous_rows():
        mine = _reported_by_submitter(rec, sub) or (
            sub.kind == "poskytovatel" and as_text(rec.get("ico_poskytovatele")) == sub.code
        )
        if not mine:
            continue
        if as_text(rec.get("kod_orp")) != sub.orp:
            if sub.kind == "poskytovatel":
                continue  # another ORP: that ORP's file of the provider
            notes.append(
                f"{rec.get('nazev_sluzby')}: loni hlášena s obcí mimo ORP {orps()[sub.orp]['nazev_orp']}, nepředvyplněna"
            )
            continue
        rows.append(rec)
    return rows, notes


def _registry_selection(sources: PrefillSources, sub: Submitter, year: int) -> list[tuple[Any, str]]:
    """(registered service, obec of its row) for the submitter, provided in ``year``."""
    reg = sources.registry
    if reg is None:
        return []
    munis = municipalities()
    out = []
    for s in reg.services.values():
        if not s.active_in(year):
            continue
        if sub.kind == "poskytovatel" and s.ico != sub.code:
            continue
        places = s.municipalities_in(year)
        if sub.kind == "obec":
            obec = sub.code if sub.code in places else None
        else:
            obec = next((o for o in places if munis[o].orp == sub.orp), None)
        if obec is not None:
            out.append((s, obec))
    return out


def _from_previous(rec: dict[str, Any], sub: Submitter, prev_year: int | None, source: str) -> PrefilledRow:
    scope = sub.scope
    values: dict[str, Any] = {}
    comments: dict[str, str] = {}
    for fld in _fields():
        if fld.key == "obec":
            values["obec"] = _display("obce", as_text(rec.get("kod_obce")), scope)
            continue
        value = rec.get(fld.key)
        if fld.yearly:
            if value is not None:
                comments[fld.key] = f"Loni ({prev_year or 'minulý rok'}): {_shown(fld, value)}"
            continue
        if fld.comment:
            continue  # last year's explanation is not this year's
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        values[fld.key] = value if not isinstance(value, str) else (value.strip() or None)
    where = f"{source}, list Služby, řádek {rec.get('src_row')}" if rec.get("src_row") else source
    comments["identifikator"] = (
        f"Předvyplněno z loňského hlášení ({prev_year or 'minulý rok'}; {rec.get('src_file') or where})."
    )
    return PrefilledRow(values, comments, ("souhrn",))


def _registry_note(s: Any, source: str) -> str:
    state = f"registrace ukončena k {format_date(s.until)}" if s.until else "poskytuje se"
    since = f" od {format_date(s.since)}" if s.since and not s.until else ""
    return f"registr poskytovatelů ({source}): {state}{since}"


def _merge_registry(
    row: PrefilledRow | None, s: Any, obec: str, sub: Submitter, source: str, year: int
) -> PrefilledRow:
    scope = sub.scope
    reg_values = service_values(s, obec, scope)
    fields = {f.key: f for f in _fields()}
    if row is None:
        values = {k: None for k in fields if not fields[k].yearly and not fields[k].comment}
        comments: dict[str, str] = {}
        origin: tuple[str, ...] = ("registr",)
        head = f"Předvyplněno z registru ({_registry_note(s, source)})."
    else:
        values, comments, origin = dict(row.values), dict(row.comments), (*row.origin, "registr")
        head = comments.get("identifikator", "Předvyplněno.")[:-1] + f" a z registru ({_registry_note(s, source)})."
    groups_known = any(values.get(f.key) for f in fields.values() if f.group == "cilova_skupina")
    ages_known = any(values.get(f.key) for f in fields.values() if f.group == "vekova_skupina")
    for key, new in reg_values.items():
        fld = fields[key]
        if new is None or not _fits(fld, new, scope):
            continue
        old = values.get(key)
        if fld.group == "cilova_skupina" and groups_known or fld.group == "vekova_skupina" and ages_known:
            continue
        if key in REGISTRY_WINS:
            if old not in (None, "") and normalize_key(old) != normalize_key(new):
                comments[key] = f"Loni hlášeno: {_shown(fld, old)}; podle registru: {_shown(fld, new)}."
            values[key] = new
        elif old in (None, ""):
            values[key] = new
    if len(s.target_groups) > 5:
        rest = [_display("cilove_skupiny", c) for c in s.target_groups[5:]]
        comments.setdefault("cilova_skupina_5", "Registr uvádí ještě: " + ", ".join(r for r in rest if r) + ".")
    if s.druh is None:
        comments["druh"] = "Druh služby v registru není v seznamu druhů – vyberte jej."
    others = [municipalities()[o].name for o in s.municipalities_in(year) if o != obec]
    if others:
        comments.setdefault("obec", "Registr uvádí také místa poskytování v obcích: " + ", ".join(others) + ".")
    comments["identifikator"] = head
    return PrefilledRow(values, comments, origin)


def _sort_key(row: PrefilledRow) -> tuple:
    forma = codelist("formy").resolve(row.values.get("forma"))
    return (
        czech_key(row.values.get("nazev_sluzby") or ""),
        _FORM_ORDER.index(forma.code) if forma is not None and forma.code in _FORM_ORDER else 9,
        str(row.values.get("identifikator") or ""),
    )


def prefilled_rows(sub: Submitter, sources: PrefillSources, year: int) -> tuple[list[PrefilledRow], list[str]]:
    """The rows of ``sub``'s pre-filled file for ``year`` and Czech notes on what was left out."""
    prev_name = next((name for kind, name, _ in sources.files if kind == "souhrn"), "loňský souhrn")
    reg_name = next((name for kind, name, _ in sources.files if kind == "registr"), "registr")
    previous, notes = _previous_selection(sources, sub)
    registry = sources.registry
    rows: dict[tuple, PrefilledRow] = {}
    forms = codelist("formy")
    for rec in previous:
        ident = as_text(rec.get("identifikator"))
        forma = forms.resolve(rec.get("forma"))
        key = (
            (ident, forma.code if forma else None)
            if ident
            else (None, normalize_key(rec.get("nazev_sluzby") or ""), rec.get("forma"))
        )
        if key in rows:
            continue
        if ident and registry is not None and forma is not None:
            s = registry.services.get((ident, forma.code))
            if s is not None and not s.active_in(year):
                notes.append(
                    f"{rec.get('nazev_sluzby')} ({ident}, {forma.label}): registrace ukončena k "
                    f"{format_date(s.until)}, do roku {year} nepředvyplněna"
                )
                continue
        row = _from_previous(rec, sub, sources.previous_year, prev_name)
        if ident and registry is not None and forma is not None and (ident, forma.code) not in registry.services:
            row.comments["identifikator"] = (
                row.comments["identifikator"][:-1]
                + f"; v registru ({reg_name}) tato služba v této formě není – zkontrolujte identifikátor a formu."
            )
        rows[key] = row
    for s, obec in _registry_selection(sources, sub, year):
        key = (s.identifikator, s.forma)
        rows[key] = _merge_registry(rows.get(key), s, obec, sub, reg_name, year)
    return sorted(rows.values(), key=_sort_key), notes


# ---------------------------------------------------------------------------
# fingerprint of what was pre-filled, and the "unchanged" check
# ---------------------------------------------------------------------------


def _canonical(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ano" if value else "ne"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    return " ".join(unicodedata.normalize("NFC", str(value)).split())


def fingerprint_rows(rows: Iterable[Mapping[str, Any]]) -> str:
    """A hash of services-sheet rows (field key → value, as written or as read back from
    the file by any reader): every field of the sheet, blanks included; row order and
    blank rows do not matter."""
    keys = [f.key for f in _fields()]
    canon = []
    for r in rows:
        line = [_canonical(r.get(k)) for k in keys]
        if any(line):
            canon.append(line)
    canon.sort()
    blob = json.dumps(canon, ensure_ascii=False, separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()[:32]


@dataclass(frozen=True)
class PrefillStamp:
    """What the hidden metadata of a pre-filled file says was pre-filled."""

    fingerprint: str
    rows: int
    submitter: str  # "obec:562971", "orp:4203", "poskytovatel:00075655@4203"
    sources: tuple[tuple[str, str, str], ...]
    year: int | None


def prefill_stamp(meta: Mapping[str, Any]) -> PrefillStamp | None:
    """The pre-fill record of a file's ``_xlkpss`` key–value pairs, or None for a file
    that was not pre-filled."""
    fp = as_text(meta.get("prefill_fingerprint"))
    if not fp:
        return None
    try:
        sources = tuple(tuple(x) for x in json.loads(meta.get("prefill_sources") or "[]"))
    except (json.JSONDecodeError, TypeError):
        sources = ()
    rows = as_text(meta.get("prefill_rows"))
    year = as_text(meta.get("year"))
    return PrefillStamp(
        fingerprint=fp,
        rows=int(rows) if rows and rows.isdigit() else 0,
        submitter=as_text(meta.get("prefill_submitter")) or "",
        sources=sources,  # type: ignore[arg-type]
        year=int(year) if year and year.isdigit() else None,
    )


def is_unchanged(path: str | os.PathLike) -> bool | None:
    """True when a returned pre-filled file still holds exactly what was pre-filled on its
    services sheet (sent back unchanged, no figures of the year); False when anything
    there was changed or added; None when the file was not pre-filled (or is unreadable).

    The merge can do the same on what it has read: ``prefill_stamp(meta)`` and
    ``fingerprint_rows(rows) == stamp.fingerprint``.
    """
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
        names = wb.sheet_names
        meta_rows = wb.get_sheet_by_name("_xlkpss").to_python() if "_xlkpss" in names else []
        meta = {str(r[0]).strip(): r[1] for r in meta_rows if len(r) >= 2 and r[0] not in (None, "")}
        stamp = prefill_stamp(meta)
        sheet_name = get_template(KIND).sheet(SHEET).name
        if stamp is None or sheet_name not in names:
            return None
        grid = wb.get_sheet_by_name(sheet_name).to_python()
    except Exception:  # noqa: BLE001 - an unreadable file is simply not known to be unchanged
        return None
    if not grid:
        return stamp.rows == 0
    by_label = {f.label: f.key for f in _fields()}
    header = [by_label.get(str(v).strip()) if v is not None else None for v in grid[0]]
    rows = [{k: (None if v == "" else v) for k, v in zip(header, r) if k} for r in grid[1:]]
    return fingerprint_rows(rows) == stamp.fingerprint


# ---------------------------------------------------------------------------
# one file
# ---------------------------------------------------------------------------


def _identification(sub: Submitter) -> dict[str, Any]:
    if sub.kind != "poskytovatel":
        return {}
    o = orps()[sub.orp]
    return {
        "typ_predkladatele": codelist("typ_predkladatele").get("poskytovatel").display,
        "kod_obce": None,
        "ico": sub.code,
        "nazev": sub.name,
        "kod_orp": o["nazev_orp"],
        "kod_kraje": o["nazev_kraje"],
    }


def build_prefilled(
    sub: Submitter, sources: PrefillSources, path: str | os.PathLike, *, year: int, protect: set[Path] | None = None
) -> PrefillResult:
    """Write ``sub``'s pre-filled services template for ``year`` to ``path``."""
    from xlkpss.template import build_template

    rows, notes = prefilled_rows(sub, sources, year)
    values = [r.values for r in rows]
    fp = fingerprint_rows(values)
    comments = {(i, key): text for i, r in enumerate(rows) for key, text in r.comments.items()}
    stamp_sub = f"{sub.kind}:{sub.code}" + (f"@{sub.orp}" if sub.kind == "poskytovatel" else "")
    meta = {
        "prefill_fingerprint": fp,
        "prefill_rows": str(len(rows)),
        "prefill_submitter": stamp_sub,
        "prefill_sources": json.dumps(sources.files, ensure_ascii=False),
    }
    path = Path(path)
    if protect and path.resolve() in {p.resolve() for p in protect}:
        raise PrefillError(f"výstup {path} by přepsal vstupní soubor")
    build_template(
        KIND,
        path,
        year=year,
        scope=sub.scope,
        prefill=_identification(sub),
        rows={SHEET: values},
        comments={SHEET: comments},
        meta=meta,
    )
    return PrefillResult(sub, path, rows, fp, notes)


# ---------------------------------------------------------------------------
# submitters of a territory
# ---------------------------------------------------------------------------


def _provider_names(sources: PrefillSources) -> dict[str, str]:
    names: dict[str, str] = {}
    for rec in sources.previous_rows():
        ico = as_text(rec.get("ico_poskytovatele"))
        if ico and rec.get("poskytovatel"):
            names.setdefault(ico, str(rec["poskytovatel"]))
    if sources.registry is not None:
        for ico, p in sources.registry.providers.items():
            names[ico] = p.name
    return names


def _provider_orps(sources: PrefillSources, year: int) -> dict[str, dict[str, int]]:
    """IČO → ORP → how many services (last year + registry) the provider has there."""
    out: dict[str, dict[str, int]] = {}

    def add(ico: str | None, orp: str | None) -> None:
        if ico and orp and orp in orps():
            per = out.setdefault(ico, {})
            per[orp] = per.get(orp, 0) + 1

    for rec in sources.previous_rows():
        add(as_text(rec.get("ico_poskytovatele")), as_text(rec.get("kod_orp")))
        if str(rec.get("submitter_type") or "") == "poskytovatel":
            add(as_text(rec.get("submitter_code")), as_text(rec.get("kod_orp")))
    prev = sources.previous
    if prev is not None and prev.meta.get("level") == "orp":
        subs = prev.table("submissions")
        for rec in subs.to_dict("records") if len(subs) else []:
            if str(rec.get("submitter_type") or "") == "poskytovatel":
                out.setdefault(as_text(rec.get("submitter_code")) or "", {}).setdefault(
                    str(prev.meta.get("territory_code")), 0
                )
    reg = sources.registry
    if reg is not None:
        munis = municipalities()
        for s in reg.services.values():
            if s.active_in(year):
                for orp in dict.fromkeys(munis[o].orp for o in s.municipalities_in(year)):
                    add(s.ico, orp)
    out.pop("", None)
    return out


def provider_submitter(ico: str, sources: PrefillSources, year: int, *, orp: str | None = None,
                       within: Territory | None = None) -> Submitter:  # fmt: skip
    """The provider ``ico`` as a submitter: in ``orp`` when given, else in the ORP (of
    ``within``) where it has the most services.  Raises ``PrefillError``."""
    names = _provider_names(sources)
    per = _provider_orps(sources, year).get(ico, {})
    if orp is None:
        candidates = {o: n for o, n in per.items() if within is None or within.level == "stat"
                      or any(within.contains(m.code) for m in territory(orp=o).municipalities)}  # fmt: skip
        if not candidates:
            raise PrefillError(
                f"poskytovatel s IČO {ico} není v loňském souhrnu ani v registru"
                + (f" na území {within.describe()}" if within is not None and within.level != "stat" else "")
                + "; zadejte ORP (--orp KÓD)"
            )
        orp = min(candidates.items(), key=lambda kv: (-kv[1], kv[0]))[0]
    contact = sources.registry.providers.get(ico) if sources.registry is not None else None
    return Submitter(
        "poskytovatel",
        ico,
        names.get(ico, f"poskytovatel IČO {ico}"),
        orp,
        email=contact.email if contact else None,
        phone=contact.phone if contact else None,
    )


def expected_submitters(scope: Territory, sources: PrefillSources, year: int) -> list[Submitter]:
    """Every obec of the territory and every provider seen there last year or registered
    there (one per provider and ORP), obce first, each in alphabetical order."""
    if scope.level not in ("obec", "orp", "kraj"):
        raise PrefillError("soubory pro předkladatele se tvoří pro obec, ORP nebo kraj (--obec, --orp, --kraj)")
    munis = sorted(scope.municipalities, key=lambda m: (czech_key(m.name), m.code))
    out = [Submitter("obec", m.code, m.name, m.orp) for m in munis]
    orp_codes = {m.orp for m in munis}
    provider_subs = []
    for ico, per in _provider_orps(sources, year).items():
        for orp in sorted(per):
            if orp not in orp_codes:
                continue
            if scope.level == "obec" and not _provider_in_obec(ico, scope.code, sources, year):
                continue
            provider_subs.append(provider_submitter(ico, sources, year, orp=orp))
    provider_subs.sort(key=lambda s: (czech_key(s.name), s.code, s.orp))
    return out + provider_subs


def _provider_in_obec(ico: str, obec: str, sources: PrefillSources, year: int) -> bool:
    if any(
        as_text(r.get("ico_poskytovatele")) == ico and as_text(r.get("kod_obce")) == obec for r in sources.previous_rows()
    ):
        return True
    reg = sources.registry
    return reg is not None and any(
        s.ico == ico and s.active_in(year) and obec in s.municipalities_in(year) for s in reg.services.values()
    )


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")
    return slug[:40].rstrip("_") or "predkladatel"


def file_name(sub: Submitter, year: int) -> str:
    """``obec_562971_chomutov_sluzby_2027.xlsx``, ``poskytovatel_00075655_orp_4203_muss…_sluzby_2027.xlsx``."""
    if sub.kind == "poskytovatel":
        return f"poskytovatel_{sub.code}_orp_{sub.orp}_{_slug(sub.name)}_sluzby_{year}.xlsx"
    return f"{sub.kind}_{sub.code}_{_slug(sub.name)}_sluzby_{year}.xlsx"


def _safe_cell(value: Any) -> str:
    """CSV text that never becomes a formula in Excel."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def write_per_submitter(
    scope: Territory,
    sources: PrefillSources,
    out_dir: str | os.PathLike,
    *,
    year: int,
    protect: set[Path] | None = None,
    progress=None,
) -> tuple[list[PrefillResult], Path]:
    """One pre-filled file per expected submitter of ``scope`` into ``out_dir``, and the
    index ``seznam_souboru.csv`` (UTF-8 with BOM, ``;`` — opens right in a Czech Excel)."""
    out_dir = Path(out_dir)
    subs = expected_submitters(scope, sources, year)
    results = []
    for n, sub in enumerate(subs, start=1):
        results.append(build_prefilled(sub, sources, out_dir / file_name(sub, year), year=year, protect=protect))
        if progress is not None:
            progress(n, len(subs))
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow(INDEX_COLUMNS)
    for r in results:
        s = r.submitter
        o = orps()[s.orp]
        w.writerow(
            [
                _safe_cell(v)
                for v in (
                    _WORD[s.kind],
                    s.code,
                    s.name,
                    o["nazev_orp"],
                    regions()[o["kod_kraje"]]["nazev_kraje"],
                    r.path.name if r.path else "",
                    len(r.rows),
                    r.count("souhrn"),
                    r.count("registr"),
                    s.email,
                    s.phone,
                    "; ".join(r.notes),
                )
            ]
        )
    index = out_dir / "seznam_souboru.csv"
    with atomic_path(index, protect=protect) as tmp:
        tmp.write_bytes(buf.getvalue().encode("utf-8-sig"))
    return results, index
