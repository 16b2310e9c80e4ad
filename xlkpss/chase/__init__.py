"""The chasing pack: for every submitter that has to be asked again — its services file
is missing or was rejected, a pre-filled file came back unchanged, or some of the
services expected from it were not reported — a pre-filled template to attach and one
line of a mail-merge CSV (who, contact, file, what is missing or wrong, deadline).

``chase_list(c)`` reads a consolidated workbook's *Úplnost předkladatelů* (written by
``xlkpss merge --registry/--previous/--deadline``), or, without it, *Odevzdání*;
``write_chase_pack(c, out_dir, sources=…, deadline=…)`` writes the pack.  xlkpss sends
no e-mail: the clerk opens the CSV in a mail client's mail merge (or in Excel).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xlkpss.codelists import municipalities, orps
from xlkpss.collate import czech_key
from xlkpss.fsutil import atomic_path
from xlkpss.i18n import format_date
from xlkpss.merge.model import STATUS_LABELS, SUBMITTER_TYPE_LABELS, Consolidated
from xlkpss.merge.status import ACCEPTED

__all__ = ["CHASE_COLUMNS", "CHASE_FILE", "ChaseError", "ChaseItem", "chase_list", "write_chase_pack"]

CHASE_FILE = "rozeslani.csv"
#: columns of the mail-merge CSV (Czech, in order)
CHASE_COLUMNS = (
    "Předkladatel",
    "Kód obce / IČO",
    "Název",
    "ORP",
    "Kontaktní osoba",
    "E-mail",
    "Telefon",
    "Soubor k přiložení",
    "Stav",
    "Co chybí nebo je špatně",
    "Nehlášené služby",
    "Termín",
)
_ERRORS_SHOWN = 5


class ChaseError(Exception):
    """The pack cannot be made (Czech message)."""


@dataclass
class ChaseItem:
    kind: str  # obec | orp | poskytovatel (xlkpss.template.prefill.Submitter.kind)
    code: str  # obec code, ORP code or IČO
    name: str
    orp: str
    state: str  # Czech: chybí / odmítnuto / vráceno beze změny / neúplné
    problem: str
    missing_services: str = ""
    contact: str = ""
    email: str = ""
    phone: str = ""
    file: str = ""  # the attached file's name, once written


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip()


_KIND = {SUBMITTER_TYPE_LABELS["obec"]: "obec", SUBMITTER_TYPE_LABELS["orp"]: "orp",
         SUBMITTER_TYPE_LABELS["poskytovatel"]: "poskytovatel"}  # fmt: skip


def _kind_code_orp(typ: str, code: str, orp: str, territory_orp: str | None) -> tuple[str, str, str] | None:
    kind = _KIND.get(typ)
    if kind is None:
        return None
    munis = municipalities()
    if kind == "orp":
        # a file of an ORP names its seat obec; the template is for the ORP
        o = munis[code].orp if code in munis else (code if code in orps() else orp)
        return ("orp", o, o) if o in orps() else None
    if kind == "obec":
        return ("obec", code, munis[code].orp) if code in munis else None
    orp = orp or territory_orp or ""
    return ("poskytovatel", code, orp) if orp in orps() else None


def _file_errors(c: Consolidated, file: str) -> str:
    errs = c.table("errors")
    recs = [r for r in (errs.to_dict("records") if len(errs) else []) if _text(r.get("src_file")) == file]
    out = []
    for r in recs[:_ERRORS_SHOWN]:
        where = ", ".join(x for x in (_text(r.get("src_sheet")) and f"list {_text(r.get('src_sheet'))}",
                                      _text(r.get("src_cell")) and f"buňka {_text(r.get('src_cell'))}") if x)  # fmt: skip
        out.append(f"{where}: {_text(r.get('message'))}" if where else _text(r.get("message")))
    if len(recs) > _ERRORS_SHOWN:
        out.append(f"… a dalších {len(recs) - _ERRORS_SHOWN} (list Chyby souhrnu)")
    return "; ".join(out)


def chase_list(c: Consolidated) -> list[ChaseItem]:
    """Who has to be asked again, in the order of *Úplnost předkladatelů* / *Odevzdání*."""
    territory_orp = str(c.meta.get("territory_code")) if c.meta.get("level") == "orp" else None
    items: list[ChaseItem] = []
    table = c.table("submitter_completeness") if "submitter_completeness" in c.tables else None
    if table is not None and len(table.columns):
        for r in table.to_dict("records"):
            typ, code = _text(r.get("submitter_type")), _text(r.get("submitter_code"))
            if not typ or not code:
                continue  # a total row
            status = _text(r.get("status"))
            unchanged = _text(r.get("unchanged")) == "ano"
            n_missing = int(r.get("n_missing") or 0)
            kind = _KIND.get(typ)
            chase = status == "rejected" or unchanged or n_missing > 0 or (status == "missing" and kind in ("obec", "orp"))
            if not chase:
                continue
            who = _kind_code_orp(typ, code, _text(r.get("kod_orp")), territory_orp)
            if who is None:
                continue
            if unchanged:
                state = "vráceno beze změny"
            elif status in ACCEPTED:
                state = "neúplné"
            else:
                state = STATUS_LABELS.get(status, status)
            problem = _text(r.get("problem"))
            if status == "rejected" and r.get("file"):
                detail = _file_errors(c, _text(r.get("file")))
                problem = f"{problem}: {detail}" if detail else problem
            items.append(
                ChaseItem(kind=who[0], code=who[1], orp=who[2], name=_text(r.get("submitter_name")), state=state, problem=problem,
                          missing_services=_text(r.get("missing_services")), contact=_text(r.get("contact")),
                          email=_text(r.get("contact_email")), phone=_text(r.get("contact_phone")))  # fmt: skip
            )
        return items
    # no comparison in the workbook: missing expected submitters and rejected files
    subs = c.table("submissions")
    recs = subs.to_dict("records") if len(subs) else []
    accepted = {(_text(r.get("submitter_type")), _text(r.get("submitter_code"))) for r in recs if r.get("status") in ACCEPTED}
    seen = set()
    for r in recs:
        typ, code, status = _text(r.get("submitter_type")), _text(r.get("submitter_code")), _text(r.get("status"))
        if (typ, code) in seen or (typ, code) in accepted:
            continue
        if not ((status == "missing" and r.get("expected") == "ano") or status == "rejected"):
            continue
        who = _kind_code_orp(typ, code, "", territory_orp)
        if who is None:
            continue
        seen.add((typ, code))
        problem = (f"soubor za rok {c.meta.get('year')} neodevzdán" if status == "missing"
                   else f"soubor {_text(r.get('file'))} odmítnut: {_file_errors(c, _text(r.get('file')))}")  # fmt: skip
        items.append(ChaseItem(kind=who[0], code=who[1], orp=who[2], name=_text(r.get("submitter_name")), state=STATUS_LABELS[status], problem=problem))
    return items


def _safe_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def write_chase_pack(
    c: Consolidated,
    out_dir: str | os.PathLike,
    *,
    sources: Any = None,
    deadline: dt.date | None = None,
    protect: set[Path] | None = None,
) -> tuple[list[ChaseItem], Path]:
    """One pre-filled services template per item of ``chase_list(c)`` (from ``sources``,
    an ``xlkpss.template.prefill.PrefillSources``; none: identification only) and the
    mail-merge CSV ``rozeslani.csv`` (UTF-8 with BOM, ``;``).  ``deadline`` defaults to
    the merge's ``--deadline``.  Raises ``ChaseError``."""
    from xlkpss.template.prefill import PrefillError, PrefillSources, Submitter, build_prefilled, file_name

    year = c.meta.get("year")
    if not isinstance(year, int):
        try:
            year = int(str(year))
        except ValueError:
            raise ChaseError("souhrnný sešit neuvádí rok") from None
    if deadline is None and c.meta.get("deadline"):
        deadline = dt.date.fromisoformat(str(c.meta["deadline"])[:10])
    if deadline is None:
        raise ChaseError("chybí termín odevzdání: zadejte --deadline RRRR-MM-DD (nebo jej zadejte už při merge)")
    out_dir = Path(out_dir)
    items = chase_list(c)
    sources = sources if sources is not None else PrefillSources()
    for item in items:
        sub = Submitter(item.kind, item.code, item.name, item.orp, email=item.email or None, phone=item.phone or None)
        try:
            result = build_prefilled(sub, sources, out_dir / file_name(sub, year), year=year, protect=protect)
        except PrefillError as exc:
            raise ChaseError(str(exc)) from None
        item.file = result.path.name if result.path else ""
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow(CHASE_COLUMNS)
    due = format_date(deadline)
    for i in sorted(items, key=lambda i: (czech_key(orps()[i.orp]["nazev_orp"]), i.kind == "poskytovatel", czech_key(i.name))):
        w.writerow([_safe_cell(v) for v in (SUBMITTER_TYPE_LABELS[i.kind], i.code, i.name, orps()[i.orp]["nazev_orp"], i.contact, i.email,
                                            i.phone, i.file, i.state, i.problem, i.missing_services, due)])  # fmt: skip
    index = out_dir / CHASE_FILE
    with atomic_path(index, protect=protect) as tmp:
        tmp.write_bytes(buf.getvalue().encode("utf-8-sig"))
    return items, index
