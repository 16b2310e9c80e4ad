"""Checks across fields and rows that a column schema cannot express.

Each function gets one file's typed frame for one sheet and yields
``(row index in frame, field key, issue code, value, params)``.  They are registered per
sheet key in ``ROW_CHECKS``; identification checks in ``ident_checks``.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

from xlkpss.codelists import codelist, municipalities, orps
from xlkpss.i18n import format_number
from xlkpss.spec import SheetSpec

Found = tuple[int, str, str, Any, dict]
RowCheck = Callable[[Any, SheetSpec, dict], Iterator[Found]]


def _isna(v: Any) -> bool:
    return v is None or (isinstance(v, float) and v != v) or v is getattr(__import__("pandas"), "NA", object())


def _kc(value: float) -> str:
    return f"{format_number(value)} Kč"


def _records(frame) -> Iterator[tuple[int, dict]]:
    cols = list(frame.columns)
    for i, values in enumerate(frame.itertuples(index=False, name=None)):
        yield i, {c: (None if _isna(v) else v) for c, v in zip(cols, values)}


# --- Služby ----------------------------------------------------------------------------


def services_checks(frame, sheet: SheetSpec, ident: dict) -> Iterator[Found]:
    druhy = codelist("druhy_sluzeb")
    formy = codelist("formy")
    funding = [f.key for f in sheet.fields if f.funding]
    groups = sheet.group("cilova_skupina")
    declared_orp = ident.get("kod_orp")
    munis = municipalities()
    for i, r in _records(frame):
        if r.get("registrovana") == "ano" and r.get("identifikator") is None and "identifikator" not in r.get("_bad", ()):
            yield i, "identifikator", "identifier-required", None, {}
        druh, forma = r.get("druh"), r.get("forma")
        if druh and forma:
            allowed = druhy.get(druh).extra.get("formy") or ()
            if allowed and forma not in allowed:
                yield i, "forma", "form-not-allowed", formy.get(forma).label, {
                    "expected": druhy.get(druh).display,
                    "allowed": ", ".join(formy.get(a).label for a in allowed),
                }
        if r.get("typ_kapacity") == "luzka" and forma and forma != "pob":
            yield i, "typ_kapacity", "beds-not-residential", formy.get(forma).label, {}
        costs = r.get("naklady")
        total = sum(r.get(k) or 0 for k in funding)
        if costs is not None and total > costs + 0.5:
            yield i, "naklady", "funding-exceeds-costs", _kc(total), {"expected": _kc(costs)}
        if groups and all(r.get(g.key) is None for g in groups) and not any(g.key in r.get("_bad", ()) for g in groups):
            yield i, groups[0].key, "group-missing", None, {}
        obec = r.get("obec")
        if obec and declared_orp and obec in munis and munis[obec].orp != declared_orp:
            yield i, "obec", "outside-territory", munis[obec].name, {"expected": f"ORP {orps()[declared_orp]['nazev_orp']}"}


# --- Plán ------------------------------------------------------------------------------

_LEVEL_RANK = {"priorita": 1, "cil": 2, "opatreni": 3, "aktivita": 4}
_LEVEL_LABEL = {"priorita": "priorita", "cil": "cíl", "opatreni": "opatření", "aktivita": "aktivita"}


def plan_checks(frame, sheet: SheetSpec, ident: dict) -> Iterator[Found]:
    rows = list(_records(frame))
    by_number: dict[str, dict] = {}
    for _, r in rows:
        if r.get("cislo"):
            by_number.setdefault(r["cislo"], r)
    for i, r in rows:
        number = r.get("cislo")
        level = r.get("uroven")
        if number:
            parts = number.split(".")
            depth = len(parts)
            parent_no = ".".join(parts[:-1]) if depth > 1 else None
            parent = by_number.get(parent_no) if parent_no else None
            if parent_no and parent is None:
                yield i, "cislo", "plan-parent-missing", number, {"expected": parent_no}
            if level:
                bad = (depth == 1) != (level == "priorita")
                if not bad and parent is not None and parent.get("uroven"):
                    bad = _LEVEL_RANK[level] <= _LEVEL_RANK[parent["uroven"]]
                if bad:
                    yield i, "uroven", "plan-level-depth", _LEVEL_LABEL[level], {"expected": number}
        if r.get("stav") == "splneno" and r.get("dosazena_hodnota") is None and (
            r.get("cilova_hodnota") is not None or r.get("indikator")
        ):
            yield i, "dosazena_hodnota", "plan-done-no-value", None, {}
        planned, spent = r.get("rozpocet"), r.get("cerpano")
        if planned is not None and spent is not None and spent > planned + 0.5:
            yield i, "cerpano", "plan-overspent", _kc(spent), {"expected": _kc(planned)}


ROW_CHECKS: dict[str, RowCheck] = {
    "sluzby": services_checks,
    "plan": plan_checks,
}


# --- Identifikace ------------------------------------------------------------------------


def ident_checks(ident: dict, expected_year: int | None) -> Iterator[tuple[str, str, Any, dict]]:
    """(field key, issue code, value, params) for the identification sheet."""
    typ = ident.get("typ_predkladatele")
    if typ in ("obec", "orp") and not ident.get("kod_obce"):
        yield "kod_obce", "submitter-incomplete", None, {"expected": "Obec a ORP musí uvést kód obce."}
    if typ == "poskytovatel" and not ident.get("ico"):
        yield "ico", "submitter-incomplete", None, {"expected": "Poskytovatel musí uvést IČO."}
    kod_obce, kod_orp, kraj = ident.get("kod_obce"), ident.get("kod_orp"), ident.get("kod_kraje")
    munis = municipalities()
    if kod_obce and kod_orp and kod_obce in munis and munis[kod_obce].orp != kod_orp:
        yield "kod_obce", "outside-territory", munis[kod_obce].name, {"expected": f"ORP {orps()[kod_orp]['nazev_orp']}"}
    if kod_orp and kraj and orps()[kod_orp]["kod_kraje"] != kraj:
        yield "kod_orp", "outside-territory", orps()[kod_orp]["nazev_orp"], {"expected": codelist("kraje").get(kraj).label}
    year = ident.get("rok")
    if expected_year and year and year != expected_year:
        yield "rok", "year-mismatch", year, {"expected": expected_year}
