"""An annotated copy of a submission, ready to e-mail back.

Every problem cell is highlighted (red = error, yellow = warning, green = explained
warning) and carries a comment with the message; a first sheet "Kontrola" says what to
do next and lists all problems (errors that reject the whole file first) with links to
their cells.  The original file is never modified.

Every copy is a working template.  An .xlsx is marked as it is (the clerk's formatting
kept).  An .xls or .ods (which openpyxl cannot edit), and an .xlsx whose data validations
were lost, becomes the *current* template for the submitter's territory and year filled
with exactly the submitted values — dropdowns, input rules, table, formats and live checks
— with the marks on top (``rebuild_as_template``); a column the template does not know is
kept on a sheet „Navíc – <list>“ and reported, a sheet it does not know is copied as it is.

Annotating is idempotent: annotating an annotated copy (also one the clerk fixed and
re-saved in LibreOffice or Excel) first removes everything an earlier annotation added —
the Kontrola sheet, the marks' fills (the original fill is restored from a hidden column
of Kontrola) and the marks' comment lines — and then marks what is wrong now.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path

from xlkpss.fsutil import OutputError, atomic_path
from xlkpss.validate.issues import FileResult, Issue, display_value

__all__ = [
    "EXTRA_SHEET",
    "REPORT_SHEET",
    "annotate",
    "annotate_all",
    "annotated_name",
    "effect_of",
    "kontrola_rows",
    "order_key",
    "rebuild_as_template",
    "remove_annotation",
]

REPORT_SHEET = "Kontrola"
_FILLS = {"error": "FFC7CE", "warning": "FFEB9C", "explained": "C6EFCE"}
_OUR_COLOURS = frozenset(_FILLS.values())
#: header of the hidden column of Kontrola holding the original fill of each marked cell;
#: it also tells our Kontrola sheet from a sheet of the clerk's that happens to be so named
_MARKER = "xlkpss-kontrola"
_MARKER_COL = 8  # H
#: the template's font (xlsxwriter's and openpyxl's default)
_FONT = "Calibri"
#: a line of a comment written by an annotation starts with the severity word in brackets
_OUR_LINE = re.compile(r"^\[(chyba|upozornění|vysvětleno|error|warning|explained)\] ")
_OUR_SHEET = re.compile(rf"^{REPORT_SHEET}\d*$")
#: A1 of the Kontrola sheets of earlier versions (before the marker column)
_OLD_TITLES = ("Kontrola souboru ", "Check of ")

_TEXT = {
    "cs": {
        "title": "Kontrola souboru {name}",
        "ok": "Soubor je v pořádku: kontrola nenašla žádnou chybu ani upozornění, nic není třeba opravovat.",
        "fix": "Opravte označené buňky a pošlete soubor znovu. Červeně jsou chyby (je nutné je opravit), "
        "žlutě upozornění (hodnotu opravte, nebo ji vysvětlete ve sloupci Poznámka či Komentář na stejném řádku). "
        "Klepnutím na adresu ve sloupci Buňka přejdete přímo na místo.",
        "file": "Soubor teď nelze přijmout: nejdříve opravte chyby nahoře, které vyřadí celý soubor.",
        "warn_only": "Soubor lze přijmout. Zkontrolujte upozornění: hodnotu opravte, nebo ji vysvětlete ve sloupci "
        "Poznámka či Komentář na stejném řádku, a pošlete soubor znovu.",
        "counts": "Chyb: {errors} (z toho vyřadí celý soubor: {file}), upozornění: {warnings}.",
        "heads": ("List", "Buňka", "Sloupec", "Hodnota v buňce", "Závažnost", "Dopad", "Problém"),
        "effect_file": "tato chyba vyřadí celý soubor",
        "effect_row": "tato chyba vyřadí řádek {row}",
        "effect_row_nameless": "tato chyba vyřadí řádek",
        "effect_none": "nic se nevyřadí",
    },
    "en": {
        "title": "Check of {name}",
        "ok": "The file is fine: the check found no error and no warning, nothing needs fixing.",
        "fix": "Fix the marked cells and send the file again. Red are errors (they must be fixed), yellow are "
        "warnings (fix the value or explain it in the Poznámka or Komentář column of the same row). "
        "Click the address in the Cell column to go straight to the place.",
        "file": "The file cannot be accepted now: first fix the errors at the top, which reject the whole file.",
        "warn_only": "The file can be accepted. Check the warnings: fix the value or explain it in the Poznámka or "
        "Komentář column of the same row, and send the file again.",
        "counts": "Errors: {errors} (rejecting the whole file: {file}), warnings: {warnings}.",
        "heads": ("Sheet", "Cell", "Column", "Value in the cell", "Severity", "Effect", "Problem"),
        "effect_file": "this error rejects the whole file",
        "effect_row": "this error excludes row {row}",
        "effect_row_nameless": "this error excludes the row",
        "effect_none": "nothing is excluded",
    },
}
_WIDTHS = (16, 8, 24, 26, 12, 22, 80)
_EFFECT_RANK = {"file": 0, "row": 1, "none": 2}


def annotated_name(path: Path) -> str:
    """``x.xlsx`` → ``x_kontrola.xlsx``; other formats keep their extension in the name
    (``x.ods`` → ``x_ods_kontrola.xlsx``) so copies of ``x.xlsx`` and ``x.ods`` differ.
    A copy of a copy keeps the name (``x_kontrola.xlsx`` → ``x_kontrola.xlsx``)."""
    path = Path(path)
    ext = path.suffix.lower().lstrip(".")
    stem = path.stem
    if ext == "xlsx":
        stem = re.sub(r"_kontrola$", "", stem)
        return f"{stem}_kontrola.xlsx"
    return f"{stem}_{ext}_kontrola.xlsx" if ext else f"{stem}_kontrola.xlsx"


# -- effect and order ---------------------------------------------------------------------


def effect_of(issue: Issue, res: FileResult) -> str:
    """What the issue does to the submission: ``file`` (rejects the whole file), ``row``
    (the row is left out of the merge) or ``none`` — as validation settled it."""
    effect = res.effect_of(issue)
    return effect if effect in _EFFECT_RANK else "none"


def order_key(issue: Issue, res: FileResult) -> tuple:
    """Errors that reject the file first, then row errors, then the rest; within each in
    the order of the file (sheet, row, column)."""
    from openpyxl.utils.cell import coordinate_from_string, column_index_from_string

    col = 0
    if issue.cell:
        try:
            col = column_index_from_string(coordinate_from_string(issue.cell)[0])
        except ValueError:
            col = 0
    sheets = list(res.sheet_names.values())
    sheet_pos = sheets.index(issue.sheet) if issue.sheet in sheets else (-1 if not issue.sheet else len(sheets))
    return (_EFFECT_RANK[effect_of(issue, res)], issue.severity != "error", sheet_pos, issue.row or 0, col, issue.code)


# -- removing an earlier annotation -------------------------------------------------------


def _fill_code(fill) -> str:
    """A cell's fill as text (``solid:FFFFFFFF``), '' for none or one we cannot write back."""
    if fill is None or not fill.fill_type:
        return ""
    rgb = getattr(fill.fgColor, "rgb", None)
    if not isinstance(rgb, str):
        return ""
    return f"{fill.fill_type}:{rgb}"


def _is_ours(fill) -> bool:
    if fill is None or fill.fill_type != "solid":
        return False
    rgb = getattr(fill.fgColor, "rgb", None)
    return isinstance(rgb, str) and rgb[-6:].upper() in _OUR_COLOURS


def _is_report_sheet(ws) -> bool:
    if not _OUR_SHEET.match(ws.title):
        return False
    if ws.cell(_header_row(ws) or 1, _MARKER_COL).value == _MARKER:
        return True
    a1 = ws["A1"].value
    return isinstance(a1, str) and a1.startswith(_OLD_TITLES)


def _header_row(ws) -> int | None:
    for r in range(1, 8):
        if ws.cell(r, _MARKER_COL).value == _MARKER:
            return r
    return None


def _strip_comment(text: str) -> str | None:
    """The comment without the lines an annotation added (None: nothing of ours)."""
    lines = text.split("\n")
    for n, line in enumerate(lines):
        if _OUR_LINE.match(line.strip()):
            return "\n".join(lines[:n]).rstrip()
    return None


def remove_annotation(wb) -> int:
    """Remove from an openpyxl workbook everything an earlier annotation added; returns
    the number of cells cleaned.  Cells listed on an old Kontrola get their original fill
    back; a cell with our colour that Kontrola does not list (deleted by the clerk) gets
    no fill."""
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    originals: dict[tuple[str, str], str] = {}
    for ws in list(wb.worksheets):
        if not _is_report_sheet(ws):
            continue
        head = _header_row(ws)
        if head:
            for row in ws.iter_rows(min_row=head + 1, max_col=_MARKER_COL, values_only=True):
                sheet, cell, orig = row[0], row[1], row[_MARKER_COL - 1]
                if sheet and cell:
                    originals.setdefault((str(sheet), str(cell)), str(orig or ""))
        wb.remove(ws)
    cleaned = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                touched = False
                if cell.comment is not None:
                    rest = _strip_comment(cell.comment.text or "")
                    if rest is not None:
                        touched = True
                        cell.comment = Comment(rest, cell.comment.author or "") if rest.strip() else None
                key = (ws.title, cell.coordinate)
                if _is_ours(cell.fill) or (key in originals and _is_ours(cell.fill)):
                    touched = True
                    orig = originals.get(key, "")
                    if orig:
                        kind, rgb = orig.split(":", 1)
                        cell.fill = PatternFill(kind, fgColor=rgb)
                    else:
                        cell.fill = PatternFill(fill_type=None)
                cleaned += touched
    return cleaned


# -- loading ------------------------------------------------------------------------------


#: formula errors an .xlsx can hold as such
_EXCEL_ERRORS = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"})
#: the sheet an unknown column of the clerk's is kept on („Navíc – Služby“)
EXTRA_SHEET = "Navíc – {sheet}"

#: where an issue's cell is in the copy: (sheet, cell) of the file → (sheet, cell) of the copy
Where = dict[tuple[str, str], tuple[str, str]]


def _load(res: FileResult):
    """The workbook to mark and where each cell of the file sits in it.

    An .xlsx with its data validations is edited in place (after removing an earlier
    annotation).  An .xls / .ods — and an .xlsx whose dropdowns and input rules were lost —
    becomes the current template filled with the submitted values (``rebuild_as_template``),
    so the copy the clerk gets back is a working template again."""

    if res.format in ("xlsx", "xlsm"):
        wb = _open_xlsx(res.path)
        if not _validations_lost(wb, res):
            remove_annotation(wb)
            _print_filled_rows(wb, res.kind, {n: k for k, n in res.sheet_names.items()})
            return wb, {}, []
    rebuilt = rebuild_as_template(res)
    if rebuilt is not None:
        return rebuilt
    return _bare_copy(res), {}, []


def _open_xlsx(path):
    """openpyxl's workbook of an .xlsx.  openpyxl cannot hold the template's whole-column
    print area ($A:$AH) and says so; ``_print_filled_rows`` sets it again."""
    import warnings

    import openpyxl

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Print area cannot be set", category=UserWarning)
        return openpyxl.load_workbook(path, keep_vba=False, rich_text=False)


def _print_filled_rows(wb, kind: str | None, keys: dict[str, str]) -> None:
    """The print area of each table sheet of the template: its columns, down to the last
    filled row (``keys``: sheet name in ``wb`` → sheet key)."""
    from xlkpss.cells import col_letter
    from xlkpss.spec import get_template

    if not kind:
        return
    t = get_template(kind)
    for name, key in keys.items():
        if name not in wb.sheetnames or key not in {s.key for s in t.table_sheets}:
            continue
        ws, width = wb[name], len(t.sheet(key).fields)
        last = 1
        for row in ws.iter_rows(min_row=1, max_col=width):
            if any(c.value is not None for c in row):
                last = row[0].row
        ws.print_area = f"A1:{col_letter(width - 1)}{last}"


def _validations_lost(wb, res: FileResult) -> bool:
    """An xlkpss submission whose data sheets carry no data validation at all (saved by a
    program that drops them)."""
    names = [n for n in res.sheet_names.values() if n in wb.sheetnames]
    return bool(res.kind and names) and all(not wb[n].data_validations.dataValidation for n in names)


def _bare_copy(res: FileResult):
    """Values only, same sheets and cells (a file that is not a recognisable template)."""
    import openpyxl

    from xlkpss.read.files import read_workbook

    raw = read_workbook(res.path)
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for sheet in raw.sheets:
        ws = wb.create_sheet(sheet.name[:31])
        ws.sheet_state = "hidden" if sheet.hidden else "visible"
        _copy_values(ws, sheet)
    for ws in list(wb.worksheets):
        if _is_report_sheet(ws):
            wb.remove(ws)
    return wb


def _copy_values(ws, sheet, columns: list[int] | None = None, first_row: int = 0) -> None:
    """Values of a raw sheet into ``ws`` at the same cells (``columns``: only those, packed
    from column A; ``first_row``: the raw row that becomes row 1)."""
    cols = columns if columns is not None else None
    for r, row in enumerate(sheet.rows[first_row:], start=1):
        picked = [(n, row[c] if c < len(row) else None, c) for n, c in enumerate(cols, start=1)] if cols is not None else [
            (c, v, c - 1) for c, v in enumerate(row, start=1)]  # fmt: skip
        for c_out, v, c_in in picked:
            err = sheet.errors.get((r - 1 + first_row, c_in))
            if v is None and err is None:
                continue
            cell = ws.cell(r, c_out, err if err is not None else v)
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text from a submission is never a formula


def rebuild_as_template(res: FileResult):
    """The current template of the submission's kind, for its territory and year, filled
    with exactly the values submitted (text as text, numbers as numbers) — dropdowns, input
    rules, table, formats and live checks included.  Returns (workbook, where, extra sheet
    names), or None when the file is not a recognisable template.

    Nothing of the clerk's is dropped: a column the template does not know (reported as
    ``column-unknown``) is kept with its rows on a sheet of its own (``EXTRA_SHEET``), and a
    sheet the template does not have is copied as it is."""
    import tempfile

    import openpyxl

    from xlkpss.cells import a1
    from xlkpss.read.files import read_workbook
    from xlkpss.read.recognise import recognise
    from xlkpss.template import LISTS_SHEET, META_SHEET, build_template, field_cell

    if not res.kind:
        return None
    raw = read_workbook(res.path)
    sub = recognise(raw)
    if sub.template is None or sub.kind != res.kind or not sub.sheets:
        return None
    t = sub.template
    where: Where = {}
    prefill: dict[str, object] = {}
    rows: dict[str, list[dict[str, object]]] = {}
    extra_cols: dict[str, list[int]] = {}
    unknown = {(i.sheet, i.cell) for i in res.issues if i.code == "column-unknown"}
    errors: dict[tuple[str, str], str] = {}  # formula errors of the file, by cell of the copy
    for key, data in sub.sheets.items():
        spec, src = data.spec, raw.sheet(data.sheet_name)
        if src is None:
            continue
        if spec.layout == "keyvalue":
            prefill.update({f.key: None for f in spec.fields})
            for fkey, row0 in data.positions.items():
                err = src.errors.get((row0, data.anchor))
                prefill[fkey] = err if err is not None else src.cell(row0, data.anchor)
                target = field_cell(t.kind, key, fkey)
                if err is not None:
                    errors[(spec.name, target)] = err
                where[(src.name, a1(row0, data.anchor))] = (spec.name, target)
                where[(src.name, a1(row0, data.anchor - 1))] = (spec.name, f"A{target[1:]}")
            continue
        head = data.anchor
        index = {f.key: n for n, f in enumerate(spec.fields)}
        table: list[dict[str, object]] = []
        for r in range(head + 1, len(src.rows)):
            values = {}
            for fkey, c in data.positions.items():
                err = src.errors.get((r, c))
                v = err if err is not None else src.cell(r, c)
                if err is not None:
                    errors[(spec.name, a1(r - head, index[fkey]))] = err
                if v is not None:
                    values[fkey] = v
            table.append(values)
        while table and not table[-1]:
            table.pop()
        rows[key] = table
        for fkey, c in data.positions.items():
            for r in range(head, max(len(src.rows), head + 1)):
                where[(src.name, a1(r, c))] = (spec.name, a1(r - head, index[fkey]))
        extra = [c for c, v in enumerate(src.rows[head]) if (src.name, a1(head, c)) in unknown]
        if extra:
            extra_cols[key] = extra
    with tempfile.TemporaryDirectory(prefix="xlkpss_annotate_") as tmp:
        path = build_template(t.kind, f"{tmp}/copy.xlsx", year=_year(res), scope=_scope(res), prefill=prefill,
                              rows=rows, meta=dict(sub.meta))  # fmt: skip
        wb = _open_xlsx(path)
    _print_filled_rows(wb, t.kind, {s.name: s.key for s in t.table_sheets})
    for (name, cell), err in errors.items():
        if err in _EXCEL_ERRORS:  # the error itself, not its text („Err:502“ of LibreOffice stays text)
            wb[name][cell].value = err
            wb[name][cell].data_type = "e"
    added: list[str] = []
    for key, cols in extra_cols.items():
        data = sub.sheets[key]
        src = raw.sheet(data.sheet_name)
        name = EXTRA_SHEET.format(sheet=data.spec.name)[:31]
        ws = wb.create_sheet(name, wb.sheetnames.index(data.spec.name) + 1)
        _copy_values(ws, src, cols, first_row=data.anchor)
        for n, c in enumerate(cols):
            ws.column_dimensions[openpyxl.utils.get_column_letter(n + 1)].width = 24
            for r in range(data.anchor, len(src.rows)):
                where[(src.name, a1(r, c))] = (name, a1(r - data.anchor, n))
        added.append(name)
    known = {d.sheet_name for d in sub.sheets.values()} | {LISTS_SHEET, META_SHEET, t.sheets[0].name}
    for sheet in raw.sheets:
        if sheet.name in known or _OUR_SHEET.match(sheet.name) or sheet.name in wb.sheetnames:
            continue
        ws = wb.create_sheet(sheet.name[:31])
        _copy_values(ws, sheet)
        if _is_report_sheet(ws):
            wb.remove(ws)
            continue
        ws.sheet_state = "hidden" if sheet.hidden else "visible"
        added.append(ws.title)
    # a cell the file has on a renamed sheet but the template does not map (a label, a title)
    for data in sub.sheets.values():
        where.setdefault((data.sheet_name, ""), (data.spec.name, ""))
    return wb, where, added


def _year(res: FileResult) -> int | None:
    for value in (res.ident.get("rok"), res.meta.get("year")):
        try:
            year = int(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            continue
        if 2000 <= year <= 2100:
            return year
    return None


def _scope(res: FileResult):
    """The territory the clerk's template was made for (its metadata), else the ORP of the
    submitter (the obce dropdown of that ORP), else the whole country."""
    from xlkpss.codelists import STATE, TerritoryError, territory

    level, _, code = str(res.meta.get("territory", "")).partition(":")
    try:
        if level in ("obec", "orp", "kraj") and code:
            return territory(**{level: code})
        orp = res.ident.get("kod_orp")
        if orp:
            return territory(orp=str(orp))
    except TerritoryError:
        pass
    return STATE


def _place(where: Where, sheet: str | None, cell: str | None) -> tuple[str | None, str | None]:
    """Where the file's (sheet, cell) is in the copy."""
    if not where or not sheet:
        return sheet, cell
    if cell and (sheet, cell) in where:
        return where[(sheet, cell)]
    renamed = where.get((sheet, ""))
    return (renamed[0] if renamed else sheet), cell


# -- the Kontrola sheet -------------------------------------------------------------------


def _cell_value(wb, issue: Issue, where: Where | None = None) -> str:
    """The value of the cell the issue points at, as the clerk sees it; the issue's own
    value for a file-level issue."""
    sheet, cell = _place(where or {}, issue.sheet, issue.cell)
    if sheet and cell and sheet in wb.sheetnames:
        try:
            return display_value(wb[sheet][cell].value)
        except (ValueError, KeyError):
            pass
    return issue.value


def kontrola_rows(res: FileResult, wb, lang: str = "cs", where: Where | None = None) -> list[list[str]]:
    """The rows of the Kontrola table: list, buňka, sloupec, hodnota v buňce, závažnost,
    dopad, problém — in ``order_key`` order; list and buňka as they are in the copy
    (``where``: the file's cells in a copy rebuilt as a template)."""
    t = _TEXT[lang]
    rows = []
    for issue in sorted(res.issues, key=lambda i: order_key(i, res)):
        effect = effect_of(issue, res)
        if effect == "row":
            words = t["effect_row"].format(row=issue.row) if issue.row else t["effect_row_nameless"]
        else:
            words = t[f"effect_{effect}"]
        sheet, cell = _place(where or {}, issue.sheet, issue.cell)
        rows.append(
            [sheet or "", cell or "", issue.column or "", _cell_value(wb, issue, where), issue.severity_word(lang), words, issue.body(lang)]
        )
    return rows


def _lines(text: str, width: float) -> int:
    """Wrapped lines of ``text`` in a column ``width`` characters wide (about 1.1 characters
    per width unit at 11 pt, as the template's Návod)."""
    per_line = max(1.0, width * 1.1)
    return sum(max(1, math.ceil(len(part) / per_line)) for part in str(text).split("\n"))


def _write_report(wb, res: FileResult, lang: str, originals: dict[tuple[str, str], str], where: Where | None = None):
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    t = _TEXT[lang]
    ws = wb.create_sheet(REPORT_SHEET, 0)
    base = Font(name=_FONT, size=11)
    wrap_top = Alignment(wrap_text=True, vertical="top")
    ws["A1"] = t["title"].format(name=res.path.name)
    ws["A1"].font = Font(name=_FONT, size=14, bold=True, color="1F3864")
    ws.row_dimensions[1].height = 21
    span = len(t["heads"])
    width_all = sum(_WIDTHS)
    if not res.issues:
        ws["A2"] = t["ok"]
        lines = [t["ok"]]
    else:
        file_errors = [i for i in res.errors if effect_of(i, res) == "file"]
        first = t["file"] + " " + t["fix"] if file_errors else (t["fix"] if res.errors else t["warn_only"])
        lines = [first, t["counts"].format(errors=len(res.errors), file=len(file_errors), warnings=len(res.warnings))]
    for r, text in enumerate(lines, start=2):
        ws.cell(r, 1, text)
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=span)
        ws.cell(r, 1).font = Font(name=_FONT, size=11, bold=(r == 2))
        ws.cell(r, 1).alignment = wrap_top
        ws.row_dimensions[r].height = 15.0 * _lines(text, width_all) + 2
    head = 5
    if res.issues:
        fill_head = PatternFill("solid", fgColor="DDEBF7")
        thin = Side(style="thin", color="808080")
        border = Border(left=thin, right=thin, top=thin, bottom=thin)
        for c, text in enumerate(t["heads"], start=1):
            cell = ws.cell(head, c, text)
            cell.font = Font(name=_FONT, size=11, bold=True)
            cell.fill = fill_head
            cell.border = border
            cell.alignment = wrap_top
        ws.cell(head, _MARKER_COL, _MARKER)
        for n, values in enumerate(kontrola_rows(res, wb, lang, where)):
            r = head + 1 + n
            issue_sheet, issue_cell = values[0], values[1]
            for c, v in enumerate(values, start=1):
                cell = ws.cell(r, c, v)
                cell.data_type = "s"  # submitted text is never a formula
                cell.font = base
                cell.alignment = wrap_top
                cell.border = border
            ws.cell(r, _MARKER_COL, originals.get((issue_sheet, issue_cell), "")).data_type = "s"
            if issue_sheet and issue_cell and issue_sheet in wb.sheetnames:
                link = ws.cell(r, 2)
                link.hyperlink = f"#'{issue_sheet}'!{issue_cell}"
                link.font = Font(name=_FONT, size=11, color="0563C1", underline="single")
            sev = values[4]
            kind = next((k for k in ("explained", "warning", "error") if sev == _sev_word(k, lang)), "error")
            ws.cell(r, 5).fill = PatternFill("solid", fgColor=_FILLS[kind])
            if values[5] == t["effect_file"]:
                ws.cell(r, 6).font = Font(name=_FONT, size=11, bold=True, color="9C0006")
            ws.row_dimensions[r].height = 15.0 * max(_lines(v, w) for v, w in zip(values, _WIDTHS)) + 3
        ws.freeze_panes = f"A{head + 1}"
        ws.print_title_rows = f"{head}:{head}"
    for c, width in enumerate(_WIDTHS, start=1):
        ws.column_dimensions[chr(64 + c)].width = width
    ws.column_dimensions["H"].hidden = True
    # printable on one A4 width: the clerk may print the list and tick the fixes off
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_area = f"A1:G{max(head, ws.max_row)}"
    return ws


def _sev_word(kind: str, lang: str) -> str:
    from xlkpss.i18n import SEVERITY_WORDS

    return SEVERITY_WORDS[lang][kind]


# -- annotate -----------------------------------------------------------------------------


def annotate(res: FileResult, out_dir: str | Path, lang: str = "cs", name: str | None = None) -> Path | None:
    """Write ``annotated_name(path)`` into ``out_dir``; None when the file could not be read."""
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill
    from openpyxl.utils.exceptions import InvalidFileException

    if res.format is None:
        return None
    out_dir = Path(out_dir)
    target = out_dir / (name or annotated_name(res.path))
    if target.resolve() == Path(res.path).resolve():
        raise OutputError(str(target))
    try:
        wb, where, _added = _load(res)
    except (OSError, InvalidFileException, KeyError, ValueError, TypeError):
        return None
    originals: dict[tuple[str, str], str] = {}
    marks: dict[tuple[str, str], list[str]] = {}
    worst: dict[tuple[str, str], str] = {}
    rank = {"error": 0, "warning": 1, "explained": 2}
    for issue in sorted(res.issues, key=lambda i: order_key(i, res)):
        key = _place(where, issue.sheet, issue.cell)
        if not key[0] or not key[1] or key[0] not in wb.sheetnames:
            continue
        marks.setdefault(key, []).append(f"[{issue.severity_word(lang)}] {issue.body(lang)}")
        sev = "explained" if issue.explained else issue.severity
        if key not in worst or rank[sev] < rank[worst[key]]:
            worst[key] = sev
    for key, lines in marks.items():
        cell = wb[key[0]][key[1]]
        originals[key] = _fill_code(cell.fill)
        cell.fill = PatternFill("solid", fgColor=_FILLS[worst[key]])
        text = "\n".join(lines)
        author = "xlkpss"
        if cell.comment is not None and (cell.comment.text or "").strip():
            text = cell.comment.text.rstrip() + "\n\n" + text  # keep the clerk's (or pre-fill) comment
            author = cell.comment.author or author
        comment = Comment(text, author)
        comment.width, comment.height = 320, 40 + 16 * sum(_lines(line, 40) for line in lines)
        cell.comment = comment
    _write_report(wb, res, lang, originals, where)
    wb.active = 0
    for sheet in wb.worksheets[1:]:
        sheet.sheet_view.tabSelected = False
    with atomic_path(target, protect={Path(res.path)}) as tmp:
        wb.save(tmp)
    return target


def annotate_all(results: Sequence[FileResult], out_dir: str | Path, lang: str = "cs") -> list[Path]:
    written = []
    used: set[str] = set()
    for res in results:
        name = annotated_name(res.path)
        n = 2
        while name in used:  # same file name from two folders
            name = re.sub(r"(_\d+)?\.xlsx$", f"_{n}.xlsx", name)
            n += 1
        used.add(name)
        path = annotate(res, out_dir, lang, name)
        if path is not None:
            written.append(path)
    return written
