"""Checks across fields and rows that a column schema cannot express.

Each function gets one file's typed frame for one sheet and yields
``(row index in frame, field key, issue code, value, params)``.  They are registered per
sheet key in ``ROW_CHECKS``; identification checks in ``ident_checks``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

from xlkpss.codelists import codelist, fold_name, is_related_type, municipalities, orps
from xlkpss.i18n import format_number
from xlkpss.spec import SheetSpec, load_spec

Found = tuple[int, str, str, Any, dict]
RowCheck = Callable[[Any, SheetSpec, dict], Iterator[Found]]

#: the Služby field whose total the funding fields (spec ``funding = true``) may not exceed
COSTS_FIELD = "naklady"
#: how much (Kč) the funding sources may exceed the costs before it is reported (rounding)
FUNDING_TOLERANCE = 0.5


def _isna(v: Any) -> bool:
    import pandas as pd

    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))


def _kc(value: float) -> str:
    return f"{format_number(value)} Kč"


def _records(frame) -> Iterator[tuple[int, dict]]:
    cols = list(frame.columns)
    for i, values in enumerate(frame.itertuples(index=False, name=None)):
        yield i, {c: (None if _isna(v) else v) for c, v in zip(cols, values)}


# --- Služby ----------------------------------------------------------------------------


class _ServicesContext:
    def __init__(self, sheet: SheetSpec):
        self.druhy = codelist("druhy_sluzeb")
        self.formy = codelist("formy")
        self.funding = [f.key for f in sheet.fields if f.funding]
        self.groups = sheet.group("cilova_skupina")
        self.munis = municipalities()
        rel = load_spec().related
        self.related_code = rel.get("druh")
        self.when = dict(rel.get("when") or {})
        self.related_when = ", ".join(
            f"{sheet.field(k).label} = {codelist(sheet.field(k).codelist).get(v).label}" for k, v in self.when.items()
        )

    def related_ok(self, r: dict) -> bool:
        """May this row carry the druh „související služba“?"""
        return all(r.get(k) == v for k, v in self.when.items())


def _form_checks(i: int, r: dict, druhy: Any, formy: Any, *, check_form: bool) -> Iterator[Found]:
    """What the law says of a row's form: one the type allows (``check_form``), beds only
    for a residential form. Shared by the rows of Služby and of the network."""
    druh, forma = r.get("druh"), r.get("forma")
    if check_form and druh and forma:
        allowed = druhy.get(druh).extra.get("formy") or ()
        if allowed and forma not in allowed:
            yield i, "forma", "form-not-allowed", formy.get(forma).label, {
                "expected": druhy.get(druh).display,
                "allowed": ", ".join(formy.get(a).label for a in allowed),
            }
    if r.get("typ_kapacity") == "luzka" and forma and forma != "pob":
        yield i, "typ_kapacity", "beds-not-residential", codelist("typy_kapacity").get("luzka").display, {"forma": formy.get(forma).label}


def _service_row(i: int, r: dict, ctx: _ServicesContext, declared_orp: Any) -> Iterator[Found]:
    """The checks of one Služby row (``r``: field key -> value, NA as None, ``_bad``)."""
    druhy, formy, groups, munis = ctx.druhy, ctx.formy, ctx.groups, ctx.munis
    if r.get("registrovana") == "ano" and r.get("identifikator") is None and "identifikator" not in r.get("_bad", ()):
        yield i, "identifikator", "identifier-required", None, {}
    druh = r.get("druh")
    if druh and druh == ctx.related_code and not ctx.related_ok(r):
        yield i, "druh", "related-type-registered", druhy.get(druh).label, {"expected": ctx.related_when}
    yield from _form_checks(i, r, druhy, formy, check_form=True)
    costs = r.get(COSTS_FIELD)
    total = sum(r.get(k) or 0 for k in ctx.funding)
    if costs is not None and total > costs + FUNDING_TOLERANCE:
        yield i, COSTS_FIELD, "funding-exceeds-costs", _kc(costs), {"total": _kc(total), "expected": _kc(costs)}
    if groups and all(r.get(g.key) is None for g in groups) and not any(g.key in r.get("_bad", ()) for g in groups):
        yield i, groups[0].key, "group-missing", None, {}
    obec = r.get("obec")
    if obec and declared_orp and obec in munis and munis[obec].orp != declared_orp:
        yield i, "obec", "outside-territory", munis[obec].name, {"expected": f"ORP {orps()[declared_orp]['nazev_orp']}"}


def service_row_findings(values: dict, sheet: SheetSpec, declared_orp: Any = None) -> list[tuple[str, str]]:
    """(field key, issue code) of every problem the Služby row checks report for one row
    given as codes (field key → code; missing keys are empty).  The template's live checks
    probe it to learn which combinations of values are wrong, so the rules stay here."""
    r = {**values, "_bad": frozenset()}
    return [(key, code) for _, key, code, _, _ in _service_row(0, r, _ServicesContext(sheet), declared_orp)]


def services_checks(frame, sheet: SheetSpec, ident: dict) -> Iterator[Found]:
    ctx = _ServicesContext(sheet)
    declared_orp = ident.get("kod_orp")
    for i, r in _records(frame):
        yield from _service_row(i, r, ctx, declared_orp)


def _services_candidates(frame, sheet: SheetSpec, declared_orp) -> Any:
    """Rows of a batched Služby frame that *may* fail a check (a superset, vectorised);
    the exact checks then run on these rows only."""
    import numpy as np
    import pandas as pd

    def obj(key: str) -> Any:
        return frame[key].to_numpy(dtype=object) if key in frame else np.full(len(frame), None, dtype=object)

    def isna(key: str) -> Any:
        return pd.isna(obj(key))

    druhy = codelist("druhy_sluzeb")
    reg, druh, forma, typ = obj("registrovana"), obj("druh"), obj("forma"), obj("typ_kapacity")
    cand = (reg == "ano") & isna("identifikator")
    rel = load_spec().related
    if rel.get("druh"):
        ok = np.ones(len(frame), dtype=bool)
        for k, v in (rel.get("when") or {}).items():
            ok &= obj(k) == v
        cand |= (druh == rel["druh"]) & ~ok
    forma_na = pd.isna(forma)
    both = ~pd.isna(druh) & ~forma_na
    if both.any():
        allowed = {i.code: set(i.extra.get("formy") or ()) for i in druhy}
        idx = np.flatnonzero(both)
        bad_form = np.fromiter((bool(allowed.get(druh[j])) and forma[j] not in allowed[druh[j]] for j in idx), bool, len(idx))
        cand[idx[bad_form]] = True
    cand |= (typ == "luzka") & ~forma_na & (forma != "pob")
    funding = [f.key for f in sheet.fields if f.funding]
    if COSTS_FIELD in frame:
        costs = frame[COSTS_FIELD].to_numpy(dtype="float64", na_value=np.nan)
        total = np.zeros(len(frame))
        for k in funding:
            if k in frame:
                total = total + frame[k].to_numpy(dtype="float64", na_value=0.0)
        with np.errstate(invalid="ignore"):
            cand |= ~np.isnan(costs) & (total > costs + FUNDING_TOLERANCE - 1e-6 * (np.abs(costs) + np.abs(total) + 1))
    groups = sheet.group("cilova_skupina")
    if groups:
        none = np.ones(len(frame), dtype=bool)
        for g in groups:
            none &= isna(g.key)
        cand |= none
    if "obec" in frame:
        munis = municipalities()
        obec_orp = pd.Series(obj("obec")).map(lambda c: munis[c].orp if c in munis else None).to_numpy(dtype=object)
        declared = np.asarray(declared_orp, dtype=object)
        cand |= ~pd.isna(obec_orp) & ~pd.isna(declared) & (obec_orp != declared)
    return cand


# --- Plán ------------------------------------------------------------------------------

#: Levels of a plan from the highest down.  A child is of a lower level than its parent,
#: never higher; only a goal may hold goals (cíl → dílčí cíl); the top of the tree (number ``1``,
#: ``2`` …) is a working-group area, a priority or a goal; an area is only ever on top.
_LEVEL_RANK = {"oblast": 0, "priorita": 1, "cil": 2, "opatreni": 3, "aktivita": 4}
_TOP_LEVELS = ("oblast", "priorita", "cil")


def _level_label(code: str) -> str:
    item = codelist("urovne_planu").get(code)
    return item.label if item is not None else code


def _level_problem(number: str, level: str, parent_no: str | None, parent_level: str | None) -> str | None:
    """Why ``level`` cannot stand at ``number`` (None when it can)."""
    if parent_no is None:
        if level not in _TOP_LEVELS:
            return f"položka {number} je na nejvyšší úrovni plánu, kde může být jen {_or_list(list(_TOP_LEVELS))}"
        return None
    if level == "oblast":
        return f"oblast (pracovní skupina) může být jen na nejvyšší úrovni plánu (číslo bez tečky), ne pod položkou {parent_no}"
    if parent_level and not _may_hold(parent_level, level):
        below = [c for c in _LEVEL_RANK if _may_hold(parent_level, c)]
        if not below:
            return (
                f"položka {number} je pod položkou {parent_no} ({_level_label(parent_level)}), "
                "pod kterou už žádná další položka být nemůže"
            )
        return (
            f"položka {number} je pod položkou {parent_no} ({_level_label(parent_level)}), "
            f"pod kterou může být jen {_or_list(below)}"
        )
    return None


def level_problem(number: str, level: str, parent_no: str | None, parent_level: str | None) -> str | None:
    """Why plan level code ``level`` cannot stand at ``number`` under a parent of
    ``parent_level`` (None: it can; the template's live checks tabulate it)."""
    return _level_problem(number, level, parent_no, parent_level)


def _may_hold(parent_level: str, level: str) -> bool:
    """A child is of a lower level than its parent; only goals nest (cíl → dílčí cíl)."""
    if level in _NESTING:
        return _LEVEL_RANK[level] >= _LEVEL_RANK[parent_level]
    return _LEVEL_RANK[level] > _LEVEL_RANK[parent_level]


#: levels that may stand under their own kind
_NESTING = ("cil",)


def _or_list(codes: list[str]) -> str:
    labels = [_level_label(c) for c in codes]
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " nebo " + labels[-1]


def _counted_under(parts: list[str], by_number: dict[str, dict]) -> dict[str, str]:
    """Where an item whose parent is missing is counted (``xlkpss.plan.tree`` attaches it
    to its nearest existing ancestor): the words of the message."""
    for n in range(len(parts) - 2, 0, -1):
        ancestor = ".".join(parts[:n])
        if ancestor in by_number:
            return {
                "counted_cs": f"v plnění plánu se položka započte pod položku {ancestor}",
                "counted_en": f"the item is counted under item {ancestor}",
            }
    return {
        "counted_cs": "v plnění plánu se položka započte mezi položky bez priority",
        "counted_en": "the item is counted among the items without a priority",
    }


def _plan_rows(rows: list[tuple[int, dict]]) -> Iterator[Found]:
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
                yield i, "cislo", "plan-parent-missing", number, {"expected": parent_no, **_counted_under(parts, by_number)}
            if level in _LEVEL_RANK:
                why = _level_problem(number, level, parent_no, parent.get("uroven") if parent is not None else None)
                if why:
                    yield i, "uroven", "plan-level-depth", _level_label(level), {"expected": why}
        if r.get("stav") == "splneno" and r.get("dosazena_hodnota") is None and (
            r.get("cilova_hodnota") is not None or r.get("indikator")
        ):
            yield i, "dosazena_hodnota", "plan-done-no-value", None, {}
        planned, spent = r.get("rozpocet"), r.get("cerpano")
        if planned is not None and spent is not None and spent > planned + 0.5:
            yield i, "cerpano", "plan-overspent", _kc(spent), {"expected": _kc(planned)}


def plan_checks(frame, sheet: SheetSpec, ident: dict) -> Iterator[Found]:
    yield from _plan_rows(list(_records(frame)))


# --- Síť (krajská síť sociálních služeb) ---------------------------------------------------


def _network_rows(rows: list[tuple[int, dict]], ident: dict) -> Iterator[Found]:
    """A network row: a legal type (never „související služba“), a form the law allows for
    it, beds only for a residential form, the ORP inside the kraj of Identifikace."""
    druhy, formy = codelist("druhy_sluzeb"), codelist("formy")
    kraj = ident.get("kod_kraje")
    all_orp = orps()
    for i, r in rows:
        druh = r.get("druh")
        related = bool(druh) and is_related_type(druh)
        if related:
            yield i, "druh", "network-related-type", druhy.get(druh).label, {}
        yield from _form_checks(i, r, druhy, formy, check_form=not related)
        orp = r.get("orp")
        if orp and kraj and orp in all_orp and all_orp[orp]["kod_kraje"] != kraj:
            yield i, "orp", "network-orp-outside-kraj", all_orp[orp]["nazev_orp"], {"expected": codelist("kraje").get(kraj).label}


def network_checks(frame, sheet: SheetSpec, ident: dict) -> Iterator[Found]:
    yield from _network_rows(list(_records(frame)), ident)


ROW_CHECKS: dict[str, RowCheck] = {
    "sluzby": services_checks,
    "plan": plan_checks,
    "sit": network_checks,
}

#: fields each row check reads (besides ``_bad``)
_USES = {
    "sluzby": ("registrovana", "identifikator", "druh", "forma", "typ_kapacity", "naklady", "obec"),
    "plan": ("cislo", "uroven", "stav", "dosazena_hodnota", "cilova_hodnota", "indikator", "rozpocet", "cerpano"),
    "sit": ("druh", "forma", "typ_kapacity", "orp"),
}

#: the per-file row checks of the sheets other than Služby (rows of one file, its Identifikace)
_FILE_ROWS: dict[str, Callable[[list[tuple[int, dict]], dict], Iterator[Found]]] = {
    "plan": lambda rows, ident: _plan_rows(rows),
    "sit": _network_rows,
}


def _plain(series) -> list:
    """``[None if _isna(v) else v for v in series.tolist()]``, with the NA test vectorised."""
    import numpy as np
    import pandas as pd

    values = series.tolist()
    for i in np.flatnonzero(pd.isna(series.to_numpy(dtype=object))).tolist():
        values[i] = None
    return values


def batch_row_checks(
    key: str, frame, sheet: SheetSpec, spans: list[tuple[int, int, int]], idents: dict[int, dict], bad: list
) -> dict[int, list[Found]]:
    """``ROW_CHECKS[key]`` over a frame batching many files (``spans``: file index, first
    and end row of each file in ``frame``; ``bad``: per row, the fields that already
    have an issue).  Returns per file what ``ROW_CHECKS[key]`` yields for that file's own
    frame, in the same order, without building one frame per file."""
    import numpy as np

    out: dict[int, list[Found]] = {}
    if key not in ROW_CHECKS or not len(frame):
        return out
    uses = list(_USES[key])
    if key == "sluzby":
        uses += [f.key for f in sheet.fields if f.funding or f.group == "cilova_skupina"]
    cols = {k: _plain(frame[k]) for k in dict.fromkeys(uses) if k in frame}

    def row(g: int) -> dict:
        r = {k: v[g] for k, v in cols.items()}
        r["_bad"] = frozenset(bad[g])
        return r

    if key == "sluzby":
        ctx = _ServicesContext(sheet)
        declared = np.empty(len(frame), dtype=object)
        for file_idx, lo, hi in spans:
            declared[lo:hi] = idents.get(file_idx, {}).get("kod_orp")
        cand = np.flatnonzero(_services_candidates(frame, sheet, declared))
        starts = np.array([lo for _, lo, _ in spans])
        for g in cand.tolist():
            s = int(np.searchsorted(starts, g, side="right")) - 1
            file_idx, lo, _hi = spans[s]
            found = list(_service_row(g - lo, row(g), ctx, declared[g]))
            if found:
                out.setdefault(file_idx, []).extend(found)
        return out
    for file_idx, lo, hi in spans:
        found = list(_FILE_ROWS[key]([(g - lo, row(g)) for g in range(lo, hi)], idents.get(file_idx, {})))
        if found:
            out[file_idx] = found
    return out


# --- Identifikace ------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return "".join(c if c.isalnum() else " " for c in fold_name(text)).split()


#: words of an obec's name that say nothing about which obec it is
_NAME_FILLERS = frozenset({"nad", "pod", "pri", "pred", "u", "v", "na"})


def names_the_obec(name: str, obec: str) -> bool:
    """Whether the submitter's name (Název předkladatele) names the obec of its kód obce:
    a word of the name begins with the first word of the obec's name less its last two
    letters, so that the forms of Czech declension match („Městský úřad v Jirkově“,
    „Magistrát města Chomutova“ for Jirkov, Chomutov); every number in it must be there
    whole (Praha 5 is not Praha 6)."""
    words = [w for w in _words(obec) if w not in _NAME_FILLERS]
    if not words:
        return True
    given = _words(name)
    if not all(w in given for w in words if w.isdigit()):  # Praha 5 is not Praha 6
        return False
    first = next((w for w in words if not w.isdigit()), None)
    if first is None:
        return True
    stem = first[: max(3, len(first) - 2)]
    return any(w.startswith(stem) for w in given)


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
    name = ident.get("nazev")
    obec = munis.get(kod_obce) if typ in ("obec", "orp") and kod_obce else None
    if obec is not None and isinstance(name, str) and not names_the_obec(name, obec.name):
        # a neighbour's file taken over with its kód obce: the rows would count for the other obec
        yield "nazev", "name-code-mismatch", name, {"expected": f"{obec.name} ({kod_obce})"}
    year = ident.get("rok")
    if expected_year and year and year != expected_year:
        yield "rok", "year-mismatch", year, {"expected": expected_year}
