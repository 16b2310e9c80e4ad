"""The HTML summary of a consolidated data set: one self-contained page a council can read.

``render_summary(c, path)`` writes one HTML file (inline CSS, inline SVG charts, no
script, no external request) from a :class:`~xlkpss.merge.model.Consolidated`, i.e.
from a fresh merge or from a consolidated workbook read back with
``read_consolidated``.  The output depends only on ``c`` (the date shown is
``c.meta["generated"]``), so the same workbook always gives a byte-identical page.

``build_summary(c)`` returns the page's content as plain data (figures, charts,
tables), which the tests compare with the workbook.

Column headings come from the field spec (``load_spec().label``) or, for computed
columns, from ``model.COLUMN_LABELS``; code values are shown through their code lists.
"""

from __future__ import annotations

import os
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from xlkpss.codelists import codelist, normalize_key, orps, regions, territory
from xlkpss.fsutil import atomic_path
from xlkpss.i18n import ISSUES
from xlkpss.merge.model import COLUMN_LABELS, SHEETS, STATUS_LABELS, Consolidated
from xlkpss.render.charts import PALETTE, Chart, Series, bar_chart, heat_colour, stacked_bar_chart, text_colour
from xlkpss.render.html import DASH, fmt_date, fmt_money, fmt_number, fmt_pct, fmt_text, is_blank, render_template
from xlkpss.spec import load_spec

__all__ = ["build_summary", "render_summary", "summary_html", "Figure", "Table"]

#: statuses of a submission that count as delivered (a rejected file is delivered but unusable)
_ACCEPTED = ("valid", "warnings")
#: colour per submission status
_STATUS_COLOURS = {
    "valid": PALETTE[2],
    "warnings": PALETTE[1],
    "rejected": PALETTE[5],
    "missing": "#CCCCCC",
}
#: colour per plan status code (codes from the spec's ``stavy_planu``); no status → light grey
_PLAN_COLOURS = {"splneno": PALETTE[2], "castecne": PALETTE[6], "nesplneno": PALETTE[5], "zruseno": PALETTE[7]}
_NO_STATUS = "bez hodnocení"
_FORM_COLOURS = (PALETTE[0], PALETTE[1], PALETTE[2])
_FUNDING_COLOURS = (PALETTE[0], PALETTE[4], PALETTE[1], PALETTE[3], PALETTE[2], PALETTE[7])
#: at most this many rows of a problem list on the page (the workbook has them all)
_SHORT_LIST = 15


# ---------------------------------------------------------------------------
# Plain data the template renders
# ---------------------------------------------------------------------------


@dataclass
class Figure:
    """One headline figure card."""

    key: str
    label: str
    value: str
    note: str = ""
    raw: float | None = None


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]
    #: per column: True = number (right-aligned)
    numeric: list[bool] = field(default_factory=list)
    #: per row: extra CSS class ("flag", "missing" …)
    row_classes: list[str] = field(default_factory=list)
    caption: str = ""
    total: int | None = None  # rows in the workbook when the table is shortened

    def __post_init__(self):
        if not self.numeric:
            self.numeric = [False] * len(self.headers)
        if not self.row_classes:
            self.row_classes = [""] * len(self.rows)

    @property
    def shortened(self) -> bool:
        return self.total is not None and self.total > len(self.rows)


@dataclass
class HeatTable:
    corner: str
    columns: list[str]
    rows: list[tuple[str, list[tuple[str, str, str, str]], str]]  # label, cells (text, bg, fg, title), total
    totals: list[str]
    total_label: str
    caption: str


# ---------------------------------------------------------------------------
# Labels: only from the spec, the model's COLUMN_LABELS and the code lists
# ---------------------------------------------------------------------------


def _spec_label(sheet: str, key: str) -> str:
    return load_spec().label(sheet, key)


def _short(label: str) -> str:
    """``Náklady celkem (Kč)`` → ``Náklady celkem`` where the value already says Kč."""
    return re.sub(r"\s*\((Kč|%)\)$", "", label)


def _field(sheet: str, key: str):
    for f in load_spec().all_fields():
        if f.sheet == sheet and f.key == key:
            return f
    return None


def column_label(key: str, sheets: Sequence[str] = ("sluzby", "plan", "identifikace")) -> str:
    """The heading of a consolidated column: spec label for fields, COLUMN_LABELS otherwise."""
    for sheet in sheets:
        f = _field(sheet, key)
        if f is not None:
            return f.label
    return COLUMN_LABELS.get(key, key)


def _code_label(listname: str, value: Any, display: bool = False) -> str:
    """What a code (or a typed label) means, for people: ``pob`` → ``pobytová``."""
    if is_blank(value):
        return DASH
    item = codelist(listname).resolve(value)
    if item is None:
        return fmt_text(value)
    return item.display if display else item.label


def _code(listname: str, value: Any) -> str | None:
    if is_blank(value):
        return None
    item = codelist(listname).resolve(value)
    return item.code if item is not None else str(value)


# ---------------------------------------------------------------------------
# Small frame helpers (tables may lack columns: an old workbook, an empty merge)
# ---------------------------------------------------------------------------


def _num(value: Any) -> float | None:
    if is_blank(value) or isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.replace("\u00a0", "").replace(" ", "").replace(",", ".")
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _records(df) -> list[dict[str, Any]]:
    if df is None or len(df) == 0:
        return []
    return [{k: (None if is_blank(v) else v) for k, v in row.items()} for row in df.to_dict("records")]


def _sum(records: Iterable[dict], key: str) -> float:
    return float(sum(v for v in (_num(r.get(key)) for r in records) if v is not None))


def _formatter(key: str, sheets: Sequence[str]) -> tuple[Callable[[Any], str], bool]:
    """How a column's values are shown, and whether it is numeric."""
    for sheet in sheets:
        f = _field(sheet, key)
        if f is None:
            continue
        if f.type == "money":
            return fmt_money, True
        if f.type == "integer":
            return (lambda v: fmt_text(v) if _num(v) is None else fmt_number(v)), True
        if f.type == "decimal":
            return (lambda v: fmt_text(v) if _num(v) is None else fmt_number(v, 0 if float(_num(v)).is_integer() else 1)), True
        if f.type == "date":
            return fmt_date, False
        if f.type == "code" and f.codelist and f.codelist != "obce":
            cl = f.codelist
            return (lambda v, cl=cl: _code_label(cl, v, display=cl == "druhy_sluzeb")), False
        return fmt_text, False
    if key in ("share", "pct_done", "change_pct"):
        return (lambda v: fmt_pct(v, 1) if _num(v) is not None and not float(_num(v)).is_integer() else fmt_pct(v)), True
    if key == "per_1000":
        return (lambda v: fmt_number(v, 2)), True
    if key in ("date_filled",):
        return fmt_date, False
    if key == "status":
        return (lambda v: STATUS_LABELS.get(str(v), fmt_text(v))), False
    if key == "submitter_type":
        return (lambda v: _code_label("typ_predkladatele", v)), False
    if key == "kind":
        return _kind_title, False
    if key in ("services", "capacity", "population", "items", "errors", "warnings", "rows_read",
               "rows_merged", "rows_excluded", "src_row", "prev", "curr", "carried_from"):
        return (lambda v: fmt_text(v) if _num(v) is None else fmt_number(v, 0 if float(_num(v)).is_integer() else 1)), key not in ("carried_from", "src_row")
    if key == "flag":
        return (lambda v: "ano" if v in (True, 1, "1", "ano", "True", "true") else ""), False
    return fmt_text, False


def _kind_title(value: Any) -> str:
    """``sluzby`` → the template's title from the spec."""
    try:
        return load_spec().template(str(value)).title
    except Exception:  # noqa: BLE001 - an unknown kind shows as it is
        return fmt_text(value)


def _generic_table(df, columns: Sequence[str] | None = None, *, sheets: Sequence[str] = ("sluzby", "plan", "identifikace"),
                   limit: int | None = None, caption: str = "", drop_empty: bool = True) -> Table:
    """Any consolidated sheet as a display table, labels from the spec / COLUMN_LABELS."""
    records = _records(df)
    if columns is None:
        columns = [c for c in (list(df.columns) if df is not None else []) if not str(c).startswith("src_")]
    else:
        columns = [c for c in columns if df is not None and c in df.columns]
    if drop_empty:
        columns = [c for c in columns if any(r.get(c) is not None for r in records)]
    fmts = [_formatter(c, sheets) for c in columns]
    shown = records if limit is None else records[:limit]
    rows = [[fmt(r.get(c)) for c, (fmt, _) in zip(columns, fmts)] for r in shown]
    return Table(
        headers=[column_label(c, sheets) for c in columns],
        rows=rows,
        numeric=[n for _, n in fmts],
        caption=caption,
        total=len(records),
    )


# ---------------------------------------------------------------------------
# Sections
# ---------------------------------------------------------------------------


def _territory_title(meta: dict) -> str:
    name = str(meta.get("territory_name") or "")
    level = str(meta.get("level") or "")
    code = str(meta.get("territory_code") or "")
    if not name and code:
        try:
            t = territory(**{level if level in ("orp", "kraj", "obec") else "orp": code})
            name = t.name
        except Exception:  # noqa: BLE001 - an unknown code simply shows as the code
            name = code
    prefix = {"orp": "ORP ", "obec": "obec "}.get(level, "")
    return f"{prefix}{name}".strip() or DASH


def _completeness(c: Consolidated) -> dict[str, Any]:
    subs = _records(c.table("submissions"))
    counts = Counter(str(r.get("status") or "") for r in subs)
    order = [s for s in ("valid", "warnings", "rejected", "missing") if s in STATUS_LABELS]
    series = [Series(STATUS_LABELS[s], _STATUS_COLOURS[s]) for s in order]
    expected = sum(counts[s] for s in order)
    pct = c.meta.get("completeness")
    if _num(pct) is None:
        pct = 100 * sum(counts[s] for s in _ACCEPTED) / expected if expected else None
    chart = stacked_bar_chart(
        "graf-odevzdani",
        "Odevzdání podkladů podle stavu",
        [("Předkladatelé", [counts[s] for s in order])],
        series,
        label_header=COLUMN_LABELS["status"],
        total_header="Celkem",
    )
    delivered = [r for r in subs if r.get("status") not in ("missing", "superseded")]
    missing = [r for r in subs if r.get("status") == "missing"]
    cols = ["submitter_name", "submitter_type", "territory_name", "kind", "status", "date_filled", "errors", "warnings"]
    table = _generic_table(_frame(delivered), cols)
    table.row_classes = ["status-" + str(r.get("status") or "") for r in delivered]
    missing_names = [
        " – ".join(x for x in (fmt_text(r.get("submitter_name")) if r.get("submitter_name") else None,
                                fmt_text(r.get("territory_name")) if r.get("territory_name") and r.get("territory_name") != r.get("submitter_name") else None) if x)
        or fmt_text(r.get("territory_code") or r.get("submitter_code"))
        for r in missing
    ]
    return {
        "pct": _num(pct),
        "pct_text": fmt_pct(_num(pct)) if _num(pct) is not None else DASH,
        "counts": [(STATUS_LABELS[s], counts[s], "status-" + s) for s in order],
        "expected": expected,
        "delivered": len(delivered),
        "accepted": sum(counts[s] for s in _ACCEPTED),
        "chart": chart,
        "table": table,
        "missing": missing_names,
        "superseded": counts["superseded"],
    }


def _frame(records: list[dict]):
    import pandas as pd

    return pd.DataFrame(records)


def _services(c: Consolidated) -> list[dict[str, Any]]:
    return _records(c.table("services"))


def _headline(c: Consolidated, services: list[dict], plan: dict) -> list[Figure]:
    figs: list[Figure] = []
    n = len(services)
    registered = sum(1 for s in services if _code("ano_ne", s.get("registrovana")) == "ano")
    figs.append(Figure("services", COLUMN_LABELS["services"], fmt_number(n), f"z toho registrovaných {fmt_number(registered)}", n))
    providers = {str(s.get("ico_poskytovatele") or s.get("poskytovatel")) for s in services if s.get("ico_poskytovatele") or s.get("poskytovatel")}
    figs.append(Figure("providers", "Poskytovatelé", fmt_number(len(providers)), f"podle pole {_spec_label('sluzby', 'ico_poskytovatele')}", len(providers)))
    by_type: dict[str, float] = defaultdict(float)
    for s in services:
        t = _code("typy_kapacity", s.get("typ_kapacity"))
        v = _num(s.get("kapacita"))
        if t and v is not None:
            by_type[t] += v
    for item in codelist("typy_kapacity"):
        if item.code in by_type:
            figs.append(Figure(f"capacity_{item.code}", f"{_spec_label('sluzby', 'kapacita')} – {item.label}",
                               fmt_number(by_type[item.code]), "", by_type[item.code]))
    users = _sum(services, "pocet_uzivatelu")
    figs.append(Figure("users", _spec_label("sluzby", "pocet_uzivatelu"), fmt_number(users), "", users))
    fte = _sum(services, "uvazky")
    figs.append(Figure("fte", _spec_label("sluzby", "uvazky"), fmt_number(fte, 0 if fte.is_integer() else 1), "", fte))
    costs = _sum(services, "naklady")
    figs.append(Figure("costs", _short(_spec_label("sluzby", "naklady")), fmt_money(costs), "", costs))
    if plan["leaves"]:
        figs.append(Figure("plan_done", "Splněné aktivity plánu", fmt_pct(plan["pct_done"]),
                           f"{fmt_number(plan['done'])} z {fmt_number(plan['leaves'])}", plan["pct_done"]))
    return figs


def _capacity(services: list[dict]) -> list[Chart]:
    forms = list(codelist("formy"))
    series = [Series(f.label, _FORM_COLOURS[i % len(_FORM_COLOURS)]) for i, f in enumerate(forms)]
    druhy = codelist("druhy_sluzeb")
    cube: dict[str, dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(float)))
    for s in services:
        t, d, f = _code("typy_kapacity", s.get("typ_kapacity")), _code("druhy_sluzeb", s.get("druh")), _code("formy", s.get("forma"))
        v = _num(s.get("kapacita"))
        if t and d and f and v is not None:
            cube[t][d][f] += v
    charts = []
    order = {i.code: n for n, i in enumerate(druhy)}
    for item in codelist("typy_kapacity"):
        if item.code not in cube:
            continue
        rows = [
            (_code_label("druhy_sluzeb", d, display=True), [cube[item.code][d].get(f.code, 0) for f in forms])
            for d in sorted(cube[item.code], key=lambda d: order.get(d, 999))
        ]
        charts.append(
            stacked_bar_chart(
                f"graf-kapacita-{item.code}",
                f"{_spec_label('sluzby', 'kapacita')} ({item.label}) podle druhu a formy",
                rows,
                series,
                label_header=_spec_label("sluzby", "druh"),
                total_header=_spec_label("sluzby", "kapacita"),
            )
        )
    return charts


def _territory_key(level: str) -> tuple[str, str, str]:
    """Which territory columns split a heat table: an ORP by obce, a kraj by ORP, the state by kraje."""
    if level == "kraj":
        return "kod_orp", "nazev_orp", "nazev_orp"
    if level == "stat":
        return "kod_kraje", "nazev_kraje", "nazev_kraje"
    return "kod_obce", "nazev_obce", "nazev_obce"


def _coverage(c: Consolidated, services: list[dict]) -> dict[str, Any]:
    level = str(c.meta.get("level") or "orp")
    code_key, name_key, label_key = _territory_key(level)
    names: dict[str, str] = {}
    counts: dict[str, Counter] = defaultdict(Counter)
    capacity: dict[tuple[str, str], list[str]] = defaultdict(list)
    for s in services:
        code = s.get(code_key)
        name = s.get(name_key)
        if code is None and level == "orp" and s.get("obec") is not None:
            item = codelist("obce").resolve(s.get("obec"))
            code, name = (item.code, item.label) if item else (s.get("obec"), s.get("obec"))
        if code is None:
            continue
        code = str(code)
        names[code] = str(name or code)
        d = _code("druhy_sluzeb", s.get("druh"))
        if d is None:
            continue
        counts[d][code] += 1
        if _num(s.get("kapacita")) is not None:
            capacity[(d, code)].append(f"{fmt_number(_num(s.get('kapacita')))} {_code_label('typy_kapacity', s.get('typ_kapacity'))}")
    cols = sorted(names, key=lambda k: (normalize_key(names[k]), k))
    order = {i.code: n for n, i in enumerate(codelist("druhy_sluzeb"))}
    top = max((n for cnt in counts.values() for n in cnt.values()), default=0)
    rows = []
    for d in sorted(counts, key=lambda d: order.get(d, 999)):
        label = _code_label("druhy_sluzeb", d, display=True)
        cells = []
        for code in cols:
            n = counts[d].get(code, 0)
            bg = heat_colour(n, top)
            title = f"{label} – {names[code]}: {n}" + (f" ({', '.join(capacity[(d, code)])})" if capacity[(d, code)] else "")
            cells.append((fmt_number(n) if n else "", bg, text_colour(bg) if bg else "", title))
        rows.append((label, cells, fmt_number(sum(counts[d].values()))))
    totals = [fmt_number(sum(counts[d].get(code, 0) for d in counts)) for code in cols]
    heat = HeatTable(
        corner=_spec_label("sluzby", "druh"),
        columns=[names[k] for k in cols],
        rows=rows,
        totals=totals,
        total_label="Celkem",
        caption=f"{COLUMN_LABELS['services']} podle druhu a území ({COLUMN_LABELS[label_key]})",
    )
    without: list[str] = []
    code = str(c.meta.get("territory_code") or "")
    if level in ("orp", "kraj") and code:
        try:
            t = territory(**{level: code})
            if level == "orp":
                without = sorted((m.name for m in t.municipalities if m.code not in names), key=normalize_key)
            else:
                without = sorted((o["nazev_orp"] for o in orps().values() if o["kod_kraje"] == code and o["kod_orp"] not in names), key=normalize_key)
        except Exception:  # noqa: BLE001 - unknown territory: no list
            without = []
    return {"heat": heat if rows else None, "without": without, "unit": COLUMN_LABELS[label_key]}


def _gaps(c: Consolidated) -> Table:
    df = c.table("gaps")
    return _generic_table(df, sheets=("sluzby",))


def _target_groups(services: list[dict]) -> dict[str, Any]:
    groups = load_spec().template("sluzby").sheet("sluzby").group("cilova_skupina")
    keys = [f.key for f in groups]
    cl = codelist("cilove_skupiny")
    counts: Counter = Counter()
    capacity: Counter = Counter()
    for s in services:
        seen = {_code("cilove_skupiny", s.get(k)) for k in keys} - {None}
        for g in seen:
            counts[g] += 1
    order = {i.code: n for n, i in enumerate(cl)}
    items = sorted(counts.items(), key=lambda kv: (-kv[1], order.get(kv[0], 999)))
    label = re.sub(r"\s*\d+$", "", groups[0].label) if groups else "Cílová skupina"
    chart = bar_chart(
        "graf-cilove-skupiny",
        f"{COLUMN_LABELS['services']} podle cílových skupin",
        [(_code_label("cilove_skupiny", g), n) for g, n in items],
        label_header=label,
        value_header=COLUMN_LABELS["services"],
        colour=PALETTE[0],
    )
    uncovered = [i.label for i in cl if i.code not in counts]
    del capacity
    return {"chart": chart, "uncovered": uncovered, "group_label": label}


def _funding(services: list[dict]) -> dict[str, Any]:
    sheet = load_spec().template("sluzby").sheet("sluzby")
    sources = [f for f in sheet.fields if f.funding]
    series = [Series(_short(f.label), _FUNDING_COLOURS[i % len(_FUNDING_COLOURS)]) for i, f in enumerate(sources)]
    druhy = codelist("druhy_sluzeb")
    by_cat: dict[str, list[float]] = {}
    cats: list[str] = []
    for item in druhy:
        cat = item.extra.get("kategorie") or ""
        if cat not in cats:
            cats.append(cat)
    for s in services:
        d = druhy.resolve(s.get("druh")) if s.get("druh") is not None else None
        cat = (d.extra.get("kategorie") if d else None) or "ostatní"
        row = by_cat.setdefault(cat, [0.0] * len(sources))
        for i, f in enumerate(sources):
            row[i] += _num(s.get(f.key)) or 0.0
    total = [sum(by_cat[c][i] for c in by_cat) for i in range(len(sources))]
    rows = [("Všechny služby", total)] + [(cat[:1].upper() + cat[1:], by_cat[cat]) for cat in cats + ["ostatní"] if cat in by_cat]
    chart = stacked_bar_chart(
        "graf-financovani",
        "Struktura zdrojů financování",
        rows,
        series,
        label_header=_spec_label("sluzby", "druh"),
        total_header="Celkem",
        percent=True,
        fmt=fmt_money,
    )
    costs = _sum(services, "naklady")
    funded = sum(total)
    return {
        "chart": chart,
        "costs": fmt_money(costs),
        "funded": fmt_money(funded),
        "costs_label": _short(_spec_label("sluzby", "naklady")),
        "ratio": fmt_pct(100 * funded / costs) if costs else DASH,
    }


def _plan(c: Consolidated) -> dict[str, Any]:
    acts = _records(c.table("activities"))
    statuses = list(codelist("stavy_planu"))
    series = [Series(i.label, _PLAN_COLOURS.get(i.code, PALETTE[7])) for i in statuses] + [Series(_NO_STATUS, "#DDDDDD")]
    by_owner: dict[str, list[dict]] = defaultdict(list)
    for a in acts:
        by_owner[str(a.get("submitter") or a.get("territory_name") or a.get("nazev_obce") or "")].append(a)
    rows = []
    leaves_total = done_total = 0
    evaluated_total = 0
    for owner in sorted(by_owner, key=normalize_key):
        items = by_owner[owner]
        numbers = {str(a.get("cislo")) for a in items if a.get("cislo") is not None}
        names = {str(a.get("cislo")): str(a.get("nazev") or "") for a in items}
        per_priority: dict[str, Counter] = defaultdict(Counter)
        for a in items:
            num = str(a.get("cislo") or "")
            if not num or any(other.startswith(num + ".") for other in numbers):
                continue  # not a leaf: its children carry the status
            prio = num.split(".")[0]
            st = _code("stavy_planu", a.get("stav")) or _NO_STATUS
            per_priority[prio][st] += 1
        for prio in sorted(per_priority, key=lambda p: int(p) if p.isdigit() else 999):
            cnt = per_priority[prio]
            label = f"{prio} {names.get(prio, '')}".strip()
            if len(by_owner) > 1 and owner:
                label = f"{owner}: {label}"
            values = [cnt.get(i.code, 0) for i in statuses] + [cnt.get(_NO_STATUS, 0)]
            rows.append((label, values))
            leaves_total += sum(values)
            done_total += cnt.get("splneno", 0)
            evaluated_total += sum(values) - cnt.get(_NO_STATUS, 0)
    chart = stacked_bar_chart(
        "graf-plneni",
        "Plnění plánu podle priorit",
        rows,
        series,
        label_header=COLUMN_LABELS["priority"],
        total_header=COLUMN_LABELS["items"],
        percent=True,
        fmt=fmt_number,
    )
    carry = c.table("carryover")
    if carry is None or len(carry) == 0:
        carry = _frame([a for a in acts if _code("ano_ne", a.get("pokracuje")) == "ano"])
    cols = ["submitter", "cislo", "nazev", "realizator", "termin", "stav", "carried_from", "prevzato_z_roku", "pocet_prevzeti"]
    carry_table = _generic_table(carry, cols, sheets=("plan",))
    return {
        "chart": chart,
        "leaves": leaves_total,
        "done": done_total,
        "evaluated": evaluated_total,
        "pct_done": 100 * done_total / leaves_total if leaves_total else None,
        "carryover": carry_table,
        "has_plan": bool(acts),
    }


def _problems(c: Consolidated) -> dict[str, Any]:
    conflicts = c.table("conflicts")
    subs = _records(c.table("submissions"))
    rejected = [r for r in subs if r.get("status") == "rejected"]
    errors = _records(c.table("errors"))
    by_code = Counter(str(e.get("code") or "") for e in errors)
    error_rows = [
        [ISSUES[code].title_cs if code in ISSUES else (code or DASH), code, fmt_number(n)]
        for code, n in sorted(by_code.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    rej_table = _generic_table(_frame(rejected), ["submitter_name", "file", "errors", "warnings"])
    return {
        "conflicts": _generic_table(conflicts, limit=_SHORT_LIST),
        "n_conflicts": len(conflicts) if conflicts is not None else 0,
        "rejected": rej_table,
        "n_rejected": len(rejected),
        "errors": Table(["Problém", COLUMN_LABELS["code"], "Počet"], error_rows[:_SHORT_LIST], [False, False, True],
                        total=len(error_rows)),
        "n_errors": len(errors),
    }


def _changes(c: Consolidated) -> Table | None:
    df = c.table("changes")
    if df is None or len(df) == 0:
        return None
    t = _generic_table(df)
    if "flag" in df.columns:
        t.row_classes = ["flag" if v in (True, 1, "1", "ano", "True", "true") else "" for v in df["flag"].tolist()]
    return t


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


def build_summary(c: Consolidated) -> dict[str, Any]:
    """The page's content as plain data: figures, charts (with their tables) and tables."""
    meta = dict(c.meta)
    services = _services(c)
    plan = _plan(c)
    title_territory = _territory_title(meta)
    year = meta.get("year")
    return {
        "lang": "cs",
        "meta": meta,
        "territory": title_territory,
        "year": fmt_text(year) if year is not None else DASH,
        "generated": fmt_date(meta.get("generated")),
        "version": fmt_text(meta.get("version") or meta.get("xlkpss_version") or ""),
        "title": f"Souhrn komunitního plánování sociálních služeb – {title_territory}" + (f", {fmt_text(year)}" if year is not None else ""),
        "completeness": _completeness(c),
        "figures": _headline(c, services, plan),
        "capacity": _capacity(services),
        "coverage": _coverage(c, services),
        "gaps": _gaps(c),
        "target_groups": _target_groups(services),
        "funding": _funding(services),
        "plan": plan,
        "problems": _problems(c),
        "changes": _changes(c),
        "sheets": SHEETS,
        "n_services": len(services),
    }


def summary_html(c: Consolidated, *, lang: str = "cs") -> str:
    """The summary page as a string (Czech; ``lang`` is reserved for an English page)."""
    return render_template("summary.html.j2", **build_summary(c))


def render_summary(c: Consolidated, out_path: str | os.PathLike, *, lang: str = "cs") -> Path:
    """Write the summary page to ``out_path`` atomically and return the path."""
    html = summary_html(c, lang=lang)
    with atomic_path(out_path) as tmp:
        tmp.write_text(html, encoding="utf-8", newline="\n")
    return Path(out_path)
