"""Completeness per service, timeliness and "sent back unchanged" — the merge's
comparison of what was reported with what was expected.

``complete(c, sources, …)`` runs at the end of ``merge_results`` and adds to the
consolidated data set:

* **Sent back unchanged**: a pre-filled services file (``xlkpss template sluzby
  --prefill``) whose services sheet still holds exactly what was pre-filled is said to
  be so in *Odevzdání* (its note) — its rows are kept (nothing is lost) but they are not
  fresh data: its services do not count as reported in the completeness per service.
* **Timeliness** (``deadline``): *Odevzdání* gets the column *Dodržení termínu* —
  ``včas`` / ``po termínu`` / ``chybí`` — from *Datum vyplnění*, or the file's time
  when the date is blank.
* **Expected services** (``registry`` and/or ``previous``): every service (identifikátor
  and form) the registry lists as provided in the year in an obec of the territory, and
  every service reported last year in the territory, is expected; the sheet *Porovnání
  služeb* lists each expected and each reported service with what was found — reported,
  not reported, sent back unchanged, not in the registry, registration ended, new (not
  reported last year) — and the registry's type, form, capacity and capacity type where
  the report differs; completeness by services = reported ÷ expected
  (``meta["completeness_services"]``).
* **Per submitter** (*Úplnost předkladatelů*): every expected obce, every submitter of a
  services file and every submitter expected to report a service (last year's reporter,
  else the registered provider) with the status of its services file, timeliness, how
  many of its expected services were reported, which are missing, new ones, and its
  contact (this year's file, else the registry, else last year's sheet) — what
  ``xlkpss chase`` turns into the chasing pack.  One row per ORP comes first with the
  ORP's totals.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from xlkpss.codelists import Territory, codelist, municipalities, normalize_key, orps
from xlkpss.merge.model import KIND_LABELS, SHEET_COLUMNS, SHEETS, SUBMITTER_TYPE_LABELS, Consolidated
from xlkpss.i18n import format_date
from xlkpss.merge.status import ACCEPTED
from xlkpss.read.values import as_text, parse_number
from xlkpss.registry.values import service_values

__all__ = [
    "FINDINGS",
    "TIMELINESS",
    "add_overview",
    "annotate_unchanged",
    "complete",
    "timeliness",
]

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
#: column *Dodržení termínu*
TIMELINESS = {"on_time": "včas", "late": "po termínu", "missing": "chybí"}

_COMPARED = (("druh", "reg_druh"), ("forma", "reg_forma"), ("kapacita", "reg_kapacita"), ("typ_kapacity", "reg_typ_kapacity"))
_REPORTER = re.compile(r"^(?P<name>.*) \((?P<typ>obec|ORP|poskytovatel)(?:, IČO)? (?P<code>\w+)\)$")
_UNCHANGED_NOTE = "vráceno beze změny: předvyplněné údaje, údaje za rok {year} nevyplněny"
_SHEET_NOTES = {
    "submitter_completeness": "předkladatelé: odevzdání, termín, očekávané a nehlášené služby, kontakt",
    "service_comparison": "očekávané služby (registr, loňské hlášení) a co z nich bylo hlášeno",
}


def _as_date(v: Any) -> dt.date | None:
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if isinstance(v, str):
        try:
            return dt.date.fromisoformat(v[:10])
        except ValueError:
            return None
    return None


# ---------------------------------------------------------------------------
# sent back unchanged
# ---------------------------------------------------------------------------


def annotate_unchanged(sources: Sequence[Any]) -> set[str]:
    """Names of the services files (accepted or rejected) that are pre-filled files sent back unchanged."""
    from xlkpss.template.prefill import is_unchanged, prefill_stamp

    out = set()
    for src in sources:
        r = src.result
        if src.kind != "sluzby" or r is None or src.status in ("outside", "superseded"):
            continue
        if prefill_stamp(getattr(r, "meta", {}) or {}) is None:
            continue
        if is_unchanged(src.path):
            out.add(src.name)
    return out


# ---------------------------------------------------------------------------
# timeliness
# ---------------------------------------------------------------------------


def timeliness(date_filled: Any, mtime: float | None, deadline: dt.date) -> tuple[str, str]:
    """(key of ``TIMELINESS``, Czech note) of a file: *Datum vyplnění*, else the file's time."""
    filled = _as_date(date_filled)
    if filled is not None:
        late = filled > deadline
        return ("late" if late else "on_time"), (
            f"po termínu {format_date(deadline)}: vyplněno {format_date(filled)}" if late else ""
        )
    if mtime:
        saved = dt.datetime.fromtimestamp(mtime).date()
        late = saved > deadline
        return ("late" if late else "on_time"), (
            f"po termínu {format_date(deadline)}: soubor uložen {format_date(saved)} (datum vyplnění chybí)"
            if late
            else "datum vyplnění chybí, podle času souboru"
        )
    return "on_time", ""


# ---------------------------------------------------------------------------
# expected and reported services
# ---------------------------------------------------------------------------


@dataclass
class _Service:
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


def _submitter_name(rec: dict[str, Any]) -> str | None:
    parsed = _reporter(rec.get("submitter"))
    return parsed[2] if parsed else as_text(rec.get("submitter"))


_VALUE_KEYS = ("identifikator", "nazev_sluzby", "poskytovatel", "ico_poskytovatele", "druh", "forma", "kapacita", "typ_kapacity")


def _expected(territory: Territory, year: int, registry: Any, previous: Consolidated | None) -> dict[tuple, _Service]:
    out: dict[tuple, _Service] = {}
    if previous is not None:
        frame = previous.table("services")
        for rec in frame.to_dict("records") if len(frame) else []:
            obec = as_text(rec.get("kod_obce"))
            if not obec or not territory.contains(obec):
                continue
            key = _key(rec)
            if key in out:
                continue
            sv = _Service(key, {k: rec.get(k) for k in _VALUE_KEYS}, obec, ["loňské hlášení"])
            sv.expected_by = _row_submitter(rec)
            sv.expected_by_name = _submitter_name(rec)
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
                sv = out[s.key] = _Service(s.key, service_values(s), obec)
                if s.ico:
                    sv.expected_by = (SUBMITTER_TYPE_LABELS["poskytovatel"], s.ico)
                    sv.expected_by_name = s.provider
            sv.expected_from.append("registr")
            sv.reg = s
    return out


def _compare(sv: _Service) -> None:
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


def _services(
    c: Consolidated, territory: Territory, year: int, registry: Any, previous: Consolidated | None,
    unchanged_files: set[str], unchanged_submitters: set[tuple[str, str]],
) -> list[_Service]:  # fmt: skip
    expected = _expected(territory, year, registry, previous)
    reported: dict[tuple, _Service] = {}
    frame = c.table("services")
    for rec in frame.to_dict("records") if len(frame) else []:
        key = _key(rec)
        sv = expected.get(key)
        if sv is None:
            sv = reported.get(key)
        if sv is None:
            sv = reported[key] = _Service(key, {}, as_text(rec.get("kod_obce")))
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
        open_forms: dict[str, list[_Service]] = defaultdict(list)
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


def _order(sv: _Service) -> tuple:
    munis = municipalities()
    m = munis.get(sv.kod_obce or "")
    return (
        list(FINDINGS).index(sv.finding),
        normalize_key(orps()[m.orp]["nazev_orp"]) if m else "",
        normalize_key(m.name) if m else "",
        normalize_key(str(sv.values.get("nazev_sluzby") or "")),
        str(sv.key),
    )


def _describe(typ: str | None, code: str | None, name: str | None) -> str | None:
    if not code:
        return None
    if typ == SUBMITTER_TYPE_LABELS["poskytovatel"]:
        return f"{name or code} (poskytovatel, IČO {code})"
    return f"{name or code} ({typ} {code})"


def _comparison_rows(services: list[_Service]) -> list[dict[str, Any]]:
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


# ---------------------------------------------------------------------------
# per submitter
# ---------------------------------------------------------------------------


@dataclass
class _Submitter:
    typ: str
    code: str
    name: str
    orp: str | None = None
    expected_unit: bool = False
    files: list[dict[str, Any]] = field(default_factory=list)  # Odevzdání rows of its services files
    expected: list[_Service] = field(default_factory=list)
    new: list[_Service] = field(default_factory=list)
    contact: tuple[str | None, str | None, str | None] = (None, None, None)


_STATUS_RANK = {status: n for n, status in enumerate(ACCEPTED)}


def _best(files: list[dict[str, Any]]) -> dict[str, Any] | None:
    live = [f for f in files if f.get("status") not in ("superseded", "outside")]
    if not live:
        return None
    worst = len(ACCEPTED)
    return min(live, key=lambda f: _STATUS_RANK.get(str(f.get("status")), worst if f.get("status") != "missing" else 99))


def _service_label(sv: _Service) -> str:
    v = sv.values
    ident = as_text(v.get("identifikator"))
    forma = v.get("forma")
    bits = ", ".join(str(x) for x in (ident, forma) if x)
    return f"{v.get('nazev_sluzby') or 'služba'}" + (f" ({bits})" if bits else "")


def _submitters(
    c: Consolidated, sources: Sequence[Any], level: str, territory: Territory, services: list[_Service] | None,
    registry: Any, previous: Consolidated | None, unchanged_files: set[str],
) -> list[_Submitter]:  # fmt: skip
    subs: dict[tuple[str, str], _Submitter] = {}
    obec_word = SUBMITTER_TYPE_LABELS["obec"]
    munis = municipalities()

    def get(typ: str, code: str, name: str | None) -> _Submitter:
        key = (typ, code)
        if key not in subs:
            subs[key] = _Submitter(typ, code, name or code)
        elif name and subs[key].name == code:
            subs[key].name = name
        return subs[key]

    frame = c.table("submissions")
    records = frame.to_dict("records") if len(frame) else []
    services_kind = KIND_LABELS["sluzby"]
    for rec in records:
        typ, code = as_text(rec.get("submitter_type")), as_text(rec.get("submitter_code"))
        if not typ or not code:
            continue
        if rec.get("status") == "missing" and rec.get("expected") == "ano":
            if typ == obec_word or level == "orp":
                s = get(typ, code, as_text(rec.get("submitter_name")))
                s.expected_unit = True
                s.files.append(rec)
            continue
        if rec.get("kind") != services_kind:
            continue
        s = get(typ, code, as_text(rec.get("submitter_name")))
        s.expected_unit = s.expected_unit or rec.get("expected") == "ano"
        s.files.append(rec)
    if level == "orp":
        for m in territory.municipalities:  # an obec that sent only a plan is still expected
            s = get(obec_word, m.code, m.name)
            s.expected_unit = True
    for sv in services or []:
        if sv.expected_from and sv.expected_by:
            get(sv.expected_by[0], sv.expected_by[1], sv.expected_by_name).expected.append(sv)
        elif not sv.expected_from and sv.reported is not None and sv.reporters:
            typ, code = sv.reporters[0]
            get(typ, code, _submitter_name(sv.reported)).new.append(sv)
    # ORP of each submitter; contacts
    by_name = {s.name: s for s in sources}
    prev_contacts = _previous_contacts(previous)
    for s in subs.values():
        if s.typ in (obec_word, SUBMITTER_TYPE_LABELS["orp"]) and s.code in munis:
            s.orp = munis[s.code].orp
        else:
            orps_seen = [munis[sv.kod_obce].orp for sv in s.expected + s.new if sv.kod_obce in munis]
            file_orps = [
                as_text(by_name[f["file"]].ident.get("kod_orp")) for f in s.files if f.get("file") in by_name
            ]
            candidates = [o for o in orps_seen + file_orps if o]
            s.orp = max(set(candidates), key=lambda o: (candidates.count(o), o)) if candidates else (
                territory.code if level == "orp" else None
            )
        s.contact = _contact(s, by_name, registry, prev_contacts)
    return sorted(
        subs.values(),
        key=lambda s: (
            normalize_key(orps()[s.orp]["nazev_orp"]) if s.orp in orps() else "",
            0 if s.typ in (obec_word, SUBMITTER_TYPE_LABELS["orp"]) else 1,
            normalize_key(s.name),
            s.code,
        ),
    )


def _previous_contacts(previous: Consolidated | None) -> dict[tuple[str, str], tuple]:
    if previous is None or "submitter_completeness" not in previous.tables:
        return {}
    frame = previous.table("submitter_completeness")
    out = {}
    for rec in frame.to_dict("records") if len(frame) else []:
        typ, code = as_text(rec.get("submitter_type")), as_text(rec.get("submitter_code"))
        contact = (as_text(rec.get("contact")), as_text(rec.get("contact_email")), as_text(rec.get("contact_phone")))
        if typ and code and any(contact):
            out[(typ, code)] = contact
    return out


def _contact(s: _Submitter, by_name: dict[str, Any], registry: Any, prev: dict) -> tuple:
    """(person, e-mail, phone): this year's file, else the registry (a provider), else last year."""
    for f in sorted(s.files, key=lambda f: _STATUS_RANK.get(str(f.get("status")), 5)):
        src = by_name.get(f.get("file"))
        if src is None:
            continue
        person, email, phone = (as_text(src.ident.get(k)) for k in ("zpracoval", "email", "telefon"))
        if email or phone:
            return (person, email, phone)
    if registry is not None and s.typ == SUBMITTER_TYPE_LABELS["poskytovatel"]:
        p = registry.providers.get(s.code)
        if p is not None and (p.email or p.phone):
            return (None, p.email, p.phone)
    return prev.get((s.typ, s.code), (None, None, None))


def _submitter_rows(
    subs: list[_Submitter], with_services: bool, deadline: dt.date | None, year: int,
    unchanged_files: set[str], by_name: dict[str, Any],
) -> list[dict[str, Any]]:  # fmt: skip
    rows: list[dict[str, Any]] = []
    per_orp: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for s in subs:
        best = _best(s.files)
        status = str(best.get("status")) if best is not None else "missing"
        unchanged = best is not None and best.get("file") in unchanged_files
        missing = [sv for sv in s.expected if sv.finding in ("missing", "unchanged")]
        n_exp = len(s.expected) if with_services else None
        n_rep = (n_exp - len(missing)) if n_exp is not None else None
        problem: list[str] = []
        if status == "missing":
            problem.append(f"soubor se službami za rok {year} neodevzdán")
        elif status == "rejected":
            problem.append(f"soubor {best.get('file')} odmítnut" + (f" ({best.get('note')})" if best.get("note") else ""))
        if unchanged:
            problem.append("předvyplněný soubor vrácen beze změny – chybí údaje za rok")
        if missing and status != "missing":
            problem.append(f"nehlášeno {len(missing)} z {len(s.expected)} očekávaných služeb")
        time_key = None
        if deadline is not None:
            if best is None or status == "missing":
                time_key = "missing"
            else:
                src = by_name.get(best.get("file"))
                time_key = timeliness(best.get("date_filled"), src.mtime if src else None, deadline)[0]
            if time_key == "late":
                problem.append(f"odevzdáno po termínu {format_date(deadline)}")
        o = orps().get(s.orp or "")
        row = {
            "kod_orp": s.orp,
            "nazev_orp": o["nazev_orp"] if o else None,
            "submitter_type": s.typ,
            "submitter_code": s.code,
            "submitter_name": s.name,
            "status": status,
            "timeliness": TIMELINESS[time_key] if time_key else None,
            "n_expected": n_exp,
            "n_reported": n_rep,
            "n_missing": len(missing) if with_services else None,
            "n_new": len(s.new) if with_services else None,
            "completeness": round(100.0 * n_rep / n_exp, 1) if n_exp else None,
            "unchanged": "ano" if unchanged else "ne",
            "missing_services": "; ".join(_service_label(sv) for sv in missing) or None,
            "problem": "; ".join(problem) or None,
            "contact": s.contact[0],
            "contact_email": s.contact[1],
            "contact_phone": s.contact[2],
            "file": best.get("file") if best is not None else None,
        }
        rows.append(row)
        if s.orp:
            per_orp[s.orp].append(row)
    totals = []
    for orp, members in sorted(per_orp.items(), key=lambda kv: normalize_key(orps()[kv[0]]["nazev_orp"])):
        n_exp = sum(r["n_expected"] or 0 for r in members) if with_services else None
        n_rep = sum(r["n_reported"] or 0 for r in members) if with_services else None
        totals.append(
            {
                "kod_orp": orp,
                "nazev_orp": orps()[orp]["nazev_orp"],
                "submitter_type": None,
                "submitter_code": None,
                "submitter_name": f"Celkem ORP {orps()[orp]['nazev_orp']}",
                "status": None,
                "timeliness": None,
                "n_expected": n_exp,
                "n_reported": n_rep,
                "n_missing": (n_exp - n_rep) if with_services else None,
                "n_new": sum(r["n_new"] or 0 for r in members) if with_services else None,
                "completeness": round(100.0 * n_rep / n_exp, 1) if n_exp else None,
                "unchanged": None,
                "missing_services": None,
                "problem": None,
                "contact": None,
                "contact_email": None,
                "contact_phone": None,
                "file": None,
            }
        )
    return totals + rows


# ---------------------------------------------------------------------------
# the hook
# ---------------------------------------------------------------------------


def _frame(key: str, rows: list[dict[str, Any]], columns: Sequence[str] | None = None):
    import pandas as pd

    cols = list(columns or SHEET_COLUMNS[key])
    return pd.DataFrame([[r.get(k) for k in cols] for r in rows], columns=cols, dtype=object)


def add_overview(c: Consolidated, lines: list[tuple[str, str, Any, str | None, str | None]], after: str) -> None:
    """Insert lines (metric, label, value, unit, note) into *Přehled* after the line ``after``."""
    import pandas as pd

    ov = c.table("overview")
    if not len(ov):
        return
    recs = ov.to_dict("records")
    at = next((i + 1 for i, r in enumerate(recs) if r.get("metric") == after), len(recs))
    new = [{"metric": m, "label": label, "value": v, "unit": u, "note": n} for m, label, v, u, n in lines]
    recs[at:at] = new
    c.tables["overview"] = pd.DataFrame(recs, columns=list(ov.columns), dtype=object)


def complete(
    c: Consolidated,
    sources: Sequence[Any],
    *,
    level: str,
    territory: Territory,
    year: int,
    registry: Any = None,
    previous: Consolidated | None = None,
    deadline: dt.date | None = None,
    registry_file: str | None = None,
) -> None:
    """Add unchanged notes, timeliness, *Porovnání služeb* and *Úplnost předkladatelů* to ``c``
    (see the module's docstring); ``registry`` is an ``xlkpss.registry.Registry``."""
    from xlkpss.i18n import plural_cs

    unchanged_files = annotate_unchanged(sources)
    by_name = {s.name: s for s in sources}
    subs_frame = c.table("submissions")
    if len(subs_frame) and (unchanged_files or deadline is not None):
        recs = subs_frame.to_dict("records")
        for rec in recs:
            notes = [rec.get("note")] if rec.get("note") else []
            if rec.get("file") in unchanged_files:
                notes.append(_UNCHANGED_NOTE.format(year=year))
            if deadline is not None:
                src = by_name.get(rec.get("file"))
                if rec.get("status") == "missing" or src is None:
                    rec["timeliness"] = TIMELINESS["missing"]
                else:
                    key, note = timeliness(rec.get("date_filled"), src.mtime, deadline)
                    rec["timeliness"] = TIMELINESS[key]
                    if note and key == "late":
                        notes.append(note)
            rec["note"] = "; ".join(notes) or None
        cols = list(subs_frame.columns)
        if deadline is not None and "timeliness" not in cols:
            cols.insert(cols.index("date_filled") + 1 if "date_filled" in cols else len(cols), "timeliness")
        c.tables["submissions"] = _frame("submissions", recs, cols)
    c.meta["unchanged_files"] = len(unchanged_files)
    if deadline is not None:
        c.meta["deadline"] = deadline.isoformat()
    if registry is None and previous is None and deadline is None:
        return

    unchanged_submitters = set()
    for name in unchanged_files:
        src = by_name[name]
        unchanged_submitters.add((SUBMITTER_TYPE_LABELS.get(src.submitter_type or "", ""), str(src.submitter_code)))
    with_services = registry is not None or previous is not None
    services = (
        _services(c, territory, year, registry, previous, unchanged_files, unchanged_submitters) if with_services else None
    )
    subs = _submitters(c, sources, level, territory, services, registry, previous, unchanged_files)
    c.tables["submitter_completeness"] = _frame(
        "submitter_completeness", _submitter_rows(subs, with_services, deadline, year, unchanged_files, by_name)
    )
    overview: list[tuple[str, str, Any, str | None, str | None]] = []
    if services is not None:
        c.tables["service_comparison"] = _frame("service_comparison", _comparison_rows(services))
        expected = [sv for sv in services if sv.expected_from]
        reported = [sv for sv in expected if sv.finding not in ("missing", "unchanged")]
        counts = {k: sum(1 for sv in services if sv.finding == k) for k in FINDINGS}
        basis = " a ".join(
            x for x in ("registru" if registry is not None else "", "loňského hlášení" if previous is not None else "") if x
        )
        pct = round(100.0 * len(reported) / len(expected), 1) if expected else None
        c.meta.update(
            {
                "expected_services": len(expected),
                "reported_services": len(reported),
                "completeness_services": pct,
                "new_services": counts["unregistered"] + counts["new"] + counts["ended"],
                "service_findings": counts,
                "services_basis": basis,
            }
        )
        if registry_file:
            c.meta["registry_file"] = registry_file
        overview.append(
            (
                "completeness_services",
                "Úplnost podle služeb",
                pct,
                "%",
                f"hlášeno {len(reported)} z {plural_cs(len(expected), ('očekávané služby', 'očekávaných služeb', 'očekávaných služeb'))} "
                f"(podle {basis}); nehlášeno {counts['missing']}, vráceno beze změny {counts['unchanged']}",
            )
        )
        overview.append(
            (
                "services_new",
                "Nově hlášené služby",
                c.meta["new_services"],
                "služeb",
                f"není v registru {counts['unregistered']}, registrace ukončena {counts['ended']}, loni nehlášena {counts['new']}",
            )
        )
        overview.append(
            ("services_different", "Služby odlišné od registru", counts["different"], "služeb", "druh, forma, kapacita nebo typ kapacity")
        )
    if unchanged_files:
        overview.append(
            ("unchanged_files", "Vráceno beze změny", len(unchanged_files), "souborů", "předvyplněné šablony bez údajů za rok")
        )
    if deadline is not None:
        late = sum(1 for r in c.table("submissions").to_dict("records") if r.get("timeliness") == TIMELINESS["late"])
        overview.append(("late", "Odevzdáno po termínu", late, "souborů", f"termín {format_date(deadline)}"))
    add_overview(c, overview, "completeness")
    after = "sheet:submissions"
    for key in ("submitter_completeness", "service_comparison"):
        if key in c.tables:
            add_overview(
                c, [(f"sheet:{key}", f"List {SHEETS[key]}", _SHEET_NOTES[key], None, f"{len(c.table(key))} řádků")],
                after,
            )
            after = f"sheet:{key}"
