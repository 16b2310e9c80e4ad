"""Porovnání služeb: the services expected in the territory (the registry's, last year's
reports) matched with the services reported, what was found for each (``FINDINGS``) and
where a report differs from the registry."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from xlkpss.codelists import Territory, codelist, municipalities, normalize_key, orps
from xlkpss.collate import czech_key
from xlkpss.i18n import format_date
from xlkpss.merge.model import SUBMITTER_TYPE_LABELS, Consolidated
from xlkpss.read.values import as_text, parse_number
from xlkpss.registry.values import service_values

__all__ = ["FINDINGS", "Service", "compare_services", "comparison_rows", "submitter_name"]


#: what the comparison found for a service (column *Zjištění*), in the sheet's order
FINDINGS: dict[str, str] = {
    "missing": "nehlášena",
    "unchanged": "vrácena beze změny",
    "different": "hlášena, liší se od registru",
    "ended": "hlášena, registrace ukončena",
    "unregistered": "hlášena, není v registru",
    "new": "hlášena, loni nehlášena",
    "reported": "hlášena",
}


_COMPARED = (("druh", "reg_druh"), ("forma", "reg_forma"), ("kapacita", "reg_kapacita"), ("typ_kapacity", "reg_typ_kapacity"))


_REPORTER = re.compile(r"^(?P<name>.*) \((?P<typ>obec|ORP|poskytovatel)(?:, IČO)? (?P<code>\w+)\)$")


@dataclass
class Service:
    key: tuple
    values: dict[str, Any]  # identifikator, nazev_sluzby, poskytovatel, ico, druh, forma, kapacita, typ_kapacity …
    kod_obce: str | None
    expected_from: list[str] = field(default_factory=list)  # "registr", "loňské hlášení"
    expected_by: tuple[str, str] | None = None  # (submitter type word, code)
    expected_by_name: str | None = None
    reg: Any = None  # RegistryService (also for a reported one)
    reported: dict[str, Any] | None = None  # the counted row of Služby
    reporters: list[tuple[str, str]] = field(default_factory=list)
    fresh: bool = False
    finding: str = ""
    diffs: dict[str, Any] = field(default_factory=dict)
    note: list[str] = field(default_factory=list)


def _form_code(value: Any) -> str | None:
    item = codelist("formy").resolve(value) if value not in (None, "") else None
    return item.code if item is not None else None


def _key(rec: dict[str, Any]) -> tuple:
    ident = as_text(rec.get("identifikator"))
    forma = _form_code(rec.get("forma"))
    if ident:
        return (ident, forma)
    return ("", normalize_key(str(rec.get("nazev_sluzby") or "")), forma, as_text(rec.get("kod_obce")))


def _reporter(text: Any) -> tuple[str, str, str] | None:
    m = _REPORTER.match(str(text or "").strip())
    return (m["typ"], m["code"], m["name"]) if m else None


def _row_submitter(rec: dict[str, Any]) -> tuple[str, str] | None:
    typ, code = as_text(rec.get("submitter_type")), as_text(rec.get("submitter_code"))
    return (typ, code) if typ and code else None


def submitter_name(rec: dict[str, Any]) -> str | None:
    parsed = _reporter(rec.get("submitter"))
    return parsed[2] if parsed else as_text(rec.get("submitter"))


_VALUE_KEYS = ("identifikator", "nazev_sluzby", "poskytovatel", "ico_poskytovatele", "druh", "forma", "kapacita", "typ_kapacity")


def _expected(territory: Territory, year: int, registry: Any, previous: Consolidated | None) -> dict[tuple, Service]:
    out: dict[tuple, Service] = {}
    if previous is not None:
        frame = previous.table("services")
        for rec in frame.to_dict("records") if len(frame) else []:
            obec = as_text(rec.get("kod_obce"))
            if not obec or not territory.contains(obec):
                continue
            key = _key(rec)
            if key in out:
                continue
            sv = Service(key, {k: rec.get(k) for k in _VALUE_KEYS}, obec, ["loňské hlášení"])
            sv.expected_by = _row_submitter(rec)
            sv.expected_by_name = submitter_name(rec)
            reg = registry.services.get(key) if registry is not None and key[0] else None
            if reg is not None and not reg.active_in(year):
                continue  # registration ended before the year: not expected (a report says so)
            out[key] = sv
    if registry is not None:
        for s in registry.services.values():
            if not s.active_in(year):
                continue
            obec = next((o for o in s.municipalities_in(year) if territory.contains(o)), None)
            if obec is None:
                continue
            sv = out.get(s.key)
            if sv is None:
                sv = out[s.key] = Service(s.key, service_values(s), obec)
                if s.ico:
                    sv.expected_by = (SUBMITTER_TYPE_LABELS["poskytovatel"], s.ico)
                    sv.expected_by_name = s.provider
            sv.expected_from.append("registr")
            sv.reg = s
    return out


def _compare(sv: Service) -> None:
    """The registry's values where the report differs (type, form, capacity, its type)."""
    rec, s = sv.reported, sv.reg
    if rec is None or s is None:
        return
    reg = service_values(s)
    for col, reg_col in _COMPARED:
        a, b = rec.get(col), reg.get(col)
        if b is None:
            continue
        if col == "kapacita":
            same = parse_number(a) == parse_number(b)
        elif col == "forma":
            same = _form_code(a) == s.forma
        else:
            same = normalize_key(str(a or "")) == normalize_key(str(b))
        if not same:
            sv.diffs[reg_col] = b


def compare_services(
    c: Consolidated, territory: Territory, year: int, registry: Any, previous: Consolidated | None,
    unchanged_files: set[str], unchanged_submitters: set[tuple[str, str]],
) -> list[Service]:  # fmt: skip
    expected = _expected(territory, year, registry, previous)
    reported: dict[tuple, Service] = {}
    frame = c.table("services")
    for rec in frame.to_dict("records") if len(frame) else []:
        key = _key(rec)
        sv = expected.get(key)
        if sv is None:
            sv = reported.get(key)
        if sv is None:
            sv = reported[key] = Service(key, {}, as_text(rec.get("kod_obce")))
        if sv.reported is not None:
            continue  # an unregistered service of the same name twice: the first counts
        sv.reported = rec
        sv.values = {k: rec.get(k) for k in _VALUE_KEYS}
        sv.kod_obce = as_text(rec.get("kod_obce")) or sv.kod_obce
        who = _row_submitter(rec)
        sv.reporters = [who] if who else []
        for part in str(rec.get("reported_by") or "").split("; "):
            parsed = _reporter(part)
            if parsed:
                sv.reporters.append((parsed[0], parsed[1]))
        counted_fresh = str(rec.get("src_file") or "") not in unchanged_files
        sv.fresh = counted_fresh or any(r not in unchanged_submitters for r in sv.reporters[1:])
        if registry is not None and sv.reg is None and key[0]:
            sv.reg = registry.services.get(key)
    # a report of a registered service in another form than registered: one row, the
    # registry's form shown as the difference (not "not in the registry" + "missing")
    if registry is not None:
        open_forms: dict[str, list[Service]] = defaultdict(list)
        for sv in expected.values():
            if sv.reported is None and sv.reg is not None:
                open_forms[sv.key[0]].append(sv)
        for key, sv in list(reported.items()):
            if not key[0] or sv.reg is not None or not open_forms.get(key[0]):
                continue
            other = open_forms[key[0]].pop(0)
            other.reported, other.values, other.reporters, other.fresh = sv.reported, sv.values, sv.reporters, sv.fresh
            other.kod_obce = sv.kod_obce
            del reported[key]
    out = list(expected.values()) + list(reported.values())
    for sv in out:
        _compare(sv)
        if sv.reported is None:
            sv.finding = "missing"
            if sv.reg is not None and sv.reg.until is not None:
                sv.note.append(f"registrace končí {format_date(sv.reg.until)}")
        elif not sv.fresh:
            sv.finding = "unchanged"
            sv.note.append("údaje předvyplněné šablony vráceny beze změny, za rok nevyplněny")
        elif sv.reg is not None and not sv.reg.active_in(year):
            sv.finding = "ended"
            sv.note.append(f"registrace ukončena k {format_date(sv.reg.until)}")
        elif registry is not None and sv.reg is None:
            sv.finding = "unregistered"
            if not sv.key[0]:
                sv.note.append("bez identifikátoru (neregistrovaná služba)")
        elif sv.diffs:
            sv.finding = "different"
        elif not sv.expected_from:
            sv.finding = "new"
            if sv.reg is not None:
                sv.note.append("v registru s místem poskytování mimo území")
        else:
            sv.finding = "reported"
    return out


def _order(sv: Service) -> tuple:
    munis = municipalities()
    m = munis.get(sv.kod_obce or "")
    return (
        list(FINDINGS).index(sv.finding),
        czech_key(orps()[m.orp]["nazev_orp"]) if m else (),
        czech_key(m.name) if m else (),
        czech_key(str(sv.values.get("nazev_sluzby") or "")),
        str(sv.key),
    )


def _describe(typ: str | None, code: str | None, name: str | None) -> str | None:
    if not code:
        return None
    if typ == SUBMITTER_TYPE_LABELS["poskytovatel"]:
        return f"{name or code} (poskytovatel, IČO {code})"
    return f"{name or code} ({typ} {code})"


def comparison_rows(services: list[Service]) -> list[dict[str, Any]]:
    munis = municipalities()
    rows = []
    for sv in sorted(services, key=_order):
        m = munis.get(sv.kod_obce or "")
        o = orps()[m.orp] if m else None
        rec = sv.reported or {}
        row = {k: sv.values.get(k) for k in _VALUE_KEYS}
        row.update(
            {
                "finding": FINDINGS[sv.finding],
                "kod_orp": o["kod_orp"] if o else None,
                "nazev_orp": o["nazev_orp"] if o else None,
                "kod_obce": m.code if m else sv.kod_obce,
                "nazev_obce": m.name if m else None,
                "expected_from": ", ".join(sv.expected_from) or None,
                "expected_submitter": _describe(*(sv.expected_by or (None, None)), sv.expected_by_name),
                "reported_submitter": "; ".join(
                    x for x in [str(rec.get("submitter") or ""), str(rec.get("reported_by") or "")] if x
                )
                or None,
                "note": "; ".join(sv.note) or None,
                "src_file": rec.get("src_file"),
            }
        )
        for col, reg_col in _COMPARED:
            row[reg_col] = sv.diffs.get(reg_col)
        rows.append(row)
    return rows
