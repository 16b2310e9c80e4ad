"""The consolidated data set: what a merge computes, what the consolidated workbook
stores, and what the HTML summary and the catalogue render.

``Consolidated`` is a bundle of pandas DataFrames, one per sheet of the consolidated
workbook.  Column keys are field keys from the spec where a column *is* a field
(labels then come from the spec) and the keys in ``COLUMN_LABELS`` otherwise.

Writing: ``xlkpss.merge.workbook.write_consolidated(c, path)``.
Reading back (for ``xlkpss report`` and for a regional merge of ORP workbooks):
``xlkpss.merge.workbook.read_consolidated(path) -> Consolidated``.

Conventions of the frames (``SHEET_COLUMNS`` lists every sheet's columns in order):

* values are what the workbook shows — code-list fields hold the Czech dropdown text
  (``§49 Domovy pro seniory``, ``pobytová``, ``lůžka``), yes/no columns ``ano``/``ne``;
  only ``submissions.status`` holds a key of ``STATUS_LABELS``;
* ``services`` holds only the rows counted in totals (a service reported by several
  submitters appears once, ``reported_by`` names the others), so summing a column of
  ``services`` gives the total;
* computed sheets with a whole-territory and per-unit split (capacities, funding) say
  which in ``territory_level`` (``ORP``/``kraj``/``stát`` for the whole, ``obec``/``ORP``/
  ``kraj`` per unit); funding has a total row per territory with ``druh`` = ``Celkem``;
* ``coverage`` has ``target_group``, one column per unit named by the unit (obec of the
  ORP / ORP of the kraj / kraj of the country) and ``total``;
* ``services`` of a national workbook (level ``stat``) has one more column after the
  territory columns, ``kod_statu`` (``STATE_COLUMN``, always ``CZ``): the column the
  whole-country totals' formulas select on, as ``kod_kraje`` is for a kraj;
* percentages are numbers 0–100, money in Kč, blanks None.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from xlkpss.merge import network as _network

__all__ = [
    "COLUMN_LABELS",
    "KIND_LABELS",
    "PROVENANCE_COLUMNS",
    "SHEETS",
    "OPTIONAL_SHEETS",
    "SHEET_COLUMNS",
    "SPEC_SHEETS",
    "STATE_COLUMN",
    "STATUS_LABELS",
    "SUBMITTER_TYPE_LABELS",
    "TERRITORY_COLUMNS",
    "Consolidated",
    "column_label",
]

#: sheet key -> Czech sheet name, in workbook order
SHEETS: dict[str, str] = {
    "overview": "Přehled",
    "submissions": "Odevzdání",
    "submitter_completeness": "Úplnost předkladatelů",
    "service_comparison": "Porovnání služeb",
    _network.SHEET_KEY: _network.SHEET_NAME,
    "services": "Služby",
    "capacities": "Kapacity",
    "coverage": "Cílové skupiny",
    "gaps": "Chybějící služby",
    "funding": "Financování",
    "plan_summary": "Plnění plánu",
    "activities": "Aktivity",
    "carryover": "Pokračuje",
    "projects": "Projekty",
    "conflicts": "Konflikty",
    "corrections": "Opravy",
    "changes": "Meziroční změny",
    "queries": "Neobvyklé hodnoty",
    "errors": "Chyby",
}

#: sheets written only when the merge computed them (``key in Consolidated.tables``):
#: completeness per service and per submitter (``merge --registry / --previous /
#: --deadline``, xlkpss.merge.expected)
#: the queries against peers (``queries``, xlkpss.merge.peers: written when there is a
#: query or ``merge --reference`` was given) and the regional network against what was
#: reported (``merge --network``, xlkpss.merge.network)
OPTIONAL_SHEETS = frozenset({"submitter_completeness", "service_comparison", "queries", _network.SHEET_KEY})

#: submission status -> Czech word (Odevzdání)
STATUS_LABELS: dict[str, str] = {
    "valid": "v pořádku",
    "warnings": "přijato s upozorněním",
    "errors": "přijato s chybami",
    "rejected": "odmítnuto",
    "superseded": "nahrazeno novějším",
    "missing": "chybí",
    "outside": "mimo území",
}

#: where every merged row came from; survives an ORP → kraj roll-up unchanged
PROVENANCE_COLUMNS = ("src_file", "src_sheet", "src_row", "src_cell", "src_sha256", "submitter")
#: territory of a service row (from Obec poskytování)
TERRITORY_COLUMNS = ("kod_obce", "nazev_obce", "kod_orp", "nazev_orp", "kod_kraje", "nazev_kraje")
#: the column a national workbook's Služby adds after TERRITORY_COLUMNS (value ``CZ``)
STATE_COLUMN = "kod_statu"

#: labels of computed columns (columns that are spec fields take the spec label)
COLUMN_LABELS: dict[str, str] = {
    "src_file": "Zdrojový soubor",
    "src_sheet": "Zdrojový list",
    "src_row": "Zdrojový řádek",
    "src_cell": "Zdrojová buňka",
    "src_sha256": "SHA-256 souboru",
    "submitter": "Předkladatel",
    "nazev_obce": "Obec",
    "kod_orp": "Kód ORP",
    "nazev_orp": "ORP",
    "kod_kraje": "Kód kraje",
    "nazev_kraje": "Kraj",
    "territory_code": "Kód území",
    "territory_name": "Území",
    "submitter_type": "Typ předkladatele",
    "submitter_code": "Kód / IČO",
    "submitter_name": "Předkladatel",
    "kind": "Druh souboru",
    "status": "Stav",
    "file": "Soubor",
    "sha256": "SHA-256",
    "rows_read": "Řádků přečteno",
    "rows_merged": "Řádků sloučeno",
    "rows_excluded": "Řádků vyřazeno",
    "errors": "Chyb",
    "warnings": "Upozornění",
    "services": "Počet služeb",
    "capacity": "Kapacita",
    "population": "Obyvatel",
    "per_1000": "Na 1 000 obyvatel",
    "core": "Základní služba",
    "share": "Podíl (%)",
    "priority": "Priorita",
    "items": "Položek",
    "pct_done": "Splněno (%)",
    "reason": "Důvod",
    "message": "Popis",
    "code": "Kód problému",
    "prev": "Minulý rok",
    "curr": "Tento rok",
    "change_pct": "Změna (%)",
    "flag": "Nad prahem",
    "field": "Údaj",
    "values": "Hodnoty podle předkladatelů",
}


# --- added by the merge stage (xlkpss.merge.consolidate) ---------------------------------
COLUMN_LABELS.update(
    {
        "territory_level": "Úroveň území",
        "expected": "Započteno do úplnosti",
        "note": "Poznámka",
        "via": "Převzato ze souhrnu",
        "completeness": "Úplnost (%)",
        "reported_by": "Hlásí také",
        "kategorie": "Kategorie služby",
        "funding_total": "Zdroje celkem (Kč)",
        "priority_name": "Název priority",
        "pct_spent": "Čerpáno z plánu (%)",
        "evaluated": "Hodnocená položka",
        "kept_submitter": "Započteno podle",
        "kept_value": "Započtená hodnota",
        "kept_src": "Zdroj započtené hodnoty",
        "other_submitter": "Jiný předkladatel",
        "other_value": "Jiná hodnota",
        "other_src": "Zdroj jiné hodnoty",
        "row_kind": "Řádek",
        "prev_capacity": "Kapacita minulý rok",
        "curr_capacity": "Kapacita letos",
        "capacity_change_pct": "Změna kapacity (%)",
        "prev_costs": "Náklady minulý rok (Kč)",
        "curr_costs": "Náklady letos (Kč)",
        "costs_change_pct": "Změna nákladů (%)",
        "metric": "Kód ukazatele (pro programy)",
        "label": "Ukazatel",
        "value": "Hodnota",
        "unit": "Jednotka",
        "total": "Celkem",
        "n_bez_stavu": "Bez hodnocení",
        "old_file": "Nahrazený soubor",
        "row_key": "Řádek (identifikátor / číslo)",
        "old_value": "Původní hodnota",
        "new_value": "Nová hodnota",
    }
)


# --- added by completeness per service (xlkpss.merge.expected) ---------------------------
COLUMN_LABELS.update(
    {
        "timeliness": "Dodržení termínu",
        "finding": "Zjištění",
        "reg_druh": "Druh v registru",
        "reg_forma": "Forma v registru",
        "reg_kapacita": "Kapacita v registru",
        "reg_typ_kapacity": "Typ kapacity v registru",
        "expected_from": "Očekáváno podle",
        "expected_submitter": "Očekávaný předkladatel",
        "reported_submitter": "Hlásí",
        "n_expected": "Očekávaných služeb",
        "n_reported": "Hlášených služeb",
        "n_missing": "Nehlášených služeb",
        "n_new": "Nových služeb",
        "unchanged": "Vráceno beze změny",
        "missing_services": "Nehlášené služby",
        "problem": "Co chybí nebo je špatně",
        "contact": "Kontaktní osoba",
        "contact_email": "E-mail",
        "contact_phone": "Telefon",
    }
)


# --- added by the queries against peers (xlkpss.merge.peers) -----------------------------
COLUMN_LABELS.update(
    {
        "ratio_name": "Poměr",
        "ratio_value": "Hodnota poměru",
        "peer_median": "Medián srovnatelných služeb",
        "ratio_to_median": "Hodnota ÷ medián",
        "peers": "Počet srovnatelných služeb",
        "peer_mad": "MAD (medián odchylek)",
        "z_score": "Modifikované z-skóre",
        "explained": "Vysvětleno",
    }
)
# --- added by the regional network (xlkpss.merge.network) --------------------------------
COLUMN_LABELS.update(_network.LABELS)


def _derived_labels() -> None:
    """Labels of computed columns named after spec fields and code lists (never retyped)."""
    from xlkpss.spec import load_spec

    spec = load_spec()
    sluzby = spec.template("sluzby").sheet("sluzby")
    ident = spec.template("sluzby").sheet("identifikace")
    COLUMN_LABELS["kod_obce"] = ident.field("kod_obce").label
    COLUMN_LABELS["date_filled"] = ident.field("datum_vyplneni").label
    COLUMN_LABELS["carried_from"] = spec.label("plan", "prevzato_z_roku")
    COLUMN_LABELS["identifikator"] = sluzby.field("identifikator").label
    # "Cílová skupina {n}" without its number
    COLUMN_LABELS["target_group"] = sluzby.group("cilova_skupina")[0].label.rsplit(" ", 1)[0]
    for f in sluzby.fields:
        if f.funding:
            bare = f.label.replace(" (Kč)", "")
            COLUMN_LABELS.setdefault(f"share_{f.key}", f"Podíl – {bare} (%)")
    for code, label in spec.codelists["stavy_planu"]["items"]:
        COLUMN_LABELS.setdefault(f"n_{code}", label[:1].upper() + label[1:])


_derived_labels()

#: file kind -> Czech word (Odevzdání, column ``kind``); a consolidated workbook is
#: ``souhrn`` (ORP), ``souhrn_kraje`` or ``souhrn_statu`` by its level
KIND_LABELS: dict[str, str] = {
    "sluzby": "služby",
    "plan": "plán",
    _network.KIND: "krajská síť",
    "souhrn": "souhrn ORP",
    "souhrn_kraje": "souhrn kraje",
    "souhrn_statu": "souhrn za Českou republiku",
    "": "neznámý",
}

#: submitter type -> Czech word (column ``submitter_type``); codes of the spec list
#: ``typ_predkladatele`` plus ``souhrn`` for a consolidated ORP workbook in a regional
#: merge and ``souhrn_kraje`` for a regional workbook in a national merge
#: a territorial level in words (sheet columns, messages)
LEVEL_WORDS: dict[str, str] = {"obec": "obec", "orp": "ORP", "kraj": "kraj", "stat": "stát"}

SUBMITTER_TYPE_LABELS: dict[str, str] = {
    "obec": "obec",
    "orp": "ORP",
    "poskytovatel": "poskytovatel",
    "souhrn": "ORP (souhrn)",
    "souhrn_kraje": "kraj (souhrn)",
    "souhrn_statu": "stát (souhrn)",
}

#: which spec sheets name the field columns of a consolidated sheet (label lookup order)
SPEC_SHEETS: dict[str, tuple[str, ...]] = {
    "services": ("sluzby",),
    "capacities": ("sluzby",),
    "gaps": ("sluzby",),
    "funding": ("sluzby",),
    "conflicts": ("sluzby",),
    "changes": ("sluzby",),
    "service_comparison": ("sluzby",),
    "queries": ("sluzby",),
    _network.SHEET_KEY: ("sit", "sluzby"),
    "activities": ("plan", "identifikace"),
    "carryover": ("plan", "identifikace"),
    "plan_summary": ("plan", "identifikace"),
    "projects": ("projekty", "identifikace"),
}

_ALWAYS_COMPUTED = frozenset(PROVENANCE_COLUMNS) | frozenset(TERRITORY_COLUMNS)


def _spec_columns(sheet: str) -> list[str]:
    from xlkpss.spec import load_spec

    # a sheet of several templates (Identifikace) has template-only fields (Název plánu):
    # the union over the templates, in the order of their first appearance
    out: list[str] = []
    for t in load_spec().templates.values():
        for s in t.sheets:
            if s.key == sheet:
                out.extend(f.key for f in s.fields if f.key not in out)
    return out


@functools.lru_cache(maxsize=4096)
def column_label(sheet_key: str, column: str) -> str:
    """The Czech heading of ``column`` on consolidated sheet ``sheet_key``.

    Territory and provenance columns, then spec fields of the sheet's spec sheets
    (``SPEC_SHEETS``), then ``COLUMN_LABELS``; a column the model does not know (a
    territory name in the coverage matrix) is its own label.
    """
    from xlkpss.spec import load_spec

    if column in _ALWAYS_COMPUTED:
        return COLUMN_LABELS[column]
    spec = load_spec()
    for sheet in SPEC_SHEETS.get(sheet_key, ()):
        if column in _spec_columns(sheet):
            return spec.label(sheet, column)
    return COLUMN_LABELS.get(column, column)


def _sheet_columns() -> dict[str, tuple[str, ...]]:
    funding = [k for k in _spec_columns("sluzby") if k.startswith("zdroj_")]
    plan = _spec_columns("plan")
    # fmt: off
    return {
        "overview": ("label", "value", "unit", "note", "metric"),
        "submissions": (
            "territory_code", "territory_name", "submitter_type", "submitter_code", "submitter_name", "kind",
            "expected", "status", "file", "date_filled", "rows_read", "rows_merged", "rows_excluded",
            "errors", "warnings", "completeness", "note", "sha256",
        ),
        "services": (
            *TERRITORY_COLUMNS, *(k for k in _spec_columns("sluzby") if k != "obec"), "reported_by",
            "submitter_type", "submitter_code", "date_filled", *PROVENANCE_COLUMNS, "via",
        ),
        "capacities": (
            "territory_level", "territory_code", "territory_name", "druh", "forma", "typ_kapacity",
            "services", "capacity", "population", "per_1000",
        ),
        # coverage: "target_group", one column per territory (named by the territory), "total"
        "coverage": ("target_group", "total"),
        "gaps": ("territory_level", "territory_code", "territory_name", "druh", "kategorie", "core", "population", "note"),
        "funding": (
            "territory_level", "territory_code", "territory_name", "druh", "services", "naklady", *funding,
            "funding_total", "share", *(f"share_{k}" for k in funding),
        ),
        "plan_summary": (
            "territory_code", "territory_name", "submitter", "nazev_planu", "priority", "priority_name", "items",
            "n_splneno", "n_castecne", "n_nesplneno", "n_zruseno", "n_bez_stavu", "pct_done",
            "rozpocet", "cerpano", "pct_spent", "src_file", "src_sha256",
        ),
        "activities": (
            *TERRITORY_COLUMNS, "submitter_type", "submitter_code", "nazev_planu", "obdobi", "priority", "evaluated",
            *plan, "date_filled", *PROVENANCE_COLUMNS, "via",
        ),
        "carryover": (
            "reason", *TERRITORY_COLUMNS, "nazev_planu", "priority", *plan, *PROVENANCE_COLUMNS, "via",
        ),
        "projects": (
            *TERRITORY_COLUMNS, "submitter_type", "submitter_code", *_spec_columns("projekty"),
            *PROVENANCE_COLUMNS, "via",
        ),
        "conflicts": (
            "identifikator", "nazev_sluzby", "kod_orp", "nazev_orp", "field", "kept_submitter", "kept_value",
            "other_submitter", "other_value", "values", "kept_src", "other_src",
        ),
        "corrections": (
            "submitter", "src_file", "old_file", "src_sheet", "src_row", "row_key", "field", "old_value",
            "new_value",
        ),
        "changes": (
            "row_kind", "territory_code", "territory_name", "identifikator", "nazev_sluzby", "druh", "forma",
            "typ_kapacity", "prev_capacity", "curr_capacity", "capacity_change_pct", "prev_costs", "curr_costs",
            "costs_change_pct", "flag", "note",
        ),
        "submitter_completeness": (
            "kod_orp", "nazev_orp", "submitter_type", "submitter_code", "submitter_name", "status", "timeliness",
            "n_expected", "n_reported", "n_missing", "n_new", "completeness", "unchanged", "missing_services",
            "problem", "contact", "contact_email", "contact_phone", "file",
        ),
        "service_comparison": (
            "finding", "kod_orp", "nazev_orp", "kod_obce", "nazev_obce", "identifikator", "nazev_sluzby",
            "poskytovatel", "ico_poskytovatele", "druh", "forma", "kapacita", "typ_kapacity", "reg_druh",
            "reg_forma", "reg_kapacita", "reg_typ_kapacity", "expected_from", "expected_submitter",
            "reported_submitter", "note", "src_file",
        ),
        "queries": (
            "nazev_orp", "nazev_obce", "identifikator", "nazev_sluzby", "poskytovatel", "ico_poskytovatele", "druh",
            "forma", "typ_kapacity", "ratio_name", "ratio_value", "peer_median", "ratio_to_median", "peers", "peer_mad",
            "z_score", "explained", "poznamka", "message", "code", "submitter", "src_file", "src_row", "src_cell", "via",
        ),
        _network.SHEET_KEY: _network.COLUMNS,
        "errors": (
            "src_file", "src_sheet", "src_row", "src_cell", "submitter", "reason", "code", "field", "value",
            "message", "src_sha256", "via",
        ),
    }
    # fmt: on


#: sheet key -> its columns, in workbook order.  Values are what the workbook shows:
#: code-list fields hold the Czech dropdown text (``§49 Domovy pro seniory``,
#: ``pobytová``), yes/no columns ``ano``/``ne``; only ``status`` holds a key of
#: ``STATUS_LABELS`` (the workbook shows the Czech word).  Numbers are Python
#: int/float, dates ``datetime.date``, blanks None; frames have dtype object.
SHEET_COLUMNS: dict[str, tuple[str, ...]] = _sheet_columns()


@dataclass
class Consolidated:
    """One consolidated data set (an ORP, a kraj or the whole country, one year)."""

    #: level ("orp" | "kraj" | "stat"), territory_code, territory_name, year,
    #: generated (ISO date string, passed in for deterministic output), xlkpss version,
    #: completeness (0–100), headline figures …  A merge also sets: kind ("souhrn"),
    #: expected / delivered (expected submitters and those with an accepted file),
    #: completeness_obce + expected_obce / delivered_obce (kraj and stat; stat: None
    #: when a regional workbook does not say), completeness_orp + expected_orp /
    #: delivered_orp / delivered_orp_codes (stat only: ORP with an accepted file in a
    #: merged regional workbook), population (+ population_note: 2019, unofficial),
    #: core_services (MPSV codes), core_missing, threshold, inputs, rows_read /
    #: rows_merged / rows_excluded, previous_year / previous_file (with --previous).
    #: ``read_consolidated`` adds file, source_path, sha256, mtime of the file read.
    meta: dict[str, Any] = field(default_factory=dict)
    #: sheet key (see SHEETS) -> DataFrame
    tables: dict[str, Any] = field(default_factory=dict)

    def table(self, key: str):
        found = self.tables.get(key)
        if found is not None:
            return found
        import pandas as pd

        return pd.DataFrame()
