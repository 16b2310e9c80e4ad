"""Streaming import of the MPSV registry open data (``rpss.json``).

The national file is ~100 MB of JSON (``{"polozky": [ … one registered service … ]}``);
it is read record by record with ``ijson`` (its C backend), so memory holds one raw
record at a time plus the compact records kept — never the whole document.

Field paths are those of ``../shared/data/rpss_open_data_format.md``; the README table
*Registry fields used* lists every one.  Codes are mapped to the package's code lists by
the open-data id (``DruhSocialniSluzby/13`` → druh 13).  A record that cannot be used
(no identifier, no form, not an object) and every unknown code or malformed value is an
issue with a Czech message — never a stop.  Only a file that is not the registry at all
(not JSON, no ``polozky``, cut off in the middle) raises ``RegistryError``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from xlkpss.codelists import Territory, codelist, municipalities
from xlkpss.collate import czech_key
from xlkpss.i18n import ROWS, format_number, issue_text, plural_cs
from xlkpss.registry.model import (
    Capacity,
    Facility,
    Provider,
    Registry,
    RegistryError,
    RegistryIssue,
    RegistryService,
)

__all__ = ["CAPACITY_PREFERENCE", "import_registry", "summary_line"]

#: which registered capacity of a form fills the template's one Kapacita + Typ kapacity
#: (the others stay in ``capacities`` and on the registry sheet): beds for a residential
#: form, then clients, contacts, interventions, calls
CAPACITY_PREFERENCE = ("luzka", "klient", "kontakt", "interv", "hovor")

#: RPSS id prefix → the package's code list
_PREFIXES = {
    "druh": ("DruhSocialniSluzby/", "druhy_sluzeb"),
    "forma": ("FormaSocialniSluzby/", "formy"),
    "typ": ("TypKapacitySocialniSluzby/", "typy_kapacity"),
    "cil": ("CilovaSkupinaOsoby/", "cilove_skupiny"),
    # VekovaSkupinaOsoby/<kód> follows the other lists by assumption (format notes)
    "vek": ("VekovaSkupinaOsoby/", "vekove_skupiny"),
}
_SEVEN_DIGITS = re.compile(r"^\d{7}$")
_ICO = re.compile(r"^\d{1,8}$")
_READ_CHUNK = 1 << 16


class _Mapper:
    """RPSS ids → package codes, and the issue of each id that is not in a list."""

    def __init__(self) -> None:
        self.maps: dict[str, dict[str, str]] = {}
        for what, (prefix, name) in _PREFIXES.items():
            self.maps[what] = {prefix + code: code for code in codelist(name).codes()}
        for item in codelist("druhy_sluzeb"):
            if item.extra.get("mpsv_open_data_id"):
                self.maps["druh"][item.extra["mpsv_open_data_id"]] = item.code
        self.titles = {what: codelist(name).title for what, (_, name) in _PREFIXES.items()}
        self.munis = municipalities()

    def code(self, what: str, value: Any) -> str | None:
        return self.maps[what].get(value) if isinstance(value, str) else None

    def obec(self, value: Any) -> str | None:
        if isinstance(value, str) and value.startswith("Obec/") and value[5:] in self.munis:
            return value[5:]
        return None


class _Record:
    """Reading one raw record: values by path, and the issues found on the way."""

    def __init__(self, raw: dict, position: int, mapper: _Mapper):
        self.raw = raw
        self.position = position
        #: issues of this record (the import keeps them when the record is in the territory)
        self.issues: list[RegistryIssue] = []
        self.mapper = mapper
        ident = raw.get("identifikator")
        self.identifikator = (
            str(ident).strip() if isinstance(ident, (str, int)) and not isinstance(ident, bool) else None
        )

    def issue(self, code: str, path: str, value: Any, expected: str = "") -> None:
        severity = "error" if code == "registry-malformed" else "warning"
        shown = value if isinstance(value, (str, int, float)) or value is None else _short(value)
        message = issue_text(code, value=shown if shown is not None else "", expected=expected)
        self.issues.append(RegistryIssue(code, severity, self.position, self.identifikator, path, shown, message))

    def code(self, what: str, value: Any, path: str) -> str | None:
        code = self.mapper.code(what, value)
        if code is None and value is not None:
            self.issue("registry-unknown-code", path, value, self.mapper.titles[what])
        return code

    def date(self, value: Any, path: str) -> dt.date | None:
        if value is None or value == "":
            return None
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value[:10])
            except ValueError:
                pass
        self.issue("registry-bad-value", path, value, path)
        return None

    def text(self, value: Any) -> str | None:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(int(value)) if float(value).is_integer() else str(value)
        if not isinstance(value, str):
            return None
        text = " ".join(value.split())
        return text or None


def _get(obj: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _items(value: Any) -> list:
    return value if isinstance(value, list) else []


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "…"


def _first_contact(entity: Any, key: str, item_key: str) -> str | None:
    """The first non-empty ``entity[key][].item_key`` (``emaily[].email`` …)."""
    for item in _items(_get(entity, key) if isinstance(entity, dict) else None):
        value = _get(item, item_key)
        if isinstance(value, (str, int)) and str(value).strip():
            return " ".join(str(value).split())
    return None


def _address(rec: _Record, adresa: Any, obec: str | None) -> str | None:
    """``Nemocniční 2272/54, 352 01 Aš`` from ``zarizeni[].adresa`` (the obec by its code;
    ``č. p. 12, 431 11 Málkov`` where there is no street)."""
    if not isinstance(adresa, dict):
        return None
    street = rec.text(_get(adresa, "ulice", "nazev"))
    house = rec.text(adresa.get("cisloDomovni"))
    orient = rec.text(adresa.get("cisloOrientacni"))
    number = f"{house}/{orient}" if house and orient else house or orient
    if street:
        first = f"{street} {number}" if number else street
    else:
        first = f"č. p. {number}" if number else None
    psc = rec.text(adresa.get("psc"))
    psc = f"{psc[:3]} {psc[3:]}" if psc and len(psc) == 5 and psc.isdigit() else psc
    place = rec.mapper.munis[obec].name if obec else None
    last = " ".join(p for p in (psc, place) if p) or None
    return ", ".join(p for p in (first, last) if p) or None


def _facilities(rec: _Record) -> tuple[Facility, ...]:
    out: list[Facility] = []
    seen: set[tuple] = set()
    raw = rec.raw.get("zarizeni")
    if raw is not None and not isinstance(raw, list):
        rec.issue("registry-bad-value", "zarizeni", raw, "zarizeni")
    for z in _items(raw):
        if not isinstance(z, dict):
            rec.issue("registry-bad-value", "zarizeni[]", z, "zarizeni[]")
            continue
        adresa = z.get("adresa")
        obec_id = _get(adresa, "obec", "id")
        obec = rec.mapper.obec(obec_id)
        if obec is None and obec_id is not None:
            rec.issue("registry-unknown-code", "zarizeni[].adresa.obec.id", obec_id, "Obce")
        secret = z.get("utajenaAdresa") is True
        code = _get(adresa, "kodAdresnihoMista")
        code = str(code) if isinstance(code, (int, str)) and str(code).strip() else None
        name = rec.text(z.get("nazev"))
        since = rec.date(z.get("poskytujeOd"), "zarizeni[].poskytujeOd")
        until = rec.date(z.get("poskytujeDo"), "zarizeni[].poskytujeDo")
        # facilities repeat in the data: the same name, address point and dates once
        key = (name, code, obec, since, until)
        if key in seen:
            continue
        seen.add(key)
        address = None if secret else _address(rec, adresa, obec)
        out.append(Facility(name, obec, address, secret, code, since, until))
    return tuple(out)


def _capacities(rec: _Record, forma: dict) -> tuple[Capacity, ...]:
    out: list[Capacity] = []
    for k in _items(forma.get("kapacity")):
        if not isinstance(k, dict):
            rec.issue("registry-bad-value", "formy[].kapacity[]", k, "formy[].kapacity[]")
            continue
        count = k.get("pocet")
        if isinstance(count, float) and count.is_integer():
            count = int(count)
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            if count is not None:
                rec.issue("registry-bad-value", "formy[].kapacity[].pocet", count, "formy[].kapacity[].pocet")
            count = None
        typ = rec.code("typ", _get(k, "typ", "id"), "formy[].kapacity[].typ.id")
        out.append(Capacity(count, typ, rec.text(k.get("popis"))))
    return tuple(out)


def _primary(capacities: tuple[Capacity, ...], forma: str) -> Capacity | None:
    usable = [c for c in capacities if c.count is not None and c.type is not None]
    if forma != "pob":
        usable = [c for c in usable if c.type != "luzka"] or usable
    for typ in CAPACITY_PREFERENCE:
        for c in usable:
            if c.type == typ:
                return c
    return None


def _groups(rec: _Record, key: str, inner: str, what: str) -> tuple[str, ...]:
    codes: list[str] = []
    for item in _items(rec.raw.get(key)):
        code = rec.code(what, _get(item, inner, "id"), f"{key}[].{inner}.id")
        if code and code not in codes:
            codes.append(code)
    position = {c: i for i, c in enumerate(codelist(_PREFIXES[what][1]).codes())}
    return tuple(sorted(codes, key=lambda c: position[c]))


def _services(rec: _Record) -> list[RegistryService]:
    raw = rec.raw
    if rec.identifikator is None or not _SEVEN_DIGITS.match(rec.identifikator):
        value = raw.get("identifikator")
        why = "chybí identifikátor služby" if value in (None, "") else f"identifikátor „{value}“ nemá 7 číslic"
        rec.issue("registry-malformed", "identifikator", value, why)
        return []
    formy = [f for f in _items(raw.get("formy")) if isinstance(f, dict)]
    if not formy:
        rec.issue("registry-malformed", "formy", raw.get("formy"), "služba nemá žádnou formu poskytování")
        return []
    provider = raw.get("poskytovatel") if isinstance(raw.get("poskytovatel"), dict) else {}
    ico = rec.text(provider.get("ico"))
    if ico is not None and _ICO.match(ico):
        ico = ico.zfill(8)
    elif ico is not None:
        rec.issue("registry-bad-value", "poskytovatel.ico", ico, "poskytovatel.ico")
        ico = None
    provider_name = rec.text(provider.get("nazev")) or (f"IČO {ico}" if ico else "neznámý poskytovatel")
    druh = rec.code("druh", _get(raw, "druhSocialniSluzby", "id"), "druhSocialniSluzby.id")
    facilities = _facilities(rec)
    if not any(f.obec for f in facilities):
        rec.issue("registry-no-municipality", "zarizeni[].adresa.obec.id", rec.identifikator)
    # the name people know: of a place still open (places that closed keep old names)
    names = [f.name for f in facilities if f.name and f.until is None] or [f.name for f in facilities if f.name]
    druh_label = codelist("druhy_sluzeb").get(druh).label if druh else "Sociální služba"
    name = names[0] if names else f"{druh_label} – {provider_name}"
    common = {
        "identifikator": rec.identifikator,
        "name": name,
        "provider": provider_name,
        "ico": ico,
        "druh": druh,
        "target_groups": _groups(rec, "ciloveSkupiny", "cilovaSkupina", "cil"),
        "age_groups": _groups(rec, "vekoveSkupiny", "vekovaSkupina", "vek"),
        "facilities": facilities,
        "email": _first_contact(raw, "emaily", "email") or _first_contact(provider, "emaily", "email"),
        "phone": _first_contact(raw, "telefony", "telefon") or _first_contact(provider, "telefony", "telefon"),
        "web": _first_contact(raw, "weby", "web") or _first_contact(provider, "weby", "web"),
        "provider_email": _first_contact(provider, "emaily", "email"),
        "provider_phone": _first_contact(provider, "telefony", "telefon"),
        "since": rec.date(raw.get("datumPoskytovaniOd"), "datumPoskytovaniOd"),
        "until": rec.date(raw.get("datumPoskytovaniDo"), "datumPoskytovaniDo"),
    }
    out: list[RegistryService] = []
    seen: set[str] = set()
    for f in formy:
        forma = rec.code("forma", _get(f, "forma", "id"), "formy[].forma.id")
        if forma is None:
            if _get(f, "forma", "id") is None:
                rec.issue("registry-malformed", "formy[].forma.id", None, "forma poskytování bez kódu")
            continue
        if forma in seen:
            rec.issue("registry-duplicate", "formy[].forma.id", f"{rec.identifikator} {forma}", "první výskyt formy")
            continue
        seen.add(forma)
        caps = _capacities(rec, f)
        main = _primary(caps, forma)
        continuous = f.get("nepretrzitePoskytovani")
        out.append(
            RegistryService(
                forma=forma,
                capacity=main.count if main else None,
                capacity_type=main.type if main else None,
                capacities=caps,
                continuous=continuous if isinstance(continuous, bool) else None,
                **common,
            )
        )
    return out


class _Counting:
    """A binary file that counts the bytes read (for progress and the summary)."""

    def __init__(self, fh: BinaryIO):
        self.fh = fh
        self.done = 0

    def read(self, n: int = -1) -> bytes:
        # ijson calls read(0) to learn whether the file gives bytes
        data = self.fh.read(_READ_CHUNK if n is None or n < 0 else n)
        self.done += len(data)
        return data


def _records(fh: _Counting, name: str) -> Iterator[Any]:
    import ijson

    try:
        yield from ijson.items(fh, "polozky.item", use_float=True)
    except ijson.IncompleteJSONError:
        # the parser's own words are English ("premature EOF"): the clerk reads where it broke off
        raise RegistryError(
            f"{name}: soubor je neúplný nebo poškozený (čtení skončilo po {format_number(fh.done)} bajtech). "
            "Stáhněte rpss.json z data.mpsv.cz znovu."
        ) from None
    except (ijson.JSONError, UnicodeDecodeError, ValueError):
        raise RegistryError(
            f"{name}: není to soubor JSON registru poskytovatelů (chyba po {format_number(fh.done)} bajtech)."
        ) from None


def _in_territory(service: RegistryService, territory: Territory | None) -> bool:
    if territory is None or territory.level == "stat":
        return True
    return any(territory.contains(o) for o in service.municipalities)


def _better(new: RegistryService, old: RegistryService) -> bool:
    """Which of two records of one service and form to keep: the one still provided,
    then the later registration."""
    if (new.until is None) != (old.until is None):
        return new.until is None
    return (new.since or dt.date.min) > (old.since or dt.date.min)


def import_registry(
    source: str | os.PathLike,
    *,
    territory: Territory | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Registry:
    """Read ``rpss.json`` into a ``Registry`` (only services with a place in
    ``territory`` when given).  ``progress(bytes_done, bytes_total)`` is called now and then.

    ``meta`` gets: ``source`` (file name), ``sha256``, ``size``, ``territory``
    (``level:code`` or None), ``records`` (items of ``polozky`` read), ``services``
    (registrations kept), ``rows`` (service × form kept), ``ended`` (rows whose
    registration has an end date), ``outside`` (records with no place in the territory),
    ``no_municipality`` (kept or not: records without any obec), ``malformed`` (records not
    taken), ``issues``.
    """
    path = Path(source)
    try:
        size = path.stat().st_size
        fh_raw = path.open("rb")
    except OSError as exc:
        raise RegistryError(f"soubor {path} nelze otevřít ({exc.strerror or exc})") from None
    mapper = _Mapper()
    reg = Registry()
    digest = hashlib.sha256()
    records = outside = malformed = no_obec = 0
    kept_idents: set[str] = set()

    with fh_raw:
        fh = _Counting(_Hashing(fh_raw, digest))
        last_report = 0
        for position, raw in enumerate(_records(fh, path.name), start=1):
            records += 1
            if progress is not None and fh.done - last_report >= (1 << 22):
                last_report = fh.done
                progress(fh.done, size)
            rec = _Record(raw if isinstance(raw, dict) else {}, position, mapper)
            if not isinstance(raw, dict):
                rec.issue("registry-malformed", "polozky[]", raw, f"položka není záznam služby: {_short(raw)}")
                reg.issues.extend(rec.issues)
                malformed += 1
                continue
            services = _services(rec)
            if not services:
                # a record that cannot be used is reported whatever the territory (it may be in it)
                reg.issues.extend(rec.issues)
                malformed += 1
                continue
            if not services[0].municipalities:
                no_obec += 1
            if not _in_territory(services[0], territory):
                # the problems of a record outside the territory are not this user's concern
                outside += 1
                continue
            for s in services:
                old = reg.services.get(s.key)
                if old is not None:
                    keep = s if _better(s, old) else old
                    reg.services[s.key] = keep
                    rec.issue(
                        "registry-duplicate",
                        "identifikator",
                        f"{s.identifikator} {s.forma}",
                        f"od {keep.since:%d. %m. %Y}" if keep.since else "první výskyt",
                    )
                else:
                    reg.services[s.key] = s
            reg.issues.extend(rec.issues)
            kept_idents.add(services[0].identifikator)
            if services[0].ico:
                _add_provider(reg, services[0])
        # the rest of the file after the list (hash and size of the whole file)
        while fh.read(_READ_CHUNK):
            pass
    if records == 0:
        raise RegistryError(
            f"{path.name}: v souboru není žádný záznam registru (očekává se JSON s klíčem „polozky“, "
            "soubor rpss.json z data.mpsv.cz)."
        )
    if progress is not None:
        progress(size, size)
    rows = sorted(reg.services.values(), key=service_sort_key)
    reg.services = {s.key: s for s in rows}
    reg.meta = {
        "source": path.name,
        "sha256": digest.hexdigest(),
        "size": size,
        "territory": f"{territory.level}:{territory.code}" if territory is not None else None,
        "territory_name": territory.describe() if territory is not None else None,
        "records": records,
        "services": len(kept_idents),
        "rows": len(rows),
        "ended": sum(1 for s in rows if s.ended),
        "outside": outside,
        "no_municipality": no_obec,
        "malformed": malformed,
        "issues": len(reg.issues),
    }
    return reg


class _Hashing:
    def __init__(self, fh: BinaryIO, digest: Any):
        self.fh = fh
        self.digest = digest

    def read(self, n: int = -1) -> bytes:
        data = self.fh.read(n)
        self.digest.update(data)
        return data


def _add_provider(reg: Registry, s: RegistryService) -> None:
    assert s.ico is not None
    old = reg.providers.get(s.ico)
    if old is None:
        reg.providers[s.ico] = Provider(s.ico, s.provider, s.provider_email, s.provider_phone, None)
    elif (old.email is None and s.provider_email) or (old.phone is None and s.provider_phone):
        reg.providers[s.ico] = Provider(
            s.ico, old.name, old.email or s.provider_email, old.phone or s.provider_phone, old.web
        )


def service_sort_key(s: RegistryService) -> tuple:
    """Provider, service name, identifier, form (people read the sheet by provider)."""
    forms = ("pob", "amb", "ter")
    return (
        czech_key(s.provider),
        czech_key(s.name),
        s.identifikator,
        forms.index(s.forma) if s.forma in forms else 9,
    )


def summary_line(reg: Registry) -> str:
    """One Czech line of counts for the CLI."""
    m = reg.meta
    parts = [
        f"přečteno {plural_cs(m['records'], ('záznam', 'záznamy', 'záznamů'))}",
        (
            f"převzato {plural_cs(m['services'], ('služba', 'služby', 'služeb'))} "
            f"({plural_cs(m['rows'], ROWS)} služba × forma, z toho ukončených {m['ended']})"
        ),
    ]
    if m.get("territory"):
        parts.append(f"mimo území {m['outside']}")
    parts.append(f"bez obce poskytování {m['no_municipality']}")
    parts.append(f"nepoužitelných záznamů {m['malformed']}")
    parts.append(f"problémů {m['issues']}")
    return "Registr: " + ", ".join(parts)
