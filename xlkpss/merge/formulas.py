"""The live formulas of the computed sheets (Kapacity, Financování, Plnění plánu, Cílové
skupiny, Přehled) over Služby and Aktivity, with the values the merge computed as their
cached results."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from xlkpss.merge.bookformat import SheetLayout
from xlkpss.merge.clean import clean_value
from xlkpss.merge.model import Consolidated
from xlkpss.merge.tables import TOTAL_LABEL, criteria_column
from xlkpss.merge.xlsxrows import FormulaRow
from xlkpss.spec import load_spec

__all__ = ["Formulas", "formula_result"]


def _q(text: str) -> str:
    """A string literal inside a formula."""
    return '"' + str(text).replace('"', '""') + '"'


#: a row number no sheet has (Excel ends at 1,048,576): a template's formulas are made
#: for it, then each row's formulas are the template with this number replaced
_TEMPLATE_ROW = "9999999"


#: what the formulas of a row depend on besides its row number (the rows with the same
#: signature share one template): the fields each maker below reads, and the signature
#: made of their values, as the maker reads them
_SIGNATURES: dict[str, tuple[tuple[str, ...], Callable[..., tuple]]] = {
    "capacities": (
        ("territory_level", "druh", "forma", "typ_kapacity", "population"),
        lambda level, druh, forma, typ, population: (level, None in (druh, forma, typ), bool(population)),
    ),
    "funding": (("territory_level", "druh"), lambda level, druh: (level, druh is None, druh == TOTAL_LABEL)),
    "plan_summary": (("priority", "src_sha256"), lambda priority, sha: (priority is None, sha is None)),
    "coverage": ((), lambda: ()),
}


def formula_result(value: Any) -> Any:
    """The cached result of a formula: None (an IF that returns "") becomes ""."""
    value = clean_value(value)
    return "" if value is None else value


class Formulas:
    """Formulas of the computed sheets, with the Python values as cached results.

    Only SUM, SUMIFS, COUNTIFS, COUNTA and IF: functions every Excel and LibreOffice
    reads without an ``_xlfn.`` prefix (the cells are written as ``Formula(classic=True)``).
    """

    def __init__(self, c: Consolidated, layouts: dict[str, SheetLayout]):
        self.c = c
        self.L = layouts
        self.sources = [f.key for f in load_spec().template("sluzby").sheet("sluzby").fields if f.funding]
        self.statuses = [(code, label) for code, label in load_spec().codelists["stavy_planu"]["items"]]

    def for_sheet(self, key: str) -> Callable[[int, dict[str, Any]], dict[str, str]] | None:
        """``make(i, r)``: the formulas of data row ``i`` (0-based) with values ``r``, by column."""
        return {
            "capacities": self.capacities,
            "funding": self.funding,
            "plan_summary": self.plan_summary,
            "coverage": self.coverage,
            "overview": self.overview,
        }.get(key)

    def rows_of(self, key: str, cols: list[str]) -> Callable[[int, list[Any]], FormulaRow | None] | None:
        """``rows(i, values)``: the formulas of data row ``i`` as a ``FormulaRow``, what
        ``for_sheet`` makes.  Rows with the same signature get the same formulas but for
        their row number: one ``FormulaRow`` for all of them, with the row number left
        out (``_TEMPLATE_ROW``) for the writer to put in."""
        make = self.for_sheet(key)
        if make is None:
            return None
        index = {col: j for j, col in enumerate(cols)}
        first = self.L[key].first
        signature = _SIGNATURES.get(key)

        def made(i: int, vals: list[Any]) -> FormulaRow:
            formulas = {c: f for c, f in make(i, dict(zip(cols, vals))).items() if c in index}
            return FormulaRow(tuple(index[c] for c in formulas), tuple(formulas.values()), _TEMPLATE_ROW)

        if signature is None:  # a FormulaRow for each row, with its number in already
            return made
        fields, signature_of = signature
        template_i = int(_TEMPLATE_ROW) - first
        templates: dict[tuple, FormulaRow] = {}
        at = [index.get(f) for f in fields]  # None: a field the sheet has no column for

        def values_of(vals: list[Any]) -> tuple:
            return tuple(None if k is None else vals[k] for k in at)

        if len(at) > 1 and None not in at:
            values_of = operator.itemgetter(*at)  # the same tuple, without a Python loop

        def rows(i: int, vals: list[Any]) -> FormulaRow:
            values = values_of(vals)
            sig = signature_of(*values)
            template = templates.get(sig)
            if template is None:
                template = templates[sig] = made(template_i, vals)
            return template

        return rows

    def capacities(self, i: int, r: dict[str, Any]) -> dict[str, str]:
        S, me = self.L["services"], self.L["capacities"]
        if None in (r.get("territory_level"), r.get("druh"), r.get("forma"), r.get("typ_kapacity")):
            return {}
        crit = (
            f"{S.rng(criteria_column(r['territory_level']))},{me.cell('territory_code', i)},"
            f"{S.rng('druh')},{me.cell('druh', i)},{S.rng('forma')},{me.cell('forma', i)},"
            f"{S.rng('typ_kapacity')},{me.cell('typ_kapacity', i)}"
        )
        out = {"services": f"=COUNTIFS({crit})", "capacity": f"=SUMIFS({S.rng('kapacita')},{crit})"}
        if r.get("population"):
            cap, pop = me.cell("capacity", i), me.cell("population", i)
            out["per_1000"] = f'=IF({pop}>0,{cap}/{pop}*1000,"")'
        return out

    def funding(self, i: int, r: dict[str, Any]) -> dict[str, str]:
        S, me = self.L["services"], self.L["funding"]
        if r.get("territory_level") is None or r.get("druh") is None:
            return {}
        crit = f"{S.rng(criteria_column(r['territory_level']))},{me.cell('territory_code', i)}"
        scope = crit
        if r["druh"] != TOTAL_LABEL:
            crit += f",{S.rng('druh')},{me.cell('druh', i)}"
        out = {"services": f"=COUNTIFS({crit})"}
        for col in ("naklady", *self.sources):
            out[col] = f"=SUMIFS({S.rng(col)},{crit})"
        out["funding_total"] = f"=SUM({me.cell(self.sources[0], i)}:{me.cell(self.sources[-1], i)})"
        costs = me.cell("naklady", i)
        total = f"SUMIFS({S.rng('naklady')},{scope})"
        out["share"] = f'=IF({total}>0,{costs}/{total}*100,"")'
        for col in self.sources:
            out[f"share_{col}"] = f'=IF({costs}>0,{me.cell(col, i)}/{costs}*100,"")'
        return out

    def plan_summary(self, i: int, r: dict[str, Any]) -> dict[str, str]:
        A, me = self.L["activities"], self.L["plan_summary"]
        if r.get("priority") is None or r.get("src_sha256") is None:
            return {}
        crit = (
            f"{A.rng('src_sha256')},{me.cell('src_sha256', i)},{A.rng('priority')},{me.cell('priority', i)},"
            f"{A.rng('evaluated')},{_q('ano')}"
        )
        out = {"items": f"=COUNTIFS({crit})"}
        for code, label in self.statuses:
            out[f"n_{code}"] = f"=COUNTIFS({crit},{A.rng('stav')},{_q(label)})"
        first, last = f"n_{self.statuses[0][0]}", f"n_{self.statuses[-1][0]}"
        items = me.cell("items", i)
        out["n_bez_stavu"] = f"={items}-SUM({me.cell(first, i)}:{me.cell(last, i)})"
        rated = f"({items}-{me.cell('n_bez_stavu', i)})"
        out["pct_done"] = f'=IF({rated}>0,{me.cell("n_splneno", i)}/{rated}*100,"")'
        out["rozpocet"] = f"=SUMIFS({A.rng('rozpocet')},{crit})"
        out["cerpano"] = f"=SUMIFS({A.rng('cerpano')},{crit})"
        planned = me.cell("rozpocet", i)
        out["pct_spent"] = f'=IF({planned}>0,{me.cell("cerpano", i)}/{planned}*100,"")'
        return out

    def coverage(self, i: int, r: dict[str, Any]) -> dict[str, str]:
        me = self.L["coverage"]
        units = [c for c in me.columns if c not in ("target_group", "total")]
        if not units:
            return {}
        return {"total": f"=SUM({me.cell(units[0], i)}:{me.cell(units[-1], i)})"}

    def overview(self, i: int, r: dict[str, Any]) -> dict[str, str]:
        S, O = self.L["services"], self.L["submissions"]
        P, K = self.L["plan_summary"], self.L["carryover"]
        metric = str(r.get("metric") or "")
        if metric in ("rows_read", "rows_merged", "rows_excluded"):
            return {"value": f"=SUM({O.rng(metric)})"}
        if metric == "services":
            return {"value": f"=COUNTA({S.rng('nazev_sluzby')})"}
        if metric.startswith("capacity:"):
            label = next(i.display for i in _codelist("typy_kapacity") if i.code == metric.split(":", 1)[1])
            return {"value": f"=SUMIFS({S.rng('kapacita')},{S.rng('typ_kapacity')},{_q(label)})"}
        if metric == "costs":
            return {"value": f"=SUM({S.rng('naklady')})"}
        if metric == "funding":
            return {"value": f"=SUM({S.rng(self.sources[0], self.sources[-1])})"}
        if metric == "plan_items":
            return {"value": f"=SUM({P.rng('items')})"}
        if metric == "plan_done" and r.get("value") is not None:
            rated = f"(SUM({P.rng('items')})-SUM({P.rng('n_bez_stavu')}))"
            return {"value": f'=IF({rated}>0,SUM({P.rng("n_splneno")})/{rated}*100,"")'}
        if metric == "carryover":
            return {"value": f"=COUNTA({K.rng('reason')})"}
        return {}


def _codelist(name: str):
    from xlkpss.codelists import codelist

    return codelist(name)
