"""The consolidated workbook: write a ``Consolidated`` to .xlsx and read it back.

Writing (xlsxwriter): Czech sheet names, one Excel table per sheet (filters, frozen
header), Czech number formats that survive a Czech LibreOffice (spaces only inside
quotes: ``#,##0" Kč"``), print setup (A4 landscape, fit to width, header row repeated).
Totals are live formulas (SUMIFS/COUNTIFS over Služby and Aktivity) *with their computed
value cached*, so a program that never recalculates reads the right numbers and a
LibreOffice or Excel recalculation gives the same ones.  Text from submissions is always
written as text (``strings_to_formulas`` off and ``write_string``): a provider called
``=HYPERLINK(…)`` stays a name.  A hidden sheet ``_xlkpss`` (kind ``souhrn``) makes the
workbook recognisable, so it can be an input of a regional merge.  The bytes depend only
on the data and ``meta["generated"]`` (fixed document dates).  The file is written
atomically and never over an input.

Reading: ``read_consolidated`` (python-calamine through the safe reader, cached values)
returns the same ``Consolidated`` the merge produced.

This module writes; the rest has modules of its own: ``bookformat`` (what writing and
reading share: the ``_xlkpss`` sheet, header rows, layout), ``cellstyle`` (formats, widths,
fills, print setup), ``formulas`` (the live totals), ``readback`` (``read_consolidated``,
``is_consolidated``, ``as_written``; importable from here as before).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from xlkpss import __version__
from xlkpss.fsutil import OutputError, atomic_path
from xlkpss.merge import network
from xlkpss.merge.bookformat import (
    FORMAT_VERSION,
    META_KIND,
    META_SHEET,
    TITLE_ROWS,
    SheetLayout,
    column_labels,
    jsonable,
)
from xlkpss.merge.cellstyle import (
    MACHINE_COLUMNS,
    NUMBER_FORMATS,
    Writer,
    clean_rows,
    column_widths,
    coverage_highlight,
    head_columns,
    kind_of,
    overview_kind,
    print_setup,
    row_fill,
    row_heights,
    wrap_cut_text,
    wraps_text,
)
from xlkpss.merge.errorgroups import ERROR_GROUPS, error_group
from xlkpss.merge.formulas import Formulas, formula_result
from xlkpss.merge.model import OPTIONAL_SHEETS, SHEET_COLUMNS, SHEETS, STATUS_LABELS, Consolidated
from xlkpss.merge.readback import ConsolidatedReadError, as_written, is_consolidated, read_consolidated
from xlkpss.merge.xlsxrows import Formula, RowsWorksheet, fast_close
from xlkpss.perf import gc_paused

# read_consolidated & co. live in merge.readback and stay importable from here
__all__ = [
    "FORMAT_VERSION",
    "META_SHEET",
    "NUMBER_FORMATS",
    "TABLE_NAMES",
    "ConsolidatedReadError",
    "as_written",
    "errors_summary_text",
    "generated_text",
    "is_consolidated",
    "read_consolidated",
    "write_consolidated",
]


#: Excel table name per sheet (ASCII: table names cannot contain spaces or most symbols)
TABLE_NAMES = {
    "overview": "TabPrehled",
    "submissions": "TabOdevzdani",
    "submitter_completeness": "TabUplnostPredkladatelu",
    "service_comparison": "TabPorovnaniSluzeb",
    network.SHEET_KEY: "TabSitVsSkutecnost",
    "services": "TabSluzby",
    "capacities": "TabKapacity",
    "coverage": "TabCiloveSkupiny",
    "gaps": "TabChybejiciSluzby",
    "funding": "TabFinancovani",
    "plan_summary": "TabPlneniPlanu",
    "activities": "TabAktivity",
    "carryover": "TabPokracuje",
    "projects": "TabProjekty",
    "conflicts": "TabKonflikty",
    "corrections": "TabOpravy",
    "changes": "TabMezirocniZmeny",
    "queries": "TabNeobvykleHodnoty",
    "errors": "TabChyby",
}


_FIXED_TIME = dt.time(0, 0, 0)


_MAX_TEXT = 32767


@gc_paused
def write_consolidated(
    c: Consolidated,
    path: str | os.PathLike,
    *,
    protect_inputs: Iterable[str | os.PathLike] = (),
    deflate_threads: bool = True,
) -> Path:
    """Write ``c`` as a consolidated workbook to ``path`` (.xlsx), atomically; refuses to
    overwrite any path in ``protect_inputs`` (``OutputError``).  ``deflate_threads``: the
    large parts deflated in worker threads (``xlsxrows.fast_close``; the same bytes) —
    False where every core is busy already, as in the worker processes of a territory run."""
    import xlsxwriter

    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise OutputError(path, "suffix", expected=".xlsx")
    protect = {Path(p) for p in protect_inputs}
    meta = dict(c.meta)
    generated = dt.date.fromisoformat(str(meta.get("generated") or dt.date.today().isoformat())[:10])
    title = f"Souhrn KPSS – {'ORP ' if meta.get('level') == 'orp' else ''}{meta.get('territory_name', '')}, {meta.get('year', '')}"

    written = [key for key in SHEETS if key not in OPTIONAL_SHEETS or key in c.tables]
    frames = {key: c.table(key) for key in written}
    columns = {
        key: (list(frames[key].columns) if len(frames[key].columns) else list(SHEET_COLUMNS[key])) for key in written
    }
    layouts = {
        key: SheetLayout(
            name=SHEETS[key],
            columns=columns[key],
            header_row=TITLE_ROWS.get(key, 0),
            n_rows=max(1, len(frames[key])),
        )
        for key in written
    }
    formulas = Formulas(c, layouts)

    with atomic_path(path, protect=protect) as tmp:
        # the zip is built in memory and written in one piece: zipfile seeks back over every
        # part's header, and on a file each seek writes out its buffer
        buffer = io.BytesIO()
        wb = xlsxwriter.Workbook(
            buffer,
            {
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
                "nan_inf_to_errors": False,
                "in_memory": True,  # no temporary file per sheet
            },
        )
        wb.set_properties(
            {
                "title": title,
                "subject": "Souhrnný sešit komunitního plánování sociálních služeb",
                "author": "xlkpss",
                "company": "",
                "created": dt.datetime.combine(generated, _FIXED_TIME),
                "comments": f"xlkpss {__version__}",
            }
        )
        wb.set_custom_property("xlkpss_kind", META_KIND)
        wb.set_custom_property("xlkpss_format_version", str(FORMAT_VERSION))
        w = Writer(wb, c)
        for key in written:
            _write_sheet(w, key, frames[key], layouts[key], formulas, title, meta)
        _write_meta(wb, c, layouts)
        wb.worksheets()[0].activate()
        # parts over 16 KB at zlib level 1 (xlsxrows.LARGE_PART), shared strings at once
        with fast_close(threads=deflate_threads):
            wb.close()
        tmp.write_bytes(buffer.getvalue())
    return path


#: sheets whose cells get a fill by row (or, Přehled, a format by row)
_FILLED_SHEETS = ("gaps", "changes", "overview", "errors", network.SHEET_KEY)


def _computed_cells(
    w: Writer,
    key: str,
    i: int,
    vals: list[Any],
    cols: list[str],
    kinds: list[str],
    wraps: list[bool],
    plain: list[Any],
    plain_text: list[Any],
    status_col: int,
    make: Callable[[int, dict[str, Any]], dict[str, str]] | None,
    formats: dict[tuple, Any],
) -> list[tuple[int, Any, Any]]:
    """The cells of row ``i`` of a sheet with formulas, fills or a status column;
    ``formats``: the sheet's formats by (column, kind, fill, bold), filled as needed."""
    r = dict(zip(cols, vals))
    fill = row_fill(key, r)
    computed = make(i, r) if make else None
    cells: list[tuple[int, Any, Any]] = []
    for j, value in enumerate(vals):
        kind, cell_fill = kinds[j], fill
        if key == "overview" and cols[j] == "value":
            kind = overview_kind(r)
        if j == status_col and value in STATUS_LABELS:
            cell_fill, value = value, STATUS_LABELS[value]
        if computed and cols[j] in computed:
            bold = fill == "core"
            fmt = formats.get((-1, kind, cell_fill, bold))
            if fmt is None:
                fmt = formats[(-1, kind, cell_fill, bold)] = w.fmt(kind, cell_fill, bold=bold)
            result = "" if value is None else value if type(value) is int else formula_result(value)
            cells.append((j, Formula(computed[cols[j]], result, classic=True), fmt))
            continue
        if value is None and cell_fill is None:
            continue  # an empty cell without a fill needs no cell at all (most optional fields)
        if isinstance(value, str):
            kind = "text"
        if cell_fill is None and kind == kinds[j]:
            fmt = plain[j]
        elif cell_fill is None and kind == "text":
            fmt = plain_text[j]
        else:
            bold = fill == "core"
            fmt = formats.get((j, kind, cell_fill, bold))
            if fmt is None:
                fmt = formats[(j, kind, cell_fill, bold)] = w.fmt(kind, cell_fill, bold=bold, wrap=wraps[j])
        cells.append((j, value, fmt))
    return cells


def _write_sheet(
    w: Writer, key: str, frame: Any, layout: SheetLayout, formulas: Formulas, title: str, meta: dict
) -> None:
    ws = w.wb.add_worksheet(layout.name, worksheet_class=RowsWorksheet)
    cols = layout.columns
    labels = column_labels(key, cols)
    if len(set(labels)) != len(labels):  # pragma: no cover - guarded by tests of the model
        raise ValueError(f"{key}: duplicate column labels {labels}")
    # one object array for the whole frame (itertuples() costs a pandas lookup per column)
    rows = clean_rows(frame.to_numpy(dtype=object))
    h = layout.header_row
    _write_title_rows(w, ws, key, cols, rows, title, meta)
    kinds = [kind_of(key, col) for col in cols]
    wraps = [wraps_text(key, col) for col in cols]
    head = head_columns(rows, len(cols))
    widths = column_widths(key, cols, labels, head, wraps)
    wraps = wrap_cut_text(head, kinds, wraps, widths)
    # the formats of a cell without a fill: by column, for a number and for a text
    plain = [w.fmt(kind, wrap=wrap) for kind, wrap in zip(kinds, wraps)]
    plain_text = [w.fmt("text", wrap=wrap) for wrap in wraps]
    status_col = cols.index("status") if "status" in cols else -1
    make = formulas.for_sheet(key)
    first = h + 1
    formats: dict[tuple, Any] = {}
    if status_col < 0 and key not in _FILLED_SHEETS:
        # a record sheet (Služby, Aktivity, …) or a computed one (Kapacity, Financování …):
        # no fills: the format follows the column and whether the value is text or a
        # formula; an empty cell needs no cell at all
        ws.write_rows(first, rows, plain, plain_text, [w.fmt(kind) for kind in kinds], formulas.rows_of(key, cols))
    else:
        for i, vals in enumerate(rows):
            ws.write_cells(
                first + i, _computed_cells(w, key, i, vals, cols, kinds, wraps, plain, plain_text, status_col, make, formats)
            )
    if not rows:
        ws.write_cells(first, [(j, None, w.fmt(kinds[j])) for j in range(len(cols))])
    header_fmt = w.fmt(header=True)
    ws.add_table(
        h,
        0,
        layout.last - 1,
        len(cols) - 1,
        {
            "name": TABLE_NAMES[key],
            "columns": [{"header": label, "header_format": header_fmt} for label in labels],
            "style": "Table Style Light 9",
            "autofilter": True,
        },
    )
    ws.set_column_widths(widths, [col in MACHINE_COLUMNS for col in cols])
    ws.set_row_heights(row_heights(first, rows, widths, wraps))
    ws.set_row(h, 45)
    ws.freeze_panes(h + 1, 1 if key == "coverage" else 0)
    if key == "coverage" and rows and len(cols) > 2:
        coverage_highlight(w, ws, cols, layout)
    print_setup(ws, key, cols, widths, layout, title)


def _write_title_rows(w: Writer, ws: Any, key: str, cols: list[str], rows: list[list[Any]], title: str, meta: dict):
    """The rows above the table: Přehled's title, Chyby's groups with their counts."""
    bold14 = w.wb.add_format({"bold": True, "font_size": 14})
    if key == "overview":
        ws.write_string(0, 0, title, bold14)
        ws.write_string(
            1,
            0,
            f"Vytvořeno {generated_text(meta)} programem xlkpss {meta.get('version', __version__)}; "
            "údaje z odevzdaných souborů, vzorce přepočítávají součty z listů Služby a Aktivity.",
        )
    elif key == "errors":
        ws.write_string(0, 0, "Chyby: nejdříve co je třeba opravit, pak upozornění, na konci informace", bold14)
        ws.write_string(1, 0, errors_summary_text([dict(zip(cols, r)) for r in rows]))


def errors_summary_text(records: list[dict[str, Any]]) -> str:
    """One line with the count of each group of Chyby (the informational lines by reason)."""
    from xlkpss.i18n import format_number

    groups: dict[str, list[dict[str, Any]]] = {g: [] for g in ERROR_GROUPS}
    for r in records:
        groups[error_group(r)].append(r)
    parts = []
    for g, heading in ERROR_GROUPS.items():
        part = f"{heading.split(' – ')[0]}: {format_number(len(groups[g]))}"
        if g == "info" and groups[g]:
            reasons: dict[str, int] = {}
            for r in groups[g]:
                reason = str(r.get("reason") or "")
                reasons[reason] = reasons.get(reason, 0) + 1
            part += " (" + ", ".join(f"{k} {format_number(n)}×" for k, n in reasons.items()) + "; na konci listu)"
        parts.append(part)
    return " · ".join(parts) if records else "Žádné chyby ani upozornění."


def generated_text(meta: dict) -> str:
    try:
        d = dt.date.fromisoformat(str(meta.get("generated"))[:10])
    except ValueError:
        return str(meta.get("generated") or "")
    return f"{d.day}. {d.month}. {d.year}"


def _write_meta(wb: Any, c: Consolidated, layouts: dict[str, SheetLayout]) -> None:
    ws = wb.add_worksheet(META_SHEET)
    m = c.meta
    rows: list[tuple[str, str]] = [
        ("kind", META_KIND),
        ("format_version", str(FORMAT_VERSION)),
        ("generator", f"xlkpss {m.get('version', __version__)}"),
        ("level", str(m.get("level", ""))),
        ("territory", f"{m.get('level', '')}:{m.get('territory_code', '')}"),
        ("territory_code", str(m.get("territory_code", ""))),
        ("territory_name", str(m.get("territory_name", ""))),
        ("year", str(m.get("year", ""))),
        ("generated", str(m.get("generated", ""))),
        ("version", str(m.get("version", __version__))),
        ("meta", json.dumps(jsonable(m), ensure_ascii=False, sort_keys=True)),
    ]
    for key, layout in layouts.items():
        rows.append((f"columns:{key}", json.dumps(layout.columns, ensure_ascii=False)))
        rows.append((f"header:{key}", str(layout.header_row)))
    for r, (k, v) in enumerate(rows):
        ws.write_string(r, 0, k)
        ws.write_string(r, 1, v[:_MAX_TEXT])
    ws.hide()
