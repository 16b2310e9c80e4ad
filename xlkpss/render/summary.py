"""The HTML summary of a consolidated data set: one self-contained page a council can read.

``render_summary(c, path)`` writes one HTML file (inline CSS, inline SVG charts, no
script, no external request) from a :class:`~xlkpss.merge.model.Consolidated`, i.e.
from a fresh merge or from a consolidated workbook read back with
``read_consolidated``.  The output depends only on ``c`` (the date shown is
``c.meta["generated"]``), so the same workbook always gives a byte-identical page.

Every figure is taken from the consolidated sheets as the merge computed them
(Přehled, Odevzdání, Kapacity, Cílové skupiny, Chybějící služby, Financování, Plnění
plánu, Pokračuje, Konflikty, Meziroční změny, Chyby); the page only sums and arranges
them, so it never disagrees with the workbook.  ``build_summary(c)`` returns the
page's content as plain data (figures, charts with their tables, tables) for tests.

Column headings come from ``model.column_label`` (the field spec for field columns,
``COLUMN_LABELS`` for computed ones); code values are shown through their code lists.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xlkpss.codelists import STATE, codelist, normalize_key, orps, regions, territory
from xlkpss.collate import czech_key
from xlkpss.fsutil import atomic_path
from xlkpss.i18n import ISSUES
from xlkpss.merge import model, network
from xlkpss.merge.errorgroups import ERROR_GROUPS, error_group
from xlkpss.merge.model import COLUMN_LABELS, LEVEL_WORDS, SHEETS, STATUS_LABELS, Consolidated
from xlkpss.merge.status import ACCEPTED, NONE_DECLARED_NOTE, STATUS_ORDER, status_counts, status_totals
from xlkpss.perf import gc_paused
from xlkpss.render.charts import PALETTE, Chart, Series, bar_chart, heat_colour, stacked_bar_chart, text_colour
from xlkpss.render.html import DASH, fmt_date, fmt_money, fmt_number, fmt_pct, fmt_text, is_blank, render_template
from xlkpss.spec import load_spec

__all__ = ["Figure", "HeatTable", "Table", "build_summary", "render_summary", "summary_html"]

_STATUS_COLOURS = {
    "valid": PALETTE[2],
    "warnings": PALETTE[1],
    "errors": PALETTE[6],
    "rejected": PALETTE[5],
    "superseded": "#EDEDED",
    "missing": "#CCCCCC",
    "outside": PALETTE[7],
}
#: colour per plan status code (codes of the spec list ``stavy_planu``); no status: light grey
_PLAN_COLOURS = {"splneno": PALETTE[2], "castecne": PALETTE[6], "nesplneno": PALETTE[5], "zruseno": PALETTE[7]}
_FORM_COLOURS = (PALETTE[0], PALETTE[1], PALETTE[2])
_FUNDING_COLOURS = (PALETTE[0], PALETTE[4], PALETTE[1], PALETTE[3], PALETTE[2], PALETTE[7])
#: ``territory_level`` word of the whole territory and of its parts (an ORP is split into
#: obce, a kraj into ORP, the Czech Republic into kraje); the words are those of
#: ``xlkpss.merge.tables.LEVEL_WORDS``
_SUBLEVEL = {"stat": "kraj", "kraj": "orp", "orp": "obec"}
#: the druh cell of a total row on Financování (``xlkpss.merge.tables.TOTAL_LABEL``)
_TOTAL_ROW = "Celkem"
#: Přehled metrics shown as cards, in this order (``capacity:*`` = one card per capacity type)
_CARD_METRICS = ("services", "capacity:*", "costs", "funding", "completeness", "core_missing", "plan_done", "carryover")
#: at most this many rows of a problem list on the page (the workbook has them all)
SHORT_LIST = 15
_YES = (True, 1, "1", "ano", "Ano", "ANO", "True", "true", "x", "X")


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
    #: per row: extra CSS class ("flag", "status-rejected" …)
    row_classes: list[str] = field(default_factory=list)
    caption: str = ""
    #: rows in the workbook (more than ``rows`` when the page shows a short list)
    total: int = 0
    keys: list[str] = field(default_factory=list)

    def __post_init__(self):
        if not self.numeric:
            self.numeric = [False] * len(self.headers)
        if not self.row_classes:
            self.row_classes = [""] * len(self.rows)
        if not self.total:
            self.total = len(self.rows)

    @property
    def shortened(self) -> bool:
        return self.total > len(self.rows)


@dataclass
class HeatTable:
    corner: str
    columns: list[str]
    #: label, cells (text, background, text colour, tooltip), row total
    rows: list[tuple[str, list[tuple[str, str, str, str]], str]]
    totals: list[str]
    total_label: str
    caption: str
    #: what the colours mean (shown under the table)
    legend: str = ""
    #: per row: True = a gap of the whole territory (nothing in any unit), highlighted
    gaps: list[bool] = field(default_factory=list)

    def __post_init__(self):
        if not self.gaps:
            self.gaps = [False] * len(self.rows)


# ---------------------------------------------------------------------------
# Values and labels
# ---------------------------------------------------------------------------


def _spec_label(sheet: str, key: str) -> str:
    return load_spec().label(sheet, key)


def _bare(label: str) -> str:
    """``Náklady celkem (Kč)`` → ``Náklady celkem`` where the value itself says Kč or %."""
    for suffix in (" (Kč)", " (%)"):
        if label.endswith(suffix):
            return label[: -len(suffix)]
    return label


def _field(sheet_key: str, column: str):
    spec = load_spec()
    for sheet in model.SPEC_SHEETS.get(sheet_key, ()):
        for t in spec.templates.values():
            for s in t.sheets:
                if s.key == sheet:
                    for f in s.fields:
                        if f.key == column:
                            return f
    return None


def _code_item(listname: str, value: Any):
    if is_blank(value):
        return None
    return codelist(listname).resolve(value)


def _code(listname: str, value: Any) -> str | None:
    """The code of a code-list value (the workbook holds the dropdown text)."""
    if is_blank(value):
        return None
    item = _code_item(listname, value)
    return item.code if item is not None else str(value)


def _code_text(listname: str, value: Any) -> str:
    """A code-list value as people read it (the dropdown text: ``§49 Domovy pro seniory``)."""
    item = _code_item(listname, value)
    if item is None:
        return fmt_text(value)
    return item.display


def _num(value: Any) -> float | None:
    if is_blank(value) or isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.replace("\u00a0", "").replace(" ", "").replace(",", ".")
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _fmt_auto(value: Any) -> str:
    """A count or a measure: whole numbers without decimals, others with one."""
    n = _num(value)
    if n is None:
        return fmt_text(value)
    return fmt_number(n, 0 if n.is_integer() else 1)


def _fmt_pct_auto(value: Any) -> str:
    n = _num(value)
    if n is None:
        return DASH
    return fmt_pct(n, 0 if n.is_integer() else 1)


def _fmt_change(value: Any) -> str:
    """A year-over-year change: ``+12,5 %`` / ``−30 %`` (a real minus sign)."""
    return _signed(value, _fmt_pct_auto)


def _fmt_ratio(value: Any) -> str:
    """A ratio of Neobvyklé hodnoty: whole numbers as such, small ones with enough decimals."""
    n = _num(value)
    if n is None:
        return DASH
    if n.is_integer():
        return fmt_number(n, 0)
    return fmt_number(n, 3 if abs(n) < 1 else 2 if abs(n) < 100 else 0)


def _yes(value: Any) -> bool:
    return value in _YES


def _records(df) -> list[dict[str, Any]]:
    if df is None or len(df) == 0:
        return []
    return [{str(k): (None if is_blank(v) else v) for k, v in row.items()} for row in df.to_dict("records")]


def _sum(records: Iterable[dict], key: str) -> float:
    return float(sum(v for v in (_num(r.get(key)) for r in records) if v is not None))


def _formatter(sheet_key: str, column: str) -> tuple[Callable[[Any], str], bool]:
    """How a column's values are shown, and whether the column is numeric (right-aligned)."""
    f = _field(sheet_key, column)
    if f is not None and column not in model.TERRITORY_COLUMNS:
        if f.type == "money":
            return fmt_money, True
        if f.type in ("integer", "decimal"):
            return _fmt_auto, column not in ("prevzato_z_roku",)
        if f.type == "date":
            return fmt_date, False
        if f.type == "code" and f.codelist and f.codelist != "obce":
            return (lambda v, cl=f.codelist: _code_text(cl, v)), False
        return fmt_text, False
    if sheet_key == network.SHEET_KEY and column in network.NUMBER_KINDS:
        return _NETWORK_FORMATS[network.NUMBER_KINDS[column] if not column.startswith("diff_") else "diff"], True
    if column == "status":
        return (lambda v: STATUS_LABELS.get(str(v), fmt_text(v))), False
    if column == "submitter_type":
        return (lambda v: model.SUBMITTER_TYPE_LABELS.get(str(v), fmt_text(v))), False
    if column == "kind":
        return (lambda v: model.KIND_LABELS.get(str(v), fmt_text(v))), False
    if column in ("date_filled",):
        return fmt_date, False
    if column.endswith("change_pct"):
        return _fmt_change, True
    if column.endswith("_pct") or column.startswith(("pct_", "share_")) or column in ("share", "completeness"):
        return _fmt_pct_auto, True
    if column == "per_1000":
        return (lambda v: fmt_number(v, 1) if _num(v) is not None else DASH), True
    if column.startswith(("prev_costs", "curr_costs")) or column in ("funding_total",):
        return fmt_money, True
    if column in ("ratio_value", "peer_median", "peer_mad"):
        return _fmt_ratio, True
    if column == "ratio_to_median":
        return (lambda v: f"{_fmt_ratio(v)}×" if _num(v) is not None else DASH), True
    if column == "z_score":
        return (lambda v: fmt_number(_num(v), 1) if _num(v) is not None else DASH), True
    if column == "peers":
        return _fmt_auto, True
    if column in ("flag", "core", "expected", "leaf"):
        return (lambda v: "ano" if _yes(v) else ""), False
    if column in ("druh",):
        return (lambda v: _code_text("druhy_sluzeb", v)), False
    if column == "field":
        return _field_label, False
    if column in (
        "services",
        "capacity",
        "population",
        "items",
        "errors",
        "warnings",
        "rows_read",
        "rows_merged",
        "rows_excluded",
        "prev",
        "curr",
        "prev_capacity",
        "curr_capacity",
        "total",
    ) or column.startswith("n_"):
        return _fmt_auto, True
    return fmt_text, False


def _field_label(value: Any) -> str:
    """A conflict's field: a spec key shows as its label."""
    if is_blank(value):
        return DASH
    f = _field("services", str(value))
    return f.label if f is not None else str(value)


def _table(
    c: Consolidated,
    sheet_key: str,
    columns: Sequence[str] | None = None,
    *,
    records: list[dict] | None = None,
    limit: int | None = None,
    caption: str = "",
) -> Table:
    """A consolidated sheet (or some of its rows) as a display table, blank columns left out."""
    recs = _records(c.table(sheet_key)) if records is None else records
    if columns is None:
        columns = [k for k in model.SHEET_COLUMNS.get(sheet_key, ()) if not k.startswith("src_") and k != "sha256"]
    columns = [k for k in columns if any(r.get(k) is not None for r in recs)]
    fmts = [_formatter(sheet_key, k) for k in columns]
    shown = recs if limit is None else recs[:limit]
    return Table(
        # the values say Kč and % themselves
        headers=[
            _bare(model.column_label(sheet_key, k))
            if fmt in (fmt_money, _fmt_pct_auto, _fmt_change)
            else model.column_label(sheet_key, k)
            for k, (fmt, _) in zip(columns, fmts)
        ],
        rows=[[fmt(r.get(k)) for k, (fmt, _) in zip(columns, fmts)] for r in shown],
        numeric=[num for _, num in fmts],
        caption=caption,
        total=len(recs),
        keys=list(columns),
    )


# ---------------------------------------------------------------------------
# Territory levels
# ---------------------------------------------------------------------------


def _level(c: Consolidated) -> str:
    return str(c.meta.get("level") or "orp")


def _split(c: Consolidated, sheet_key: str) -> tuple[list[dict], list[dict]]:
    """Rows of a per-territory sheet for the whole territory, and per lower-level territory.

    Without a ``territory_level`` column every row counts for the whole territory.
    """
    recs = _records(c.table(sheet_key))
    level = _level(c)
    if not recs or all(r.get("territory_level") is None for r in recs):
        return recs, []
    whole, part = LEVEL_WORDS.get(level, level), LEVEL_WORDS.get(_SUBLEVEL.get(level, ""), "")

    def word(r: dict) -> str:
        return normalize_key(r.get("territory_level") or "")

    top = [r for r in recs if word(r) == normalize_key(whole)]
    sub = [r for r in recs if word(r) == normalize_key(part)]
    return (top or sub), sub


def _territory_title(meta: dict) -> str:
    name = str(meta.get("territory_name") or "")
    level = str(meta.get("level") or "")
    code = str(meta.get("territory_code") or "")
    if not name and level == "stat":
        name = STATE.name
    if not name and code:
        try:
            name = territory(**{level if level in ("orp", "kraj", "obec") else "orp": code}).name
        except Exception:  # noqa: BLE001 - an unknown code simply shows as the code
            name = code
    prefix = {"orp": "ORP ", "obec": "obec "}.get(level, "")
    return f"{prefix}{name}".strip() or DASH


def _territory_after_za(meta: dict, place: str) -> str:
    """The territory after „Souhrn za …“ (accusative): the Czech Republic declines, an ORP
    or a kraj („za ORP Chomutov“, „za Ústecký kraj“) does not change."""
    if str(meta.get("level") or "") == "stat" and place == STATE.name:
        return "Českou republiku"
    return place


def _territories_without(c: Consolidated, present: set[str]) -> list[str]:
    """Lower-level territories (obce of an ORP, ORP of a kraj, kraje) that have no service."""
    level, code = _level(c), str(c.meta.get("territory_code") or "")
    if not code:
        return []
    try:
        if level == "orp":
            names = [(m.code, m.name) for m in territory(orp=code).municipalities]
        elif level == "kraj":
            names = [(o["kod_orp"], o["nazev_orp"]) for o in orps().values() if o["kod_kraje"] == code]
        elif level == "stat":
            names = [(k["kod_kraje"], k["nazev_kraje"]) for k in regions().values()]
        else:
            return []
    except Exception:  # noqa: BLE001 - unknown territory: no list
        return []
    return sorted((n for k, n in names if k not in present), key=czech_key)


def _delivered_units(c: Consolidated) -> set[str]:
    """Codes of the expected submitters with an accepted file of the kind asked of them
    (an obec's services; an ORP's or a kraj's workbook) — a plan alone says nothing
    about services."""
    plan = model.KIND_LABELS["plan"]
    return {
        str(r.get("territory_code"))
        for r in _records(c.table("submissions"))
        if _yes(r.get("expected")) and r.get("status") in ACCEPTED and str(r.get("kind") or "") not in (plan, "plan")
    }


def _empty_units(c: Consolidated) -> set[str]:
    """Codes of the expected submitters whose accepted services file has no row and does
    not say *Na území nepůsobí žádná služba* = ano: an empty sheet is no evidence."""
    plan = model.KIND_LABELS["plan"]
    return {
        str(r.get("territory_code"))
        for r in _records(c.table("submissions"))
        if _yes(r.get("expected"))
        and r.get("status") in ACCEPTED
        and str(r.get("kind") or "") not in (plan, "plan")
        and not _num(r.get("rows_read"))
        and r.get("note") != NONE_DECLARED_NOTE
    }


def _split_by_data(c: Consolidated, names: list[str]) -> tuple[list[str], list[str], list[str]]:
    """(bez služby, bez podkladů, prázdný soubor): territories without a service that sent
    their data, those that sent nothing, and those that sent an empty file without saying
    there is no service — missing data is never presented as a fact about services."""
    level, code = _level(c), str(c.meta.get("territory_code") or "")
    delivered = _delivered_units(c)
    empty = _empty_units(c)
    try:
        if level == "orp":
            codes = {m.name: m.code for m in territory(orp=code).municipalities}
        elif level == "kraj":
            codes = {o["nazev_orp"]: o["kod_orp"] for o in orps().values() if o["kod_kraje"] == code}
        else:
            codes = {k["nazev_kraje"]: k["kod_kraje"] for k in regions().values()}
    except Exception:  # noqa: BLE001 - unknown territory: everything is "bez podkladů"
        return [], names, []
    none = [n for n in names if codes.get(n) in delivered and codes.get(n) not in empty]
    nodata = [n for n in names if codes.get(n) not in delivered]
    unconfirmed = [n for n in names if codes.get(n) in delivered and codes.get(n) in empty]
    return none, nodata, unconfirmed


# ---------------------------------------------------------------------------
# Sections
# ---------------------------------------------------------------------------


def _completeness(c: Consolidated) -> dict[str, Any]:
    """Who delivered what: per template kind and status, every file counted once with its
    own status (``status_counts``, the same counts as Přehled and the CLI), and the
    completeness of the expected submitters from the merge."""
    subs = _records(c.table("submissions"))
    expected_rows = [r for r in subs if r.get("expected") is None or _yes(r.get("expected"))]
    by_kind = status_counts(subs)
    totals = status_totals(subs)
    order = [s for s in STATUS_ORDER if s != "outside" or totals.get(s)]
    expected = int(_num(c.meta.get("expected")) or len({_unit(r) for r in expected_rows}))
    accepted = int(_num(c.meta.get("delivered")) or 0)
    pct = _num(c.meta.get("completeness"))
    if pct is None and expected:
        pct = 100 * accepted / expected
    chart = stacked_bar_chart(
        "graf-odevzdani",
        "Odevzdání podkladů podle stavu",
        [(kind, [per.get(s, 0) for s in order]) for kind, per in by_kind.items()],
        [Series(STATUS_LABELS[s], _STATUS_COLOURS[s]) for s in order],
        label_header=COLUMN_LABELS["kind"],
        total_header="Celkem",
    )
    delivered = [r for r in subs if r.get("status") not in ("missing", "superseded")]
    missing = [r for r in expected_rows if r.get("status") == "missing"]
    cols = [
        "territory_name",
        "submitter_name",
        "submitter_type",
        "kind",
        "status",
        "date_filled",
        "errors",
        "warnings",
        "note",
    ]
    table = _table(c, "submissions", cols, records=delivered)
    table.row_classes = ["status-" + str(r.get("status") or "") for r in delivered]
    # per kind: who has an accepted file of that kind (a rejected services file and an
    # accepted plan show as exactly that)
    submitted: list[tuple[str, list[str]]] = []
    for kind in by_kind:
        names = {
            fmt_text(r.get("territory_name") or r.get("submitter_name"))
            for r in expected_rows
            if r.get("status") in ACCEPTED and _kind_of(r) == kind
        }
        if names:
            submitted.append((kind, sorted(names, key=czech_key)))
    others = sorted(
        {
            fmt_text(r.get("submitter_name"))
            for r in delivered
            if r not in expected_rows and r.get("status") in ACCEPTED
        },
        key=czech_key,
    )
    missing_names = []
    for r in missing:
        name = r.get("territory_name") or r.get("submitter_name") or r.get("territory_code") or r.get("submitter_code")
        # one expected kind per level (an obec's services, an ORP's workbook): no suffix needed
        missing_names.append(fmt_text(name))
    return {
        "pct": pct,
        "pct_text": fmt_pct(pct) if pct is not None else DASH,
        "counts": [(STATUS_LABELS[s], totals.get(s, 0), "status-" + s, s) for s in order],
        "expected": expected,
        "delivered": expected - len({_unit(r) for r in missing}),
        "files": len(delivered),
        "accepted": accepted,
        "chart": chart,
        "table": table,
        "missing": missing_names,
        "submitted": submitted,
        "others": others,
        "superseded": totals.get("superseded", 0),
    }


def _unit(r: dict[str, Any]) -> str:
    return str(r.get("territory_code") or r.get("submitter_code") or r.get("territory_name") or id(r))


def _kind_of(r: dict[str, Any]) -> str:
    """The kind of a submissions line as the workbook shows it."""
    kind = str(r.get("kind") or "")
    return model.KIND_LABELS.get(kind, kind)


def _headline(c: Consolidated) -> list[Figure]:
    """The cards: chosen figures of the merge's overview sheet (Přehled, its labels), plus
    the users and staff of the services (Služby, spec labels)."""
    rows = {str(r.get("metric")): r for r in _records(c.table("overview")) if r.get("metric") is not None}
    figs: list[Figure] = []
    for metric in _CARD_METRICS:
        if metric.endswith(":*"):
            chosen = [r for k, r in rows.items() if k.startswith(metric[:-1])]
        else:
            chosen = [rows[metric]] if metric in rows else []
        for r in chosen:
            unit = str(r.get("unit") or "").strip()
            raw = _num(r.get("value"))
            if unit == "Kč":
                value = fmt_money(raw)
            elif unit == "%":
                value = _fmt_pct_auto(raw)
            else:
                value = _fmt_auto(r.get("value"))
            figs.append(Figure(str(r.get("metric")), _bare(fmt_text(r.get("label"))), value, "", raw))
    services = _records(c.table("services"))
    if services:
        at = 1 + sum(1 for f in figs if f.key == "services" or f.key.startswith("capacity:"))
        for key in ("pocet_uzivatelu", "uvazky"):
            if any(s.get(key) is not None for s in services):
                v = _sum(services, key)
                figs.insert(at, Figure(key, _spec_label("sluzby", key), _fmt_auto(v), "", v))
                at += 1
    return figs


def _capacity(c: Consolidated) -> list[Chart]:
    """One chart per capacity type (beds, clients, contacts do not add up): druh × forma."""
    top, _ = _split(c, "capacities")
    forms = list(codelist("formy"))
    series = [Series(f.label, _FORM_COLOURS[i % len(_FORM_COLOURS)]) for i, f in enumerate(forms)]
    cube: dict[str, dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(float)))
    for r in top:
        t, d, f = (
            _code("typy_kapacity", r.get("typ_kapacity")),
            _code("druhy_sluzeb", r.get("druh")),
            _code("formy", r.get("forma")),
        )
        v = _num(r.get("capacity"))
        if t and d and f and v is not None:
            cube[t][d][f] += v
    order = {i.code: n for n, i in enumerate(codelist("druhy_sluzeb"))}
    charts = []
    for item in codelist("typy_kapacity"):
        if item.code not in cube:
            continue
        rows = [
            (_code_text("druhy_sluzeb", d), [cube[item.code][d].get(f.code, 0) for f in forms])
            for d in sorted(cube[item.code], key=lambda d: order.get(d, 999))
        ]
        charts.append(
            stacked_bar_chart(
                f"graf-kapacita-{item.code}",
                f"{_spec_label('sluzby', 'kapacita')} – {item.label}",
                rows,
                series,
                label_header=_spec_label("sluzby", "druh"),
                total_header=_spec_label("sluzby", "kapacita"),
            )
        )
    return charts


def _heat(
    corner: str,
    caption: str,
    row_labels: list[str],
    col_labels: list[str],
    values: dict[tuple[int, int], float],
    tips: dict[tuple[int, int], str] | None = None,
    row_totals: list[float] | None = None,
) -> HeatTable:
    top = max(values.values(), default=0)
    rows = []
    for i, label in enumerate(row_labels):
        cells = []
        for j, col in enumerate(col_labels):
            v = values.get((i, j), 0)
            bg = heat_colour(v, top)
            tip = f"{label} – {col}: {_fmt_auto(v)}" + (f" ({tips[(i, j)]})" if tips and tips.get((i, j)) else "")
            cells.append((_fmt_auto(v) if v else "", bg, text_colour(bg) if bg else "", tip))
        total = row_totals[i] if row_totals is not None else sum(values.get((i, j), 0) for j in range(len(col_labels)))
        rows.append((label, cells, _fmt_auto(total)))
    totals = [_fmt_auto(sum(values.get((i, j), 0) for i in range(len(row_labels)))) for j in range(len(col_labels))]
    return HeatTable(corner, col_labels, rows, totals, "Celkem", caption)


def _service_coverage(c: Consolidated) -> dict[str, Any]:
    """Heat table of service types × lower-level territories (number of services)."""
    _, sub = _split(c, "capacities")
    names: dict[str, str] = {}
    counts: dict[tuple[str, str], float] = defaultdict(float)
    tips: dict[tuple[str, str], list[str]] = defaultdict(list)
    for r in sub:
        code, d = str(r.get("territory_code") or r.get("territory_name") or ""), _code("druhy_sluzeb", r.get("druh"))
        if not code or d is None:
            continue
        names[code] = str(r.get("territory_name") or code)
        counts[(d, code)] += _num(r.get("services")) or 0
        if _num(r.get("capacity")) is not None:
            tips[(d, code)].append(
                f"{_fmt_auto(r.get('capacity'))} {_code_text('typy_kapacity', r.get('typ_kapacity'))}"
            )
    cols = sorted(names, key=lambda k: (czech_key(names[k]), k))
    order = {i.code: n for n, i in enumerate(codelist("druhy_sluzeb"))}
    present = sorted({d for d, _ in counts}, key=lambda d: order.get(d, 999))
    # the core services missing from the whole territory (Chybějící služby; not a territory without data)
    core_gaps = {
        d
        for r in _records(c.table("gaps"))
        if _yes(r.get("core")) and not r.get("note") and (d := _code("druhy_sluzeb", r.get("druh"))) is not None
    }
    druhy = present + sorted(core_gaps - set(present), key=lambda d: order.get(d, 999))
    level_word = {"orp": "obce", "kraj": "ORP", "stat": "kraje"}.get(_level(c), COLUMN_LABELS["territory_name"])
    heat = _heat(
        _spec_label("sluzby", "druh"),
        f"{COLUMN_LABELS['services']} podle druhu služby a území ({level_word})",
        [_code_text("druhy_sluzeb", d) for d in druhy],
        [names[k] for k in cols],
        {(i, j): counts[(d, k)] for i, d in enumerate(druhy) for j, k in enumerate(cols) if counts.get((d, k))},
        {(i, j): ", ".join(tips[(d, k)]) for i, d in enumerate(druhy) for j, k in enumerate(cols) if tips.get((d, k))},
    )
    heat.gaps = [d not in present for d in druhy]
    heat.legend = (
        "Čím tmavší pole, tím více služeb daného druhu v území; prázdné pole: v tomto území služba "
        "daného druhu sídlo nemá. Červeně: základní služba, která v celém území chybí (viz Chybějící služby)."
    )
    without, no_data, empty = _split_by_data(c, _territories_without(c, set(names)))
    return {
        "heat": heat if present else None,
        "without": without,
        "no_data": no_data,
        "empty": empty,
        "level_word": level_word,
    }


def _gaps(c: Consolidated) -> dict[str, Any]:
    """Missing service types (Chybějící služby): the core ones as a table, the others as a list."""
    recs = _records(c.table("gaps"))
    core = [r for r in recs if _yes(r.get("core"))]
    places = {str(r.get("territory_name") or "") for r in recs}
    cols = (["territory_name"] if len(places) > 1 else []) + ["druh", "kategorie", "note"]
    others: dict[str, list[str]] = defaultdict(list)
    # a territory without data has one row without druh, whose note says why
    unknown: dict[str, list[str]] = defaultdict(list)
    for r in recs:
        if r.get("druh") is None:
            unknown[fmt_text(r.get("note"))].append(fmt_text(r.get("territory_name")))
        elif not _yes(r.get("core")):
            others[fmt_text(r.get("territory_name"))].append(_code_text("druhy_sluzeb", r.get("druh")))
    return {
        "core": _table(c, "gaps", cols, records=core),
        "others": sorted(others.items(), key=lambda kv: czech_key(kv[0])),
        "unknown": sorted(((note, sorted(names, key=czech_key)) for note, names in unknown.items()), key=lambda kv: czech_key(kv[0])),
        "n": len(recs),
        "n_core": len(core),
        "core_label": model.column_label("gaps", "core"),
    }


def _target_groups(c: Consolidated) -> dict[str, Any]:
    """Bar chart of services per target group (Cílové skupiny, column total) and the heat matrix."""
    recs = _records(c.table("coverage"))
    label = model.column_label("coverage", "target_group")
    known = set(model.SHEET_COLUMNS["coverage"])
    df = c.table("coverage")
    terr_cols = [str(k) for k in (df.columns if df is not None else []) if str(k) not in known]
    terr_cols = [k for k in terr_cols if any(_num(r.get(k)) for r in recs)]
    items = [
        (fmt_text(r.get("target_group")), _num(r.get("total")) or 0) for r in recs if r.get("target_group") is not None
    ]
    present = sorted([it for it in items if it[1] > 0], key=lambda kv: -kv[1])
    chart = bar_chart(
        "graf-cilove-skupiny",
        f"{COLUMN_LABELS['services']} podle cílové skupiny",
        present,
        label_header=label,
        value_header=COLUMN_LABELS["services"],
        colour=PALETTE[0],
    )
    covered = {normalize_key(name) for name, v in items if v > 0}
    uncovered = [i.label for i in codelist("cilove_skupiny") if normalize_key(i.label) not in covered]
    heat = None
    if terr_cols and present:
        # the groups with a service first (most services on top), then the gaps of the
        # whole territory: a group with no service anywhere, highlighted
        rows = [r for r in recs if r.get("target_group") is not None]
        rows.sort(key=lambda r: (-(_num(r.get("total")) or 0),))
        heat = _heat(
            label,
            f"{COLUMN_LABELS['services']} podle cílové skupiny a území",
            [fmt_text(r.get("target_group")) for r in rows],
            terr_cols,
            {
                (i, j): _num(r.get(k)) or 0
                for i, r in enumerate(rows)
                for j, k in enumerate(terr_cols)
                if _num(r.get(k))
            },
            row_totals=[_num(r.get("total")) or 0 for r in rows],
        )
        heat.gaps = [not (_num(r.get("total")) or 0) for r in rows]
        heat.legend = (
            "Čím tmavší pole, tím více služeb pro skupinu v území; prázdné pole: v tomto území pro skupinu "
            "služba není. Červeně: cílová skupina bez jediné služby v celém území."
        )
    return {"chart": chart, "uncovered": uncovered, "heat": heat}


def _funding(c: Consolidated) -> dict[str, Any]:
    """Funding structure: shares of the sources, for all services and per category of service."""
    top, _ = _split(c, "funding")
    sources = [f for f in load_spec().template("sluzby").sheet("sluzby").fields if f.funding]
    series = [Series(_bare(f.label), _FUNDING_COLOURS[i % len(_FUNDING_COLOURS)]) for i, f in enumerate(sources)]
    druhy = codelist("druhy_sluzeb")
    cats: list[str] = []
    for item in druhy:
        cat = item.extra.get("kategorie") or ""
        if cat and cat not in cats:
            cats.append(cat)
    by_cat: dict[str, list[float]] = {}
    totals = [r for r in top if r.get("druh") == _TOTAL_ROW]
    for r in top:
        if r.get("druh") == _TOTAL_ROW:
            continue
        item = _code_item("druhy_sluzeb", r.get("druh"))
        cat = (
            fmt_text(r.get("kategorie"))
            if r.get("kategorie")
            else ((item.extra.get("kategorie") if item else None) or DASH)
        )
        row = by_cat.setdefault(cat, [0.0] * len(sources))
        for i, f in enumerate(sources):
            row[i] += _num(r.get(f.key)) or 0.0
    if totals:
        total = [sum(_num(r.get(f.key)) or 0.0 for r in totals) for f in sources]
    else:
        total = [sum(v[i] for v in by_cat.values()) for i in range(len(sources))]
    rows = [("Všechny služby", total)] + [
        (cat[:1].upper() + cat[1:], by_cat[cat]) for cat in cats + sorted(set(by_cat) - set(cats), key=czech_key) if cat in by_cat
    ]
    chart = stacked_bar_chart(
        "graf-financovani",
        "Struktura zdrojů financování",
        rows,
        series,
        label_header=COLUMN_LABELS["kategorie"],
        total_header=_bare(COLUMN_LABELS["funding_total"]),
        percent=True,
        fmt=fmt_money,
    )
    costs = _sum(totals, "naklady") if totals else _sum(top, "naklady")
    funded = sum(total)
    return {
        "chart": chart,
        "costs": costs,
        "funded": funded,
        "costs_text": fmt_money(costs),
        "funded_text": fmt_money(funded),
        "costs_label": _bare(_spec_label("sluzby", "naklady")),
        "funded_label": _bare(COLUMN_LABELS["funding_total"]),
        "ratio": fmt_pct(100 * funded / costs) if costs else DASH,
        "sources": [
            (s.label, fmt_money(v), fmt_pct(100 * v / funded) if funded else DASH) for s, v in zip(series, total)
        ],
    }


def _plan(c: Consolidated) -> dict[str, Any]:
    """Fulfilment per priority (Plnění plánu) as stacked bars of statuses, and the carry-over list."""
    recs = _records(c.table("plan_summary"))
    statuses = list(codelist("stavy_planu"))
    keys = [f"n_{i.code}" for i in statuses] + ["n_bez_stavu"]
    series = [Series(i.label, _PLAN_COLOURS.get(i.code, PALETTE[7])) for i in statuses]
    series.append(Series(COLUMN_LABELS["n_bez_stavu"].lower(), "#DDDDDD"))
    owners = {str(r.get("submitter") or r.get("territory_name") or "") for r in recs}
    rows = []
    for r in recs:
        label = f"{fmt_text(r.get('priority'))} {fmt_text(r.get('priority_name')) if r.get('priority_name') else ''}".strip()
        if len(owners) > 1:
            label = f"{fmt_text(r.get('territory_name') or r.get('submitter'))}: {label}"
        rows.append((label, [_num(r.get(k)) or 0 for k in keys]))
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
    items = _sum(recs, "items")
    done = _sum(recs, "n_splneno")
    unevaluated = _sum(recs, "n_bez_stavu")
    carry_recs = _records(c.table("carryover"))
    # where the item comes from, when the list mixes several plans
    where = [k for k in ("nazev_kraje", "nazev_orp", "nazev_obce") if len({r.get(k) for r in carry_recs}) > 1]
    carry_cols = [
        *where,
        "cislo",
        "nazev",
        "realizator",
        "termin",
        "stav",
        "reason",
        "prevzato_z_roku",
        "pocet_prevzeti",
    ]
    carry = _table(c, "carryover", carry_cols, records=carry_recs)
    return {
        "chart": chart,
        "has_plan": bool(recs) or bool(_records(c.table("activities"))),
        "n_items": items,
        "done": done,
        "evaluated": items - unevaluated,
        "pct_done": 100 * done / (items - unevaluated) if items - unevaluated else None,
        "carryover": carry,
        "plans": len(owners),
    }


def _problems(c: Consolidated) -> dict[str, Any]:
    conflicts = _records(c.table("conflicts"))
    subs = _records(c.table("submissions"))
    rejected = [r for r in subs if r.get("status") == "rejected"]
    errors = _records(c.table("errors"))
    # what needs action first (xlkpss.merge.errorgroups); the code stays in the workbook
    by_problem: Counter = Counter()
    info: Counter = Counter()
    for e in errors:
        group = error_group(e)
        code = str(e.get("code") or "")
        title = ISSUES[code].title_cs if code in ISSUES else fmt_text(e.get("reason"))
        if group == "info":
            info[fmt_text(e.get("reason")) or title] += 1
        else:
            by_problem[(group, title)] += 1
    order = {g: n for n, g in enumerate(ERROR_GROUPS)}
    error_rows = [
        [title, ERROR_GROUPS[group].split(" – ")[0], fmt_number(n)]
        for (group, title), n in sorted(by_problem.items(), key=lambda kv: (order[kv[0][0]], -kv[1], kv[0][1]))
    ]
    conflict_cols = [
        "identifikator",
        "nazev_sluzby",
        "field",
        "kept_submitter",
        "kept_value",
        "other_submitter",
        "other_value",
    ]
    return {
        "conflicts": _table(c, "conflicts", conflict_cols, limit=SHORT_LIST),
        "n_conflicts": len(conflicts),
        "rejected": _table(
            c, "submissions", ["territory_name", "submitter_name", "file", "errors", "note"], records=rejected
        ),
        "n_rejected": len(rejected),
        "errors": Table(
            ["Problém", "Co s tím", "Počet"],
            error_rows[:SHORT_LIST],
            [False, False, True],
            total=len(error_rows),
        ),
        "n_errors": sum(by_problem.values()),
        "info": sorted(info.items(), key=lambda kv: (-kv[1], normalize_key(kv[0]))),
        "n_info": sum(info.values()),
    }


def _changes(c: Consolidated) -> dict[str, Any] | None:
    """Year over year (Meziroční změny): the whole territory, then the changes above the threshold."""
    recs = _records(c.table("changes"))
    if not recs:
        return None
    whole = normalize_key(f"území ({LEVEL_WORDS.get(_level(c), '')})")
    totals = [r for r in recs if normalize_key(r.get("row_kind") or "") == whole]
    flagged = [r for r in recs if _yes(r.get("flag")) and r not in totals]
    total_cols = [
        "typ_kapacity",
        "prev_capacity",
        "curr_capacity",
        "capacity_change_pct",
        "prev_costs",
        "curr_costs",
        "costs_change_pct",
    ]
    flag_cols = [
        "territory_name",
        "nazev_sluzby",
        "typ_kapacity",
        "prev_capacity",
        "curr_capacity",
        "capacity_change_pct",
        "prev_costs",
        "curr_costs",
        "costs_change_pct",
        "note",
    ]
    return {
        "totals": _table(c, "changes", total_cols, records=totals),
        "flagged": _table(c, "changes", flag_cols, records=flagged, limit=SHORT_LIST * 2),
        "n_flagged": len(flagged),
        "previous_year": fmt_text(c.meta.get("previous_year")) if c.meta.get("previous_year") is not None else "",
        "threshold": fmt_pct(_num(c.meta.get("threshold"))) if _num(c.meta.get("threshold")) is not None else "",
    }


def _queries(c: Consolidated) -> dict[str, Any] | None:
    """Neobvyklé hodnoty (dotazy): values unusual against comparable services (xlkpss.merge.peers)."""
    if "queries" not in c.tables:
        return None
    m = c.meta
    recs = _records(c.table("queries"))
    cols = ["nazev_sluzby", "poskytovatel", "druh", "forma", "ratio_name", "ratio_value", "peer_median",
            "ratio_to_median", "peers", "z_score", "explained", "poznamka"]
    threshold = _num(m.get("queries_threshold"))
    return {
        "n": len(recs),
        "explained": sum(1 for r in recs if r.get("explained") == "ano"),
        "threshold": fmt_number(threshold, 1) if threshold is not None else "",
        "min_peers": int(m.get("queries_min_peers") or 0),
        "not_assessed": int(m.get("queries_not_assessed") or 0),
        "reference": fmt_text(m["reference_file"]) if m.get("reference_file") else "",
        "table": _table(c, "queries", cols, records=recs, limit=SHORT_LIST * 4),
    }


def _fmt_signed(value: Any) -> str:
    """A difference: ``+10`` / ``−2,5`` (a real minus sign), 0 as ``0``."""
    return _signed(value, _fmt_auto)


def _signed(value: Any, fmt: Any) -> str:
    """``fmt`` of the size with ``+`` or a real minus sign in front; no number → a dash."""
    n = _num(value)
    if n is None:
        return DASH
    sign = "+" if n > 0 else "\u2212" if n < 0 else ""
    return sign + fmt(abs(n))


_NETWORK_FORMATS: dict[str, Callable[[Any], str]] = {
    "int": _fmt_auto,
    "dec": _fmt_auto,
    "diff": _fmt_signed,
    "per1000": lambda v: fmt_number(v, 2) if _num(v) is not None else DASH,
    "pct": _fmt_pct_auto,
}


def _network(c: Consolidated) -> dict[str, Any] | None:
    """The regional network against what was reported (Síť vs skutečnost; merge --network)."""
    if network.SHEET_KEY not in c.tables:
        return None
    info = c.meta.get(network.SHEET_KEY) or {}
    recs = _records(c.table(network.SHEET_KEY))
    services = [r for r in recs if r.get("row_kind") == network.SERVICE]
    totals = [r for r in recs if r.get("row_kind") == network.ORP_TOTAL]
    found = Counter(str(r.get("finding")) for r in services)
    attention = [r for r in services if r.get("finding") not in (network.MATCH, network.NO_DATA)]
    total_cols = ["nazev_orp", "typ_kapacity", "net_kapacita", "rep_kapacita", "diff_kapacita", "population",
                  "net_per_1000", "rep_per_1000", "median_per_1000", "pct_of_median"]  # fmt: skip
    cols = ["finding", "nazev_orp", "nazev_sluzby", "poskytovatel", "forma", "typ_kapacity", "net_kapacita",
            "rep_kapacita", "diff_kapacita", "net_uvazky", "rep_uvazky", "note"]  # fmt: skip
    return {
        "file": fmt_text(info.get("file") or ""),
        "entries": int(info.get("entries") or 0),
        "matched": found.get(network.MATCH, 0),
        "counts": [(f, found[f]) for f in network.FINDINGS if found.get(f)],
        "unregistered": int(info.get("unregistered_not_compared") or 0),
        "orp": _table(c, network.SHEET_KEY, total_cols, records=totals),
        "attention": _table(c, network.SHEET_KEY, cols, records=attention, limit=SHORT_LIST * 4),
    }


def _expected_services(c: Consolidated) -> dict[str, Any] | None:
    """Completeness per service (Porovnání služeb, Úplnost předkladatelů; merge --registry / --previous)."""
    if "service_comparison" not in c.tables:
        return None
    m = c.meta
    recs = _records(c.table("service_comparison"))
    findings = Counter(str(r.get("finding")) for r in recs)
    attention = [r for r in recs if r.get("finding") != "hlášena"]
    cols = ["finding", "nazev_orp", "nazev_obce", "nazev_sluzby", "poskytovatel", "forma", "kapacita",
            "reg_forma", "reg_kapacita", "reg_typ_kapacity", "reg_druh", "expected_submitter", "note"]  # fmt: skip
    if _level(c) == "orp":
        cols.remove("nazev_orp")  # one ORP: the column would repeat its name and push the table wider than 1,280 px
    per = _records(c.table("submitter_completeness")) if "submitter_completeness" in c.tables else []
    totals = [r for r in per if not r.get("submitter_code")]
    behind = [r for r in per if r.get("submitter_code") and (r.get("n_missing") or r.get("unchanged") == "ano")]
    pct = _num(m.get("completeness_services"))
    return {
        "title": "Porovnání s registrem" if m.get("registry_file") or "registru" in str(m.get("services_basis")) else "Očekávané služby",
        "basis": fmt_text(m.get("services_basis") or ""),
        "pct_text": fmt_pct(pct) if pct is not None else DASH,
        "expected": int(m.get("expected_services") or 0),
        "reported": int(m.get("reported_services") or 0),
        "counts": sorted(findings.items(), key=lambda kv: -kv[1]),
        "attention": _table(c, "service_comparison", cols, records=attention, limit=SHORT_LIST * 4),
        "totals": _table(c, "submitter_completeness", ["nazev_orp", "n_expected", "n_reported", "n_missing", "n_new",
                                                       "completeness"], records=totals),  # fmt: skip
        "behind": _table(c, "submitter_completeness", ["submitter_name", "submitter_type", "status", "timeliness",
                                                       "n_expected", "n_missing", "missing_services", "problem"],
                         records=behind, limit=SHORT_LIST * 2),  # fmt: skip
    }


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


def build_summary(c: Consolidated) -> dict[str, Any]:
    """The page's content as plain data: figures, charts (with their tables) and tables."""
    meta = dict(c.meta)
    place = _territory_title(meta)
    year = meta.get("year")
    year_text = fmt_text(year) if year is not None else DASH
    return {
        "meta": meta,
        "territory": place,
        "territory_za": _territory_after_za(meta, place),
        "year": year_text,
        "generated": fmt_date(meta.get("generated")),
        "version": fmt_text(meta.get("version") or meta.get("xlkpss_version") or ""),
        "title": f"Souhrn komunitního plánování sociálních služeb – {place}, {year_text}",
        "completeness": _completeness(c),
        "figures": _headline(c),
        "capacity": _capacity(c),
        "coverage": _service_coverage(c),
        "gaps": _gaps(c),
        "target_groups": _target_groups(c),
        "funding": _funding(c),
        "plan": _plan(c),
        "problems": _problems(c),
        "changes": _changes(c),
        "expected_services": _expected_services(c),
        "queries": _queries(c),
        "network": _network(c),
        "sheets": SHEETS,
        "labels": {"territory": COLUMN_LABELS["territory_name"], "year": _spec_label("identifikace", "rok")},
    }


def summary_html(c: Consolidated, *, lang: str = "cs") -> str:
    """The summary page as a string (Czech; ``lang`` is reserved for an English page)."""
    return render_template("summary.html.j2", **build_summary(c))


@gc_paused
def render_summary(c: Consolidated, out_path: str | os.PathLike, *, lang: str = "cs") -> Path:
    """Write the summary page to ``out_path`` atomically and return the path."""
    html = summary_html(c, lang=lang)
    with atomic_path(out_path) as tmp:
        tmp.write_text(html, encoding="utf-8", newline="\n")
    return Path(out_path)
