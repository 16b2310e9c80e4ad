"""The consolidated data set: what a merge computes, what the consolidated workbook
stores, and what the HTML summary and the catalogue render.

``Consolidated`` is a bundle of pandas DataFrames, one per sheet of the consolidated
workbook.  Column keys are field keys from the spec where a column *is* a field
(labels then come from the spec) and the keys in ``COLUMN_LABELS`` otherwise.

Writing: ``xlkpss.merge.workbook.write_consolidated(c, path)``.
Reading back (for ``xlkpss report`` and for a regional merge of ORP workbooks):
``xlkpss.merge.workbook.read_consolidated(path) -> Consolidated``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Consolidated", "COLUMN_LABELS", "SHEETS", "STATUS_LABELS", "PROVENANCE_COLUMNS", "TERRITORY_COLUMNS"]

#: sheet key -> Czech sheet name, in workbook order
SHEETS: dict[str, str] = {
    "overview": "Přehled",
    "submissions": "Odevzdání",
    "services": "Služby",
    "capacities": "Kapacity",
    "coverage": "Cílové skupiny",
    "gaps": "Chybějící služby",
    "funding": "Financování",
    "plan_summary": "Plnění plánu",
    "activities": "Aktivity",
    "carryover": "Pokračuje",
    "conflicts": "Konflikty",
    "changes": "Meziroční změny",
    "errors": "Chyby",
}

#: submission status -> Czech word (Odevzdání)
STATUS_LABELS: dict[str, str] = {
    "valid": "v pořádku",
    "warnings": "přijato s upozorněním",
    "rejected": "odmítnuto",
    "missing": "chybí",
    "superseded": "nahrazeno novějším",
}

#: where every merged row came from; survives an ORP → kraj roll-up unchanged
PROVENANCE_COLUMNS = ("src_file", "src_sheet", "src_row", "src_cell", "src_sha256", "submitter")
#: territory of a service row (from Obec poskytování)
TERRITORY_COLUMNS = ("kod_obce", "nazev_obce", "kod_orp", "nazev_orp", "kod_kraje", "nazev_kraje")

#: labels of computed columns (columns that are spec fields take the spec label)
COLUMN_LABELS: dict[str, str] = {
    "src_file": "Zdrojový soubor",
    "src_sheet": "Zdrojový list",
    "src_row": "Zdrojový řádek",
    "src_cell": "Zdrojová buňka",
    "src_sha256": "SHA-256 souboru",
    "submitter": "Předkladatel",
    "kod_obce": "Kód obce",
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
    "date_filled": "Datum vyplnění",
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
    "carried_from": "Převzato z roku",
    "reason": "Důvod",
    "message": "Popis",
    "code": "Kód problému",
    "prev": "Minulý rok",
    "curr": "Tento rok",
    "change_pct": "Změna (%)",
    "flag": "Nad prahem",
    "identifikator": "Identifikátor služby",
    "field": "Údaj",
    "values": "Hodnoty podle předkladatelů",
}


@dataclass
class Consolidated:
    """One consolidated data set (an ORP, a kraj or the whole country, one year)."""

    #: level ("orp" | "kraj" | "stat"), territory_code, territory_name, year,
    #: generated (ISO date string, passed in for deterministic output), xlkpss version,
    #: completeness (0–100), headline figures …
    meta: dict[str, Any] = field(default_factory=dict)
    #: sheet key (see SHEETS) -> DataFrame
    tables: dict[str, Any] = field(default_factory=dict)

    def table(self, key: str):
        import pandas as pd

        return self.tables.get(key, pd.DataFrame())
