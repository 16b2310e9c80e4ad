"""Úplnost předkladatelů: every expected submitter and every submitter of a services file,
with the status of its file, timeliness, its expected services reported and missing, new
ones, and its contact (this year's file, else the registry, else last year's sheet)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from xlkpss.codelists import Territory, municipalities, orps
from xlkpss.collate import czech_key
from xlkpss.i18n import OF_EXPECTED_SERVICES, format_date, plural_cs
from xlkpss.merge.model import KIND_LABELS, SUBMITTER_TYPE_LABELS, Consolidated
from xlkpss.merge.servicecheck import Service, submitter_name
from xlkpss.merge.status import ACCEPTED
from xlkpss.merge.timeliness import TIMELINESS, timeliness
from xlkpss.read.values import as_text

__all__ = ["collect_submitters", "submitter_rows"]


@dataclass
class _Submitter:
    typ: str
    code: str
    name: str
    orp: str | None = None
    expected_unit: bool = False
    files: list[dict[str, Any]] = field(default_factory=list)  # Odevzdání rows of its services files
    expected: list[Service] = field(default_factory=list)
    new: list[Service] = field(default_factory=list)
    contact: tuple[str | None, str | None, str | None] = (None, None, None)


_STATUS_RANK = {status: n for n, status in enumerate(ACCEPTED)}


def _best(files: list[dict[str, Any]]) -> dict[str, Any] | None:
    live = [f for f in files if f.get("status") not in ("superseded", "outside")]
    if not live:
        return None
    worst = len(ACCEPTED)
    return min(live, key=lambda f: _STATUS_RANK.get(str(f.get("status")), worst if f.get("status") != "missing" else 99))


def _service_label(sv: Service) -> str:
    v = sv.values
    ident = as_text(v.get("identifikator"))
    forma = v.get("forma")
    bits = ", ".join(str(x) for x in (ident, forma) if x)
    return f"{v.get('nazev_sluzby') or 'služba'}" + (f" ({bits})" if bits else "")


def collect_submitters(
    c: Consolidated, sources: Sequence[Any], level: str, territory: Territory, services: list[Service] | None,
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
            get(typ, code, submitter_name(sv.reported)).new.append(sv)
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
            czech_key(orps()[s.orp]["nazev_orp"]) if s.orp in orps() else (),
            0 if s.typ in (obec_word, SUBMITTER_TYPE_LABELS["orp"]) else 1,
            czech_key(s.name),
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


def submitter_rows(
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
            problem.append(f"nehlášeno {len(missing)} z {plural_cs(len(s.expected), OF_EXPECTED_SERVICES)}")
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
    for orp, members in sorted(per_orp.items(), key=lambda kv: czech_key(orps()[kv[0]]["nazev_orp"])):
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
