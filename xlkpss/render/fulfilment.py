"""The yearly fulfilment sheet of a plan evaluation, as a printable workbook and page.

Layout after seed 004 (Chomutov, „Vyhodnocení krátkodobého plánu … na roky
2007/2008“): a title, the plan tree in number order with priority and measure
headings and their goal sentences, one row per activity with marks in *Plán splněn /
Plán nesplněn / Plán pro rok X+1* (see ``xlkpss.plan.tree`` for what the marks mean),
planned and spent budget, indicator with target and achieved value, comment; then
the table of planned projects and a footer with place, date, *Zpracoval(a)* and
*Schválil(a)*.

The workbook (xlsxwriter) holds values, not formulas; it prints on A4 landscape, fit
to the page width, with the column headings repeated on every page.  Several plans
give one sheet each plus a summary sheet (*Souhrn*) with the fulfilment per plan and
priority.  Submitted text is always written as text (a name starting with ``=`` stays
text); the bytes are the same for the same inputs.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xlkpss.plan import FulfilmentStats, Plan, PlanItem, marks
from xlkpss.plan.tree import CANCELLED_WORD, MARK, PARTIAL_WORD

__all__ = [
    "SUMMARY_SHEET",
    "FulfilmentRow",
    "FulfilmentSheet",
    "build_sheet",
    "render_fulfilment_html",
    "write_fulfilment",
    "write_fulfilment_html",
]

SUMMARY_SHEET = "Souhrn"
_FIXED_DATE = dt.datetime(2024, 1, 1, 0, 0, 0)
_MONEY = '#,##0" Kč"'  # the space inside the quotes: a Czech LibreOffice keeps it
_INT = "#,##0"
_DEC = "#,##0.0#"
_PCT = "0.0"
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def _label(sheet: str, key: str) -> str:
    from xlkpss.spec import get_template

    return get_template("plan").sheet(sheet).field(key).label


def _project_status(code: Any) -> str:
    from xlkpss.codelists import codelist

    cl = codelist("stavy_projektu")
    return cl.get(code).label if code in cl else ("" if code is None else str(code))


def cz_date(value: Any) -> str:
    if isinstance(value, (dt.date, dt.datetime)):
        return f"{value.day}. {value.month}. {value.year}"
    return "" if value is None else str(value)


# --- the view model both renderers share ------------------------------------------------


@dataclass
class FulfilmentRow:
    """One printed row of the plan part.

    ``kind``: ``priority`` (a top-level heading), ``heading`` (goal or measure),
    ``goal`` (the goal sentence under a heading) or ``activity``.
    """

    kind: str
    number: str = ""
    text: str = ""
    description: str = ""
    done: str = ""
    not_done: str = ""
    next_year: str = ""
    realizator: str = ""
    planned: float | None = None
    spent: float | None = None
    indicator: str = ""
    target: float | None = None
    achieved: float | None = None
    comment: str = ""
    excluded: bool = False


@dataclass
class FulfilmentSheet:
    plan: Plan
    year: int | None
    next_year: int | None
    title: str
    kicker: str
    rows: list[FulfilmentRow]
    projects: list[dict[str, Any]]
    projects_title: str
    place_date: str
    prepared_by: str
    approved_by: str
    stats: FulfilmentStats
    by_priority: list[tuple[str, FulfilmentStats]]
    notes: list[str] = field(default_factory=list)

    @property
    def columns(self) -> list[tuple[str, str]]:
        return columns(self.next_year)


def columns(next_year: int | None) -> list[tuple[str, str]]:
    """(key, heading) of the plan table; field columns take their label from the spec."""
    plan_for = f"Plán pro rok {next_year}" if next_year else "Plán pro další rok"
    return [
        ("number", _label("plan", "cislo")),
        ("text", _label("plan", "nazev")),
        ("done", "Plán splněn"),
        ("not_done", "Plán nesplněn"),
        ("next_year", plan_for),
        ("realizator", _label("plan", "realizator")),
        ("planned", _label("plan", "rozpocet")),
        ("spent", _label("plan", "cerpano")),
        ("indicator", _label("plan", "indikator")),
        ("target", _label("plan", "cilova_hodnota")),
        ("achieved", _label("plan", "dosazena_hodnota")),
        ("comment", _label("plan", "komentar")),
    ]


def project_columns() -> list[tuple[str, str]]:
    return [(f.key, f.label) for f in _project_fields()]


def _project_fields():
    from xlkpss.spec import get_template

    return get_template("plan").sheet("projekty").fields


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _num(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _heading_text(item: PlanItem) -> str:
    """„Priorita č. 1: …“ (seed 004), „Cíl 1: …“ for a goal on top (seed 000); an area
    (pracovní skupina, seed 001) and everything else by its name."""
    if item.level == "priorita" and item.number:
        return f"Priorita č. {item.number}: {item.name}"
    if item.level == "cil" and item.number and item.depth == 1:
        return f"Cíl {item.number}: {item.name}"
    return item.name


def _rows(plan: Plan) -> list[FulfilmentRow]:
    out: list[FulfilmentRow] = []
    for item in plan.tree.items:
        is_heading = bool(item.children) or not item.is_activity
        m = marks(item)
        row = FulfilmentRow(
            kind="activity",
            number=item.number or "",
            text=item.name,
            done=m.done,
            not_done=m.not_done,
            next_year=m.next_year,
            excluded=item.excluded,
        )
        if item.is_activity:
            row.realizator = _text(item.get("realizator"))
            row.planned = _num(item.get("rozpocet"))
            row.spent = _num(item.get("cerpano"))
            row.indicator = _text(item.get("indikator"))
            row.target = _num(item.get("cilova_hodnota"))
            row.achieved = _num(item.get("dosazena_hodnota"))
            row.comment = _text(item.get("komentar"))
        if is_heading:
            row.kind = "priority" if item.depth == 1 else "heading"
            row.text = _heading_text(item)
            out.append(row)
            if item.description:
                out.append(FulfilmentRow(kind="goal", text=str(item.description)))
        else:
            row.description = _text(item.description)
            out.append(row)
    return out


def build_sheet(plan: Plan, *, year: int | None = None) -> FulfilmentSheet:
    """Everything one fulfilment sheet shows (used by the workbook and the HTML page)."""
    year = year or plan.year
    next_year = year + 1 if year else None
    ident = plan.ident
    place = ident.get("misto") or _municipality_name(ident.get("kod_obce")) or ""
    place_date = " ".join(p for p in (str(place), cz_date(ident.get("datum_vyplneni"))) if p)
    by_priority = []
    for prio, stats in plan.stats_by_priority():
        name = _heading_text(prio) if prio is not None else "Bez priority"
        by_priority.append((name, stats))
    notes = []
    if plan.year and year and plan.year != year:
        notes.append(f"Soubor je vyplněn za rok {plan.year}, hodnotí se rok {year}.")
    if plan.errors:
        notes.append(
            f"Pozor: soubor {plan.path.name} obsahuje chyby ({len(plan.errors)}); sestava byla vytvořena i přesto. "
            "Řádky s chybou mohou mít neúplné údaje."
        )
    period = plan.period
    return FulfilmentSheet(
        plan=plan,
        year=year,
        next_year=next_year,
        title=plan.title(),
        kicker=f"Komunitní plán – {plan.submitter}",
        rows=_rows(plan),
        projects=[dict(p) for p in plan.projects],
        projects_title=f"Naplánované projekty KP sociálních služeb na {'roky' if '/' in period or '-' in period or '–' in period else 'rok'} {period}".rstrip(),
        place_date=place_date,
        prepared_by=_text(ident.get("zpracoval")),
        approved_by=_text(ident.get("schvalil")),
        stats=plan.stats(),
        by_priority=by_priority,
        notes=notes,
    )


def _municipality_name(code: Any) -> str | None:
    from xlkpss.codelists import municipalities

    m = municipalities().get(str(code)) if code else None
    return m.name if m else None


# --- sheet names -------------------------------------------------------------------------


def sheet_name(name: str, used: set[str]) -> str:
    """A valid, unique (case-insensitive) Excel sheet name of at most 31 characters."""
    base = _BAD_SHEET_CHARS.sub(" ", name)
    base = " ".join(base.split()).strip("'") or "Plán"
    base = base[:31].rstrip()
    candidate, n = base, 1
    while candidate.casefold() in used:
        n += 1
        suffix = f" ({n})"
        candidate = base[: 31 - len(suffix)].rstrip() + suffix
    used.add(candidate.casefold())
    return candidate


# --- the workbook ------------------------------------------------------------------------


class _Formats:
    def __init__(self, wb):
        f = wb.add_format
        border = {"border": 1, "border_color": "#7F7F7F", "valign": "top"}
        self.kicker = f({"bold": True, "font_size": 9, "font_color": "#595959"})
        self.title = f({"bold": True, "font_size": 14, "font_color": "#1F3864", "text_wrap": True, "valign": "top"})
        self.info = f({"font_size": 10, "font_color": "#404040"})
        self.warn = f({"font_size": 10, "font_color": "#C00000", "bold": True, "text_wrap": True, "valign": "top"})
        self.head = f(
            {**border, "bold": True, "text_wrap": True, "bg_color": "#DDEBF7", "align": "center", "valign": "vcenter"}
        )
        self.section = f({"bold": True, "font_size": 12, "font_color": "#1F3864"})
        self.prio = f({**border, "bold": True, "text_wrap": True, "bg_color": "#BDD7EE"})
        self.heading = f({**border, "bold": True, "text_wrap": True, "bg_color": "#F2F2F2"})
        self.goal = f({**border, "italic": True, "text_wrap": True, "font_color": "#404040"})
        self.cell = f({**border, "text_wrap": True})
        self.mark = f({**border, "align": "center", "bold": True, "font_size": 12})
        self.word = f({**border, "align": "center", "italic": True, "font_size": 9, "text_wrap": True})
        self.money = f({**border, "num_format": _MONEY})
        self.int = f({**border, "num_format": _INT})
        self.dec = f({**border, "num_format": _DEC})
        self.pct = f({**border, "num_format": _PCT})
        self.desc = f({"italic": True, "font_color": "#595959"})
        self.bold_cell = f({**border, "bold": True, "text_wrap": True})
        self.indented = f({**border, "text_wrap": True, "indent": 1})
        self.bold_int = f({**border, "bold": True, "num_format": _INT})
        self.bold_pct = f({**border, "bold": True, "num_format": _PCT})
        self.plain = f({"valign": "top"})
        self.sign = f({"valign": "top", "font_size": 11})
        self.note = f({"italic": True, "font_size": 9, "font_color": "#595959", "text_wrap": True, "valign": "top"})

    def number(self, value: float):
        return self.int if float(value).is_integer() else self.dec


#: column widths of the plan table (characters)
_WIDTHS = [8, 46, 10, 10, 10, 20, 15, 15, 22, 10, 10, 30]
_LINE = 15.0  # points: one line of 11 pt text (Excel's default row height)
_NEXT_LINE = 14.0  # points per further line (DejaVu/Calibri 11 pt line spacing)


def _wrap_lines(text: str, width: float, size: float = 11, bold: bool = False) -> int:
    """How many lines ``text`` takes in a wrapped cell ``width`` characters wide.

    Neither Excel nor LibreOffice (``--convert-to pdf``) fits row heights to wrapped
    text in a generated file, so the heights are set here.  The estimate is
    deliberately generous: LibreOffice substitutes DejaVu Sans for Calibri, which is
    wider; a blank line too many is better than clipped text on paper.
    """
    capacity = max(4, int(width * 1.15 * 11 / size / (1.1 if bold else 1.0)))
    lines = 0
    for paragraph in str(text).split("\n"):
        n, used = 1, 0
        for word in paragraph.split():
            length = len(word)
            if used and used + 1 + length <= capacity:
                used += 1 + length
                continue
            if used:
                n += 1
            # the word starts a line; a word longer than the column breaks anywhere
            broken = (length - 1) // capacity
            n += broken
            used = length - broken * capacity
        lines += n
    return lines


def _height(*cells: tuple[Any, ...], minimum: float = _LINE) -> float:
    """Row height (points) for cells given as (text, width[, font size, bold])."""
    best = minimum
    for cell in cells:
        text, width = cell[0], cell[1]
        size = cell[2] if len(cell) > 2 else 11
        bold = cell[3] if len(cell) > 3 else False
        if not text:
            continue
        lines = _wrap_lines(text, width, size, bold)
        best = max(best, (_LINE + (lines - 1) * _NEXT_LINE) * size / 11 + (3 if lines > 1 else 0))
    return min(best, 409)  # Excel's maximum row height


def _print_setup(ws, header_row: int, footer_name: str) -> None:
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(header_row)
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    name = footer_name.replace("&", "&&")[:80]
    ws.set_footer(f"&L{name}&RStrana &P z &N")


def _merged_text(
    ws, r: int, last: int, text: str, fmt, size: float = 11, bold: bool = False, width: float | None = None
) -> None:
    ws.merge_range(r, 0, r, last, "", fmt)
    ws.write_string(r, 0, text, fmt)
    ws.set_row(r, _height((text, width or sum(_WIDTHS[: last + 1]), size, bold)))


def _write_plan_sheet(wb, fm: _Formats, ws, sheet: FulfilmentSheet) -> None:
    last = len(_WIDTHS) - 1
    for c, w in enumerate(_WIDTHS):
        ws.set_column(c, c, w)
    ws.write_string(0, 0, sheet.kicker, fm.kicker)
    _merged_text(ws, 1, last, sheet.title, fm.title, 14, True)
    info = [f"Hodnocený rok {sheet.year}" if sheet.year else ""]
    info.append(f"soubor {sheet.plan.path.name}")
    ws.write_string(2, 0, " · ".join(i for i in info if i), fm.info)
    r = 3
    for note in sheet.notes:
        _merged_text(ws, r, last, note, fm.warn, 10, True)
        r += 1
    r += 1
    header_row = r
    cols = sheet.columns
    for c, (_key, heading) in enumerate(cols):
        ws.write_string(r, c, heading, fm.head)
    ws.set_row(r, _height(*[(h, _WIDTHS[c], 11, True) for c, (_k, h) in enumerate(cols)]))
    r += 1
    ws.freeze_panes(r, 0)
    for row in sheet.rows:
        _write_plan_row(ws, fm, r, row)
        r += 1
    if not sheet.rows:
        ws.write_string(r, 1, "Plán neobsahuje žádné položky.", fm.note)
        r += 1

    # projects (seed 004: projekt, realizátor, termín dokončení)
    r += 1
    ws.write_string(r, 1, sheet.projects_title, fm.section)
    r += 1
    _write_projects(ws, fm, r, sheet.projects)
    r += 1 + max(1, len(sheet.projects)) + 1

    # footer: place and date, zpracoval(a), schválil(a)
    if sheet.place_date:
        ws.write_string(r, 1, sheet.place_date, fm.sign)
        r += 2
    ws.write_string(r, 1, f"{_label('identifikace', 'zpracoval')}: {sheet.prepared_by}", fm.sign)
    r += 1
    ws.write_string(r, 1, f"{_label('identifikace', 'schvalil')}: {sheet.approved_by}", fm.sign)
    r += 2
    _merged_text(ws, r, last, LEGEND, fm.note, 9)
    _print_setup(ws, header_row, sheet.plan.submitter)
    ws.print_area(0, 0, r, last)


#: what the marks mean (printed under every sheet and the HTML page)
LEGEND = (
    f"{MARK} v kolonce Plán splněn = splněno, „{PARTIAL_WORD}“ = částečně splněno; "
    f"{MARK} v kolonce Plán nesplněn = nesplněno, „{CANCELLED_WORD}“ = aktivita zrušena; "
    f"{MARK} v kolonce Plán pro další rok = aktivita pokračuje (výslovně označená, nebo nesplněná či rozpracovaná). "
    "Splněno (%) = splněné aktivity / aktivity s vyplněným stavem."
)


def _write_plan_row(ws, fm: _Formats, r: int, row: FulfilmentRow) -> None:
    if row.kind in ("priority", "heading"):
        fmt = fm.prio if row.kind == "priority" else fm.heading
        ws.write_string(r, 0, row.number, fmt)
        ws.write_string(r, 1, row.text, fmt)
        for c in range(2, len(_WIDTHS)):
            ws.write_blank(r, c, None, fmt)
        _write_marks(ws, fm, r, row)
        ws.set_row(r, _height((row.text, _WIDTHS[1], 11, True)))
        return
    if row.kind == "goal":
        ws.write_blank(r, 0, None, fm.goal)
        ws.write_string(r, 1, row.text, fm.goal)
        for c in range(2, len(_WIDTHS)):
            ws.write_blank(r, c, None, fm.goal)
        ws.set_row(r, _height((row.text, _WIDTHS[1])))
        return
    ws.write_string(r, 0, row.number, fm.cell)
    name = row.text
    if row.description:
        ws.write_rich_string(r, 1, row.text, "\n", fm.desc, row.description, fm.cell)
        name = f"{row.text}\n{row.description}"
    else:
        ws.write_string(r, 1, row.text, fm.cell)
    for c in (2, 3, 4):
        ws.write_blank(r, c, None, fm.mark)
    _write_marks(ws, fm, r, row)
    ws.write_string(r, 5, row.realizator, fm.cell)
    for c, value, kind in (
        (6, row.planned, "money"),
        (7, row.spent, "money"),
        (9, row.target, "n"),
        (10, row.achieved, "n"),
    ):
        if value is None:
            ws.write_blank(r, c, None, fm.cell)
        else:
            ws.write_number(r, c, value, fm.money if kind == "money" else fm.number(value))
    ws.write_string(r, 8, row.indicator, fm.cell)
    ws.write_string(r, 11, row.comment, fm.cell)
    ws.set_row(
        r,
        _height(
            (name, _WIDTHS[1]),
            (row.realizator, _WIDTHS[5]),
            (row.indicator, _WIDTHS[8]),
            (row.comment, _WIDTHS[11]),
            *[(t, _WIDTHS[c], 9) for c, t in ((2, row.done), (3, row.not_done)) if t != MARK],
            minimum=_LINE * 12 / 11,
        ),
    )


def _write_marks(ws, fm: _Formats, r: int, row: FulfilmentRow) -> None:
    for c, text in ((2, row.done), (3, row.not_done), (4, row.next_year)):
        if not text:
            continue
        fmt = fm.mark if text == MARK else fm.word
        ws.write_string(r, c, text, fmt)


def _write_projects(ws, fm: _Formats, r: int, projects: list[dict[str, Any]]) -> None:
    """Projects under the plan: B projekt, C–E termín dokončení, F realizátor, G rozpočet, H stav."""
    labels = dict(project_columns())
    ws.write_string(r, 0, "č.", fm.head)
    ws.write_string(r, 1, labels["projekt"], fm.head)
    ws.merge_range(r, 2, r, 4, "", fm.head)
    ws.write_string(r, 2, labels["termin_dokonceni"], fm.head)
    ws.write_string(r, 5, labels["realizator"], fm.head)
    ws.write_string(r, 6, labels["rozpocet"], fm.head)
    ws.write_string(r, 7, labels["stav"], fm.head)
    ws.set_row(
        r,
        _height((labels["termin_dokonceni"], sum(_WIDTHS[2:5]), 11, True), (labels["rozpocet"], _WIDTHS[6], 11, True)),
    )
    if not projects:
        ws.write_string(r + 1, 1, "Žádné projekty nejsou uvedeny.", fm.note)
        return
    for n, p in enumerate(projects, start=1):
        rr = r + n
        ws.write_string(rr, 0, f"{n}.", fm.cell)
        ws.write_string(rr, 1, _text(p.get("projekt")), fm.cell)
        ws.merge_range(rr, 2, rr, 4, "", fm.cell)
        ws.write_string(rr, 2, _text(p.get("termin_dokonceni")), fm.cell)
        ws.write_string(rr, 5, _text(p.get("realizator")), fm.cell)
        budget = _num(p.get("rozpocet"))
        if budget is None:
            ws.write_blank(rr, 6, None, fm.cell)
        else:
            ws.write_number(rr, 6, budget, fm.money)
        ws.write_string(rr, 7, _project_status(p.get("stav")), fm.cell)
        ws.set_row(
            rr,
            _height(
                (_text(p.get("projekt")), _WIDTHS[1]),
                (_text(p.get("termin_dokonceni")), sum(_WIDTHS[2:5])),
                (_text(p.get("realizator")), _WIDTHS[5]),
                (_project_status(p.get("stav")), _WIDTHS[7]),
            ),
        )


SUMMARY_COLUMNS = [
    ("submitter", "Předkladatel"),
    ("plan", "Plán / priorita"),
    ("year", "Hodnocený rok"),
    ("activities", "Aktivit"),
    ("done", "Splněno"),
    ("partial", "Částečně splněno"),
    ("not_done", "Nesplněno"),
    ("cancelled", "Zrušeno"),
    ("no_status", "Bez stavu"),
    ("continuing", "Pokračuje v dalším roce"),
    ("pct_done", "Splněno (%)"),
]


def summary_rows(sheets: Sequence[FulfilmentSheet]) -> list[dict[str, Any]]:
    """One row per plan (``level`` = "plan") followed by its priorities (``level`` = "priority")."""
    out = []
    for s in sheets:
        for level, name, stats in [("plan", s.title, s.stats)] + [("priority", n, st) for n, st in s.by_priority]:
            out.append(
                {
                    "level": level,
                    "submitter": s.plan.submitter,
                    "plan": name,
                    "year": s.year,
                    "activities": stats.activities,
                    "done": stats.done,
                    "partial": stats.partial,
                    "not_done": stats.not_done,
                    "cancelled": stats.cancelled,
                    "no_status": stats.no_status,
                    "continuing": stats.continuing,
                    "pct_done": stats.pct_done,
                }
            )
    return out


def _write_summary(wb, fm: _Formats, ws, sheets: Sequence[FulfilmentSheet], names: list[str]) -> None:
    widths = [34, 52, 10, 9, 9, 10, 10, 9, 9, 12, 10]
    for c, w in enumerate(widths):
        ws.set_column(c, c, w)
    years = sorted({s.year for s in sheets if s.year})
    ws.write_string(0, 0, "Komunitní plánování sociálních služeb", fm.kicker)
    title = "Plnění plánů – souhrn" + (f" za rok {', '.join(map(str, years))}" if years else "")
    last = len(widths) - 1
    _merged_text(ws, 1, last, title, fm.title, 14, True, width=sum(widths))
    r = 3
    for c, (_k, heading) in enumerate(SUMMARY_COLUMNS):
        ws.write_string(r, c, heading, fm.head)
    ws.set_row(r, _height(*[(h, widths[c], 11, True) for c, (_k, h) in enumerate(SUMMARY_COLUMNS)]))
    header_row = r
    r += 1
    ws.freeze_panes(r, 0)
    sheet_of = {id(s): name for s, name in zip(sheets, names)}
    for s in sheets:
        rows = summary_rows([s])
        for i, row in enumerate(rows):
            bold = row["level"] == "plan"
            text_fmt = fm.bold_cell if bold else fm.cell
            if bold:
                target = sheet_of[id(s)].replace("'", "''")
                ws.write_url(r, 0, f"internal:'{target}'!A1", text_fmt, string=row["submitter"])
            else:
                ws.write_blank(r, 0, None, text_fmt)
            ws.write_string(r, 1, row["plan"], text_fmt if bold else fm.indented)
            ws.set_row(
                r,
                _height(
                    (row["submitter"] if bold else "", widths[0], 11, bold), (row["plan"] + "   ", widths[1], 11, bold)
                ),
            )
            if row["year"]:
                ws.write_number(r, 2, row["year"], fm.bold_cell if bold else fm.cell)
            else:
                ws.write_blank(r, 2, None, text_fmt)
            for c, key in enumerate(
                ("activities", "done", "partial", "not_done", "cancelled", "no_status", "continuing"), start=3
            ):
                ws.write_number(r, c, row[key], fm.bold_int if bold else fm.int)
            if row["pct_done"] is None:
                ws.write_string(r, 10, "–", text_fmt)
            else:
                ws.write_number(r, 10, row["pct_done"], fm.bold_pct if bold else fm.pct)
            r += 1
    r += 1
    _merged_text(ws, r, last, LEGEND, fm.note, 9, width=sum(widths))
    _print_setup(ws, header_row, "Plnění plánů – souhrn")
    ws.activate()


def write_fulfilment(
    plans: Sequence[Plan],
    output: str | os.PathLike,
    *,
    year: int | None = None,
    protect: Iterable[str | os.PathLike] = (),
) -> Path:
    """Write the fulfilment workbook: one sheet per plan, plus *Souhrn* when there are several.

    ``year`` is the evaluated year (default: each plan's own *Rok*); ``protect`` lists
    files that must never be overwritten (the inputs).
    """
    import xlsxwriter

    from xlkpss.fsutil import atomic_path

    if not plans:
        raise ValueError("no plans")
    output = Path(output)
    guard = {Path(p) for p in protect} | {p.path for p in plans}
    sheets = [build_sheet(p, year=year) for p in plans]
    with atomic_path(output, protect=guard) as tmp:
        wb = xlsxwriter.Workbook(
            str(tmp),
            {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False},
        )
        wb.set_properties(
            {
                "title": "Vyhodnocení plánu sociálních služeb",
                "author": "xlkpss",
                "company": "",
                "created": _FIXED_DATE,
            }
        )
        fm = _Formats(wb)
        used = {SUMMARY_SHEET.casefold()} if len(sheets) > 1 else set()
        names = [sheet_name(s.plan.submitter, used) for s in sheets]
        if len(sheets) > 1:
            _write_summary(wb, fm, wb.add_worksheet(SUMMARY_SHEET), sheets, names)
        for s, name in zip(sheets, names):
            _write_plan_sheet(wb, fm, wb.add_worksheet(name), s)
        wb.close()
    return output


# --- HTML --------------------------------------------------------------------------------


def _value_text(value: float | None) -> str:
    """An indicator value the Czech way: 12 / 12,5 (blank when missing)."""
    from xlkpss.i18n import format_number

    if value is None:
        return ""
    if float(value).is_integer():
        return format_number(value, 0)
    return format_number(value, 2).rstrip("0")  # 12,50 → 12,5


def render_fulfilment_html(plans: Sequence[Plan], *, year: int | None = None) -> str:
    """The same content as a printable page (A4 landscape), self-contained."""
    from xlkpss import __version__
    from xlkpss.render.html import render_template

    sheets = [build_sheet(p, year=year) for p in plans]
    years = sorted({s.year for s in sheets if s.year})
    return render_template(
        "fulfilment.html.j2",
        sheets=sheets,
        summary=summary_rows(sheets) if len(sheets) > 1 else [],
        summary_columns=SUMMARY_COLUMNS,
        years=years,
        legend=LEGEND,
        mark=MARK,
        version=__version__,
        project_labels=dict(project_columns()),
        project_status=_project_status,
        value_text=_value_text,
        prepared_label=_label("identifikace", "zpracoval"),
        approved_label=_label("identifikace", "schvalil"),
    )


def write_fulfilment_html(
    plans: Sequence[Plan],
    output: str | os.PathLike,
    *,
    year: int | None = None,
    protect: Iterable[str | os.PathLike] = (),
) -> Path:
    from xlkpss.fsutil import write_text_atomic

    guard = {Path(p) for p in protect} | {p.path for p in plans}
    return write_text_atomic(output, render_fulfilment_html(plans, year=year), protect=guard)
