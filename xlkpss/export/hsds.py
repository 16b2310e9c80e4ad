"""The public catalogue as an Open Referral HSDS 3.0 Tabular Data Package.

One CSV per HSDS object plus ``datapackage.json`` (Frictionless Data Package: each
resource's fields, primary key and foreign keys), built from the catalogue model
(``xlkpss.render.catalogue.build_catalogue``) so it holds exactly the services of the
catalogue page:

================================  ===========================================================
``organization.csv``              one per provider (IČO)
``organization_identifier.csv``   the IČO (``identifier_scheme`` = ``CZ-ICO``)
``service.csv``                   one per service and form (as the catalogue's cards)
``location.csv``, ``address.csv`` the place of provision (address text, obec, ORP, kraj)
``service_at_location.csv``       service ↔ place
``phone.csv``                     the service's telephone
``schedule.csv``                  opening hours: the text in ``description``; ``po–pá 7:00–15:30``
                                  style text also as ``freq``/``byday``/``opens_at``/``closes_at``
``taxonomy.csv``, ``taxonomy_term.csv``, ``attribute.csv``
                                  MPSV service type, form, capacity type (``attribute.value`` =
                                  the registered capacity), target groups, age groups
================================  ===========================================================

Ids are UUIDs (version 5) derived from stable keys — the RPSS identifikátor + form for a
service, the IČO for a provider, the code for a taxonomy term — so the same service has
the same id every year and in every export.
"""

from __future__ import annotations

import csv
import json
import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xlkpss import __version__
from xlkpss.fsutil import atomic_dir

__all__ = ["HSDS_FIELDS", "HsdsError", "HsdsResult", "write_hsds"]

#: namespace of every id of the package (uuid5 of a stable key)
NAMESPACE = uuid.UUID("6b1f0c2e-5f0a-5a57-9c43-6b0e6f1d8a11")


class HsdsError(Exception):
    """The package cannot be written where asked (Czech message)."""


#: resource -> (field, type, foreign key "resource.field" or "") in HSDS 3.0 names
HSDS_FIELDS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "organization": (("id", "string", ""), ("name", "string", ""), ("description", "string", ""),
                     ("email", "string", ""), ("website", "string", "")),
    "organization_identifier": (("id", "string", ""), ("organization_id", "string", "organization.id"),
                                ("identifier_scheme", "string", ""), ("identifier_type", "string", ""),
                                ("identifier", "string", "")),
    "service": (("id", "string", ""), ("organization_id", "string", "organization.id"), ("name", "string", ""),
                ("alternate_name", "string", ""), ("description", "string", ""), ("url", "string", ""),
                ("email", "string", ""), ("status", "string", "")),
    "location": (("id", "string", ""), ("location_type", "string", ""), ("name", "string", ""),
                 ("description", "string", ""), ("external_identifier", "string", ""),
                 ("external_identifier_type", "string", "")),
    "address": (("id", "string", ""), ("location_id", "string", "location.id"), ("address_1", "string", ""),
                ("city", "string", ""), ("region", "string", ""), ("state_province", "string", ""),
                ("postal_code", "string", ""), ("country", "string", ""), ("address_type", "string", "")),
    "service_at_location": (("id", "string", ""), ("service_id", "string", "service.id"),
                            ("location_id", "string", "location.id")),
    "phone": (("id", "string", ""), ("service_id", "string", "service.id"), ("number", "string", ""),
              ("type", "string", "")),
    "schedule": (("id", "string", ""), ("service_id", "string", "service.id"), ("freq", "string", ""),
                 ("byday", "string", ""), ("opens_at", "string", ""), ("closes_at", "string", ""),
                 ("description", "string", "")),
    "taxonomy": (("id", "string", ""), ("name", "string", ""), ("description", "string", ""),
                 ("uri", "string", ""), ("version", "string", "")),
    "taxonomy_term": (("id", "string", ""), ("code", "string", ""), ("name", "string", ""),
                      ("description", "string", ""), ("taxonomy_id", "string", "taxonomy.id"),
                      ("language", "string", "")),
    "attribute": (("id", "string", ""), ("link_id", "string", ""), ("link_type", "string", ""),
                  ("link_entity", "string", ""), ("taxonomy_term_id", "string", "taxonomy_term.id"),
                  ("value", "string", "")),
}

def _group_label(key: str) -> str:
    """``Cílová skupina`` / ``Věková skupina``: the spec label of the group's columns without the number."""
    return _services_sheet().group(key)[0].label.rsplit(" ", 1)[0]


def _services_sheet():
    from xlkpss.spec import load_spec

    return load_spec().template("sluzby").sheet("sluzby")


#: our taxonomies: key -> (name, description, MPSV code list prefix in RPSS); names of the
#: taxonomies that are spec columns are the spec's labels
TAXONOMIES = {
    "druh": ("Druh sociální služby", "Druhy sociálních služeb podle zákona 108/2006 Sb. (číselník MPSV)",
             "DruhSocialniSluzby"),
    "forma": ("Forma poskytování", "Forma sociální služby: pobytová, ambulantní, terénní (zákon 108/2006 Sb.)",
              "FormaSocialniSluzby"),
    "typ_kapacity": (_services_sheet().field("typ_kapacity").label,
                     "Jednotka registrované kapacity (číselník MPSV); hodnota atributu je kapacita",
                     "TypKapacitySocialniSluzby"),
    "cilova_skupina": (_group_label("cilova_skupina"), "Cílové skupiny osob (číselník MPSV)", "CilovaSkupinaOsoby"),
    "vekova_skupina": (_group_label("vekova_skupina"), "Věkové skupiny osob (číselník MPSV)", "VekovaSkupinaOsoby"),
}

_DAYS = {"po": "MO", "út": "TU", "ut": "TU", "st": "WE", "čt": "TH", "ct": "TH", "pá": "FR", "pa": "FR",
         "so": "SA", "ne": "SU"}
_ORDER = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
_HOURS = re.compile(
    r"^\s*(po|út|ut|st|čt|ct|pá|pa|so|ne)\s*(?:[–-]\s*(po|út|ut|st|čt|ct|pá|pa|so|ne))?\s+"
    r"(\d{1,2})[:.](\d{2})\s*[–-]\s*(\d{1,2})[:.](\d{2})\s*$",
    re.IGNORECASE,
)
_PSC = re.compile(r"\b(\d{3}) ?(\d{2})\b")


@dataclass
class HsdsResult:
    folder: Path
    rows: dict[str, int]


def _id(*parts: Any) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join(str(p) for p in parts)))


def parse_hours(text: str) -> dict[str, str] | None:
    """``po–pá 7:00–15:30`` → weekly byday MO..FR, opens 07:00, closes 15:30 (None otherwise)."""
    m = _HOURS.match(text or "")
    if not m:
        return None
    a, b = _DAYS[m.group(1).lower()], _DAYS[(m.group(2) or m.group(1)).lower()]
    i, j = _ORDER.index(a), _ORDER.index(b)
    if j < i:
        return None
    return {"freq": "WEEKLY", "byday": ",".join(_ORDER[i : j + 1]),
            "opens_at": f"{int(m.group(3)):02d}:{m.group(4)}", "closes_at": f"{int(m.group(5)):02d}:{m.group(6)}"}


def _address(text: str) -> tuple[str, str]:
    """(address_1, postal code) from ``Husovo náměstí 5, 430 01 Chomutov``."""
    first = text.split(",")[0].strip()
    m = _PSC.search(text)
    return first, (f"{m.group(1)} {m.group(2)}" if m else "")


def hsds_rows(model) -> dict[str, list[dict[str, Any]]]:
    """The package's rows per resource from a ``CatalogueModel``."""
    out: dict[str, list[dict[str, Any]]] = {k: [] for k in HSDS_FIELDS}
    seen: dict[str, set[str]] = {k: set() for k in HSDS_FIELDS}

    def add(resource: str, row: dict[str, Any]) -> None:
        if row["id"] not in seen[resource]:
            seen[resource].add(row["id"])
            out[resource].append(row)

    for key, (name, description, prefix) in TAXONOMIES.items():
        add("taxonomy", {"id": _id("taxonomy", key), "name": name, "description": description,
                         "uri": f"https://data.mpsv.cz/ (číselník {prefix})", "version": ""})

    def term(tax: str, code: str | None, label: str, entity_id: str, value: Any = "") -> None:
        if not label:
            return
        code = code or label
        term_id = _id("term", tax, code)
        add("taxonomy_term", {"id": term_id, "code": f"{TAXONOMIES[tax][2]}/{code}", "name": label,
                              "description": label, "taxonomy_id": _id("taxonomy", tax), "language": "cs"})
        add("attribute", {"id": _id("attribute", entity_id, term_id), "link_id": entity_id,
                          "link_type": TAXONOMIES[tax][0], "link_entity": "service", "taxonomy_term_id": term_id,
                          "value": "" if value in (None, "") else str(value)})

    for e in model.entries:
        org_key = e.ico or e.poskytovatel
        org_id = _id("organization", org_key)
        add("organization", {"id": org_id, "name": e.poskytovatel or e.ico, "description":
                             f"Poskytovatel sociálních služeb ({'IČO ' + e.ico if e.ico else 'bez IČO'})",
                             "email": "", "website": ""})
        if e.ico:
            add("organization_identifier", {"id": _id("ico", e.ico), "organization_id": org_id,
                                            "identifier_scheme": "CZ-ICO", "identifier_type": "IČO",
                                            "identifier": e.ico})
        skey = f"{e.identifikator}/{e.forma_code or e.forma}" if e.identifikator else "/".join(map(str, e.key))
        sid = _id("service", skey)
        add("service", {"id": sid, "organization_id": org_id, "name": e.nazev,
                        "alternate_name": f"{e.druh} – {e.forma}" if e.forma else e.druh,
                        "description": e.popis, "url": e.web_href or "", "email": e.email, "status": "active"})
        place_key = (e.kod_obce, e.adresa)
        lid = _id("location", *place_key)
        add("location", {"id": lid, "location_type": "physical", "name": e.adresa or e.obec,
                         "description": f"Místo poskytování: {e.obec}" + (f" (ORP {e.nazev_orp})" if e.nazev_orp else ""),
                         "external_identifier": e.kod_obce, "external_identifier_type": "kód obce ČSÚ"})
        if e.adresa:
            line, psc = _address(e.adresa)
            add("address", {"id": _id("address", *place_key), "location_id": lid, "address_1": line, "city": e.obec,
                            "region": f"ORP {e.nazev_orp}" if e.nazev_orp else "", "state_province": "",
                            "postal_code": psc, "country": "CZ", "address_type": "physical"})
        add("service_at_location", {"id": _id("sal", sid, lid), "service_id": sid, "location_id": lid})
        if e.telefon:
            add("phone", {"id": _id("phone", sid, e.telefon), "service_id": sid, "number": e.telefon, "type": "voice"})
        if e.casovy_rozsah:
            parsed = parse_hours(e.casovy_rozsah) or {}
            add("schedule", {"id": _id("schedule", sid), "service_id": sid, "freq": parsed.get("freq", ""),
                             "byday": parsed.get("byday", ""), "opens_at": parsed.get("opens_at", ""),
                             "closes_at": parsed.get("closes_at", ""), "description": e.casovy_rozsah})
        term("druh", e.druh_code, e.druh, sid)
        term("forma", e.forma_code, e.forma, sid)
        term("typ_kapacity", e.typ_kapacity_code, e.typ_kapacity, sid, e.kapacita_value)
        for code, label in e.cilove_skupiny:
            term("cilova_skupina", code, label, sid)
        for code, label in e.vekove_skupiny:
            term("vekova_skupina", code, label, sid)
    return out


def datapackage(model, rows: dict[str, list]) -> dict[str, Any]:
    resources = []
    for name, fields in HSDS_FIELDS.items():
        schema: dict[str, Any] = {
            "fields": [{"name": f, "type": t} for f, t, _ in fields],
            "primaryKey": ["id"],
        }
        fks = [{"fields": f, "reference": {"resource": ref.split(".")[0], "fields": ref.split(".")[1]}}
               for f, _, ref in fields if ref]
        if fks:
            schema["foreignKeys"] = fks
        resources.append({"name": name, "path": f"{name}.csv", "profile": "tabular-data-resource", "format": "csv",
                          "mediatype": "text/csv", "encoding": "utf-8", "schema": schema})
    package = {
        "name": "katalog-socialnich-sluzeb",
        "title": model.title,
        "description": f"Katalog sociálních služeb – {model.territory}, rok {model.year}; Open Referral HSDS 3.0, "
                       "tabulkový datový balíček (xlkpss).",
        "profile": "tabular-data-package",
        "version": "3.0",
        "created": f"{model.generated}T00:00:00Z" if re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(model.generated)) else None,
        "licenses": [{"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/"}],
        "sources": [{"title": f"xlkpss {__version__}: souhrnný sešit KPSS"}],
        "resources": resources,
    }
    if package["created"] is None:
        del package["created"]
    return package


def write_hsds(model, folder: str | os.PathLike) -> HsdsResult:
    """Write the package into ``folder`` (built next to it, moved into place at the end;
    an existing non-empty folder is replaced only when it holds an earlier package)."""
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or (any(folder.iterdir()) and not (folder / "datapackage.json").is_file())):
        raise HsdsError(f"složka {folder} není prázdná a není to dřívější balíček HSDS; zvolte prázdnou nebo novou složku")
    rows = hsds_rows(model)
    with atomic_dir(folder) as tmp:
        for name, fields in HSDS_FIELDS.items():
            with open(tmp / f"{name}.csv", "w", encoding="utf-8", newline="") as fh:
                w = csv.DictWriter(fh, [f for f, _, _ in fields])
                w.writeheader()
                for r in rows[name]:
                    w.writerow({k: _safe(v) for k, v in r.items()})
        (tmp / "datapackage.json").write_text(
            json.dumps(datapackage(model, rows), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return HsdsResult(folder, {k: len(v) for k, v in rows.items()})


def _safe(value: Any) -> Any:
    """Text never becomes a formula when the CSV is opened in a spreadsheet."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value if value is not None else ""
