"""The imported registry as a workbook a clerk can open (``registr.xlsx``), and back.

Why a workbook and not a compact binary file: the people who run xlkpss open it to see
what the registry says about their territory (filters, Czech headings, one row per
service and form, places, providers, problems), and the same file feeds the pre-filled
templates and, later, the merge's comparison with the registry.  A whole-country file
(~10,000 rows) is a few MB and reads back in about a second with python-calamine.

Sheets: *Přehled* (source, SHA-256, territory, counts), *Služby v registru* (one row per
service × form), *Místa poskytování* (one row per place; a secret address is never
written), *Poskytovatelé*, *Problémy* (every issue of the import) and the hidden
``_xlkpss`` sheet (``kind = registr``, format version, metadata, column keys).  Code-list
values are shown as in the templates (``§49 Domovy pro seniory``, ``pobytová``, ``lůžka``);
obce by name and, in their own column, by ČSÚ code.  Text is always written as text.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from xlkpss.codelists import codelist, municipalities
from xlkpss.collate import czech_key
from xlkpss.fsutil import atomic_path
from xlkpss.i18n import format_date
from xlkpss.registry.model import (
    Capacity,
    Facility,
    Provider,
    Registry,
    RegistryError,
    RegistryIssue,
    RegistryService,
    ServiceKey,
)
from xlkpss.spec import get_template

__all__ = [
    "FORMAT_VERSION",
    "META_KIND",
    "REGISTRY_SHEETS",
    "is_registry_workbook",
    "load_registry",
    "read_registry",
    "registry_columns",
    "write_registry",
]

META_SHEET = "_xlkpss"
META_KIND = "registr"
FORMAT_VERSION = 1
#: separator of several values in one cell (no code-list label contains it)
SEP = "; "

#: sheet key -> Czech sheet name, in workbook order
REGISTRY_SHEETS = {
    "overview": "Přehled",
    "services": "Služby v registru",
    "facilities": "Místa poskytování",
    "providers": "Poskytovatelé",
    "issues": "Problémy",
}

#: columns that are fields of the services template take its label (never retyped)
_SPEC_KEYS = (
    "identifikator", "nazev_sluzby", "poskytovatel", "ico_poskytovatele", "druh", "forma", "kapacita",
    "typ_kapacity", "adresa", "telefon_sluzby", "email_sluzby", "web", "casovy_rozsah",
)  # fmt: skip

_LABELS = {
    "kapacity": "Všechny kapacity formy",
    "cilove_skupiny": "Cílové skupiny",
    "vekove_skupiny": "Věkové skupiny",
    "obce": "Obce poskytování",
    "kody_obci": "Kódy obcí poskytování",
    "orp": "ORP",
    "kraj": "Kraj",
    "email_poskytovatele": "E-mail poskytovatele",
    "telefon_poskytovatele": "Telefon poskytovatele",
    "od": "Poskytováno od",
    "do": "Poskytováno do",
    "stav": "Stav registrace",
    "nepretrzite": "Nepřetržitý provoz",
    "nazev_mista": "Název místa",
    "obec": "Obec",
    "utajena": "Utajená adresa",
    "kod_adresniho_mista": "Kód adresního místa (RÚIAN)",
    "pocet_sluzeb": "Služeb (služba × forma)",
    "record": "Pořadí záznamu v souboru",
    "field": "Údaj v registru",
    "value": "Hodnota",
    "severity": "Závažnost",
    "message": "Problém",
    "code": "Kód problému",
    "label": "Údaj",
}

_COLUMNS: dict[str, tuple[str, ...]] = {
    "overview": ("label", "value"),
    "services": (
        "identifikator", "nazev_sluzby", "poskytovatel", "ico_poskytovatele", "druh", "forma", "kapacita",
        "typ_kapacity", "kapacity", "cilove_skupiny", "vekove_skupiny", "obce", "kody_obci", "orp", "kraj",
        "adresa", "telefon_sluzby", "email_sluzby", "web", "casovy_rozsah", "nepretrzite", "email_poskytovatele",
        "telefon_poskytovatele", "od", "do", "stav",
    ),
    "facilities": (
        "identifikator", "nazev_mista", "kod_obce", "obec", "adresa", "utajena", "kod_adresniho_mista", "od", "do",
    ),
    "providers": ("ico_poskytovatele", "poskytovatel", "email_poskytovatele", "telefon_poskytovatele", "web",
                  "pocet_sluzeb"),
    "issues": ("record", "identifikator", "field", "value", "severity", "message", "code"),
}  # fmt: skip

_WIDTHS = {
    "nazev_sluzby": 36, "poskytovatel": 32, "druh": 36, "kapacity": 30, "cilove_skupiny": 40, "vekove_skupiny": 30,
    "obce": 24, "adresa": 34, "message": 70, "nazev_mista": 34, "field": 28, "value": 26, "label": 40,
    "email_sluzby": 26, "email_poskytovatele": 26, "web": 26, "orp": 16, "kraj": 18,
}  # fmt: skip


def registry_columns(sheet: str) -> list[tuple[str, str]]:
    """(key, Czech heading) of the columns of a registry sheet."""
    t = get_template("sluzby")
    fields = {f.key: f.label for f in t.sheet("sluzby").fields}
    fields["kod_obce"] = t.sheet("identifikace").field("kod_obce").label
    return [(k, fields[k] if k in (*_SPEC_KEYS, "kod_obce") else _LABELS[k]) for k in _COLUMNS[sheet]]


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------


def _capacity_text(c: Capacity) -> str:
    typ = codelist("typy_kapacity").get(c.type).label if c.type else "?"
    count = "?" if c.count is None else str(c.count)
    return f"{count} {typ}" + (f" ({c.description})" if c.description else "")


def _service_row(s: RegistryService) -> dict[str, Any]:
    munis = municipalities()
    druhy, formy, typy = codelist("druhy_sluzeb"), codelist("formy"), codelist("typy_kapacity")
    cil, vek = codelist("cilove_skupiny"), codelist("vekove_skupiny")
    obce = [munis[o] for o in s.municipalities]
    return {
        "identifikator": s.identifikator,
        "nazev_sluzby": s.name,
        "poskytovatel": s.provider,
        "ico_poskytovatele": s.ico,
        "druh": druhy.get(s.druh).display if s.druh else None,
        "forma": formy.get(s.forma).display,
        "kapacita": s.capacity,
        "typ_kapacity": typy.get(s.capacity_type).display if s.capacity_type else None,
        "kapacity": SEP.join(_capacity_text(c) for c in s.capacities) or None,
        "cilove_skupiny": SEP.join(cil.get(c).label for c in s.target_groups) or None,
        "vekove_skupiny": SEP.join(vek.get(c).label for c in s.age_groups) or None,
        "obce": SEP.join(m.name for m in obce) or None,
        "kody_obci": SEP.join(m.code for m in obce) or None,
        "orp": SEP.join(dict.fromkeys(m.orp_name for m in obce)) or None,
        "kraj": SEP.join(dict.fromkeys(m.kraj_name for m in obce)) or None,
        "adresa": s.address(),
        "telefon_sluzby": s.phone,
        "email_sluzby": s.email,
        "web": s.web,
        "casovy_rozsah": "nepřetržitě" if s.continuous else None,
        "nepretrzite": None if s.continuous is None else s.continuous,
        "email_poskytovatele": s.provider_email,
        "telefon_poskytovatele": s.provider_phone,
        "od": s.since,
        "do": s.until,
        "stav": f"ukončeno k {format_date(s.until)}" if s.until else "poskytuje se",
    }


def _facility_rows(services: Iterable[RegistryService]) -> Iterator[dict[str, Any]]:
    munis = municipalities()
    seen: set[str] = set()
    for s in services:
        if s.identifikator in seen:
            continue
        seen.add(s.identifikator)
        for f in s.facilities:
            yield {
                "identifikator": s.identifikator,
                "nazev_mista": f.name,
                "kod_obce": f.obec,
                "obec": munis[f.obec].name if f.obec else None,
                "adresa": None if f.secret else f.address,
                "utajena": "ano" if f.secret else "ne",
                "kod_adresniho_mista": f.address_code,
                "od": f.since,
                "do": f.until,
            }


def _provider_rows(reg: Registry) -> list[dict[str, Any]]:
    counts: dict[str, int] = {}
    for s in reg.services.values():
        if s.ico:
            counts[s.ico] = counts.get(s.ico, 0) + 1
    rows = [
        {
            "ico_poskytovatele": p.ico,
            "poskytovatel": p.name,
            "email_poskytovatele": p.email,
            "telefon_poskytovatele": p.phone,
            "web": p.web,
            "pocet_sluzeb": counts.get(p.ico or "", 0),
        }
        for p in reg.providers.values()
    ]
    return sorted(rows, key=lambda r: (czech_key(r["poskytovatel"]), r["ico_poskytovatele"] or ""))


def _overview_rows(reg: Registry) -> list[dict[str, Any]]:
    m = reg.meta
    rows = [
        ("Zdrojový soubor", m.get("source")),
        ("SHA-256 zdrojového souboru", m.get("sha256")),
        ("Velikost souboru (bajtů)", m.get("size")),
        ("Území", m.get("territory_name") or "celá Česká republika"),
        ("Záznamů v souboru", m.get("records")),
        ("Převzatých služeb (registrací)", m.get("services")),
        ("Řádků služba × forma", m.get("rows")),
        ("z toho s ukončenou registrací", m.get("ended")),
        ("Záznamů mimo území", m.get("outside") if m.get("territory") else None),
        ("Záznamů bez obce poskytování", m.get("no_municipality")),
        ("Nepoužitelných záznamů (list Problémy)", m.get("malformed")),
        ("Problémů celkem (list Problémy)", m.get("issues")),
    ]
    return [{"label": label, "value": value} for label, value in rows]


def write_registry(reg: Registry, path: str | os.PathLike, *, protect: set[Path] | None = None) -> Path:
    """Write ``reg`` as ``registr.xlsx`` atomically (``protect``: inputs never overwritten).

    Written in xlsxwriter's constant-memory mode, row by row: the memory of a
    whole-country file is that of the records, not of a workbook of cells.
    """
    import xlsxwriter

    path = Path(path)
    services = list(reg.services.values())
    tables = {
        "overview": _overview_rows(reg),
        "services": (_service_row(s) for s in services),
        "facilities": list(_facility_rows(services)),
        "providers": _provider_rows(reg),
        "issues": [_issue_row(i) for i in reg.issues],
    }
    counts = {
        "overview": len(tables["overview"]),
        "services": len(services),
        "facilities": len(tables["facilities"]),  # type: ignore[arg-type]
        "providers": len(tables["providers"]),  # type: ignore[arg-type]
        "issues": len(reg.issues),
    }
    with atomic_path(path, protect=protect) as tmp:
        wb = xlsxwriter.Workbook(
            str(tmp), {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
        )
        wb.set_properties({"title": "Registr poskytovatelů sociálních služeb", "author": "xlkpss",
                           "created": dt.datetime(2024, 1, 1)})  # fmt: skip
        fmt = {
            "head": wb.add_format(
                {"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#DDEBF7", "border": 1}
            ),
            "date": wb.add_format({"num_format": "d.m.yyyy"}),
            "int": wb.add_format({"num_format": "#,##0"}),
            "text": wb.add_format({"num_format": "@"}),
        }
        for key, name in REGISTRY_SHEETS.items():
            _write_sheet(wb, name, registry_columns(key), tables[key], counts[key], fmt, table=key != "overview")
        meta = wb.add_worksheet(META_SHEET)
        kv = [
            ("kind", META_KIND),
            ("format_version", str(FORMAT_VERSION)),
            ("meta", json.dumps(reg.meta, ensure_ascii=False, sort_keys=True)),
            *((f"columns:{k}", json.dumps([c for c, _ in registry_columns(k)])) for k in REGISTRY_SHEETS),
        ]
        for r, (k, v) in enumerate(kv):
            meta.write_string(r, 0, k)
            meta.write_string(r, 1, v)
        meta.hide()
        wb.close()
    return path


def _issue_row(i: RegistryIssue) -> dict[str, Any]:
    return {
        "record": i.record,
        "identifikator": i.identifikator,
        "field": i.field,
        "value": None if i.value is None else str(i.value),
        "severity": "chyba" if i.severity == "error" else "upozornění",
        "message": i.message,
        "code": i.code,
    }


def _write_sheet(wb, name: str, columns, rows: Iterable[dict[str, Any]], count: int, fmt, *, table: bool) -> None:
    ws = wb.add_worksheet(name)
    for c, (key, label) in enumerate(columns):
        ws.set_column(c, c, _WIDTHS.get(key, 14))
    for c, (_, label) in enumerate(columns):
        ws.write_string(0, c, label, fmt["head"])
    if table:
        # filters, not an Excel table: xlsxwriter writes tables only outside its
        # constant-memory mode, which keeps a whole-country file small in memory
        ws.autofilter(0, 0, max(count, 1), len(columns) - 1)
        ws.freeze_panes(1, 0)
    ws.set_row(0, 30)
    for r, row in enumerate(rows, start=1):
        for c, (key, _) in enumerate(columns):
            v = row.get(key)
            if v is None:
                continue
            if isinstance(v, bool):
                ws.write_string(r, c, "ano" if v else "ne")
            elif isinstance(v, (int, float)):
                ws.write_number(r, c, v, fmt["int"])
            elif isinstance(v, dt.date):
                ws.write_datetime(r, c, dt.datetime(v.year, v.month, v.day), fmt["date"])
            else:
                ws.write_string(r, c, str(v), fmt["text"])
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------


def _open(path: Path):
    from python_calamine import CalamineWorkbook

    try:
        return CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # noqa: BLE001 - any parser failure is "cannot be read"
        raise RegistryError(f"{path.name}: sešit registru nelze přečíst ({exc})") from None


def _meta(wb) -> dict[str, str]:
    if META_SHEET not in wb.sheet_names:
        return {}
    kv: dict[str, str] = {}
    for row in wb.get_sheet_by_name(META_SHEET).to_python():
        if len(row) >= 2 and row[0] not in (None, ""):
            kv[str(row[0]).strip()] = "" if row[1] is None else str(row[1])
    return kv


def is_registry_workbook(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a registry workbook written by ``write_registry``."""
    try:
        return _meta(_open(Path(path))).get("kind") == META_KIND
    except RegistryError:
        return False


def _records(wb, key: str, kv: dict[str, str], path: Path) -> list[dict[str, Any]]:
    name = REGISTRY_SHEETS[key]
    if name not in wb.sheet_names:
        raise RegistryError(f"{path.name}: chybí list „{name}“ sešitu registru")
    rows = wb.get_sheet_by_name(name).to_python()
    if not rows:
        return []
    header = [str(v).strip() if v is not None else "" for v in rows[0]]
    try:
        keys = json.loads(kv.get(f"columns:{key}") or "null") or [c for c, _ in registry_columns(key)]
    except json.JSONDecodeError:
        raise RegistryError(f"{path.name}: poškozená metadata listu {name}") from None
    labels = dict(registry_columns(key))
    pos = {k: header.index(labels[k]) for k in keys if k in labels and labels[k] in header}
    out = []
    for row in rows[1:]:
        rec = {k: (row[p] if p < len(row) else None) for k, p in pos.items()}
        rec = {k: (None if v == "" else v) for k, v in rec.items()}
        if any(v is not None for v in rec.values()):
            out.append(rec)
    return out


def _text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    text = str(v).strip()
    return text or None


def _date(v: Any) -> dt.date | None:
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    return None


def _int(v: Any) -> int | None:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return int(v)
    return None


def _codes(value: Any, name: str) -> tuple[str, ...]:
    cl = codelist(name)
    out = []
    for part in str(value or "").split(SEP.strip()):
        item = cl.resolve(part.strip()) if part.strip() else None
        if item is not None:
            out.append(item.code)
    return tuple(out)


def _capacities(text: Any) -> tuple[Capacity, ...]:
    """``120 lůžka (popis); 40 klienti`` back into capacities."""
    out = []
    typy = codelist("typy_kapacity")
    for part in str(text or "").split(SEP):
        part = part.strip()
        if not part:
            continue
        head, _, desc = part.partition(" (")
        count_text, _, typ_text = head.partition(" ")
        item = typy.resolve(typ_text)
        count = int(count_text) if count_text.isdigit() else None
        out.append(Capacity(count, item.code if item else None, desc[:-1] if desc.endswith(")") else desc or None))
    return tuple(out)


def read_registry(path: str | os.PathLike) -> Registry:
    """Read a registry workbook back (as ``import_registry`` returned it, issues included).

    A ``.json`` path is imported directly (``import_registry`` of the whole file).
    Raises ``RegistryError`` with a Czech message.
    """
    path = Path(path)
    if path.suffix.lower() == ".json":
        from xlkpss.registry.rpss import import_registry

        return import_registry(path)
    if not path.is_file():
        raise RegistryError(f"soubor {path} neexistuje")
    wb = _open(path)
    kv = _meta(wb)
    if kv.get("kind") != META_KIND:
        raise RegistryError(
            f"{path.name} není sešit registru xlkpss (vytvoří jej příkaz xlkpss registry import rpss.json -o registr.xlsx)"
        )
    if int(kv.get("format_version") or 0) > FORMAT_VERSION:
        raise RegistryError(f"{path.name} je v novějším formátu registru; aktualizujte xlkpss")
    try:
        meta = json.loads(kv.get("meta") or "{}")
    except json.JSONDecodeError:
        raise RegistryError(f"{path.name}: poškozená metadata na listu {META_SHEET}") from None
    formy, druhy, typy = codelist("formy"), codelist("druhy_sluzeb"), codelist("typy_kapacity")
    facilities: dict[str, list[Facility]] = {}
    for r in _records(wb, "facilities", kv, path):
        ident = _text(r.get("identifikator"))
        if ident is None:
            continue
        facilities.setdefault(ident, []).append(
            Facility(
                name=_text(r.get("nazev_mista")),
                obec=_text(r.get("kod_obce")),
                address=_text(r.get("adresa")),
                secret=_text(r.get("utajena")) == "ano",
                address_code=_text(r.get("kod_adresniho_mista")),
                since=_date(r.get("od")),
                until=_date(r.get("do")),
            )
        )
    reg = Registry(meta=meta)
    for r in _records(wb, "services", kv, path):
        ident = _text(r.get("identifikator"))
        forma = formy.resolve(r.get("forma"))
        if ident is None or forma is None:
            continue
        druh = druhy.resolve(r.get("druh")) if r.get("druh") else None
        typ = typy.resolve(r.get("typ_kapacity")) if r.get("typ_kapacity") else None
        s = RegistryService(
            identifikator=ident,
            forma=forma.code,
            name=_text(r.get("nazev_sluzby")) or "",
            provider=_text(r.get("poskytovatel")) or "",
            ico=_text(r.get("ico_poskytovatele")),
            druh=druh.code if druh else None,
            capacity=_int(r.get("kapacita")),
            capacity_type=typ.code if typ else None,
            capacities=_capacities(r.get("kapacity")),
            target_groups=_codes(r.get("cilove_skupiny"), "cilove_skupiny"),
            age_groups=_codes(r.get("vekove_skupiny"), "vekove_skupiny"),
            facilities=tuple(facilities.get(ident, ())),
            email=_text(r.get("email_sluzby")),
            phone=_text(r.get("telefon_sluzby")),
            web=_text(r.get("web")),
            provider_email=_text(r.get("email_poskytovatele")),
            provider_phone=_text(r.get("telefon_poskytovatele")),
            continuous={"ano": True, "ne": False}.get(_text(r.get("nepretrzite")) or ""),
            since=_date(r.get("od")),
            until=_date(r.get("do")),
        )
        reg.services[s.key] = s
    for r in _records(wb, "providers", kv, path):
        ico = _text(r.get("ico_poskytovatele"))
        if ico:
            reg.providers[ico] = Provider(
                ico,
                _text(r.get("poskytovatel")) or "",
                _text(r.get("email_poskytovatele")),
                _text(r.get("telefon_poskytovatele")),
                _text(r.get("web")),
            )
    for r in _records(wb, "issues", kv, path):
        reg.issues.append(
            RegistryIssue(
                code=_text(r.get("code")) or "",
                severity="error" if r.get("severity") == "chyba" else "warning",
                record=_int(r.get("record")),
                identifikator=_text(r.get("identifikator")),
                field=_text(r.get("field")),
                value=_text(r.get("value")),
                message=_text(r.get("message")) or "",
            )
        )
    meta.update({"file": path.name, "source_path": str(path)})
    return reg


def load_registry(path: str | os.PathLike) -> dict[ServiceKey, RegistryService]:
    """The registered services of a registry workbook (or ``rpss.json``), keyed by
    (identifikátor, forma): provider IČO, type, form, capacity and its type, target and
    age groups, obce of provision, contacts, dates of provision.  For the merge's
    comparison with the registry, the chasing pack and the pre-filled templates."""
    return read_registry(path).services
