"""An annotated copy of a submission, ready to e-mail back.

Every problem cell is highlighted (red = error, yellow = warning, green = explained
warning) and carries a comment with the message; a first sheet "Kontrola" lists all
problems with links to their cells.  The original file is never modified.  For .xls
and .ods (which openpyxl cannot edit) the copy is an .xlsx with the same sheets and
values at the same cells.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from xlkpss.fsutil import OutputError, atomic_path
from xlkpss.validate.issues import FileResult, Issue

__all__ = ["REPORT_SHEET", "annotate", "annotate_all", "annotated_name"]

REPORT_SHEET = "Kontrola"
_FILLS = {"error": "FFC7CE", "warning": "FFEB9C", "explained": "C6EFCE"}


def annotated_name(path: Path) -> str:
    return f"{path.stem}_kontrola.xlsx"


def _load(res: FileResult):
    import openpyxl

    if res.format in ("xlsx", "xlsm"):
        wb = openpyxl.load_workbook(res.path, keep_vba=False, rich_text=False)
        return wb, True
    # xls / ods: rebuild values in an xlsx (same sheet names, same cells)
    from xlkpss.read.files import read_workbook

    raw = read_workbook(res.path)
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for sheet in raw.sheets:
        ws = wb.create_sheet(sheet.name[:31])
        ws.sheet_state = "hidden" if sheet.hidden else "visible"
        for r, row in enumerate(sheet.rows, start=1):
            for c, v in enumerate(row, start=1):
                if v is not None:
                    cell = ws.cell(r, c, v)
                    if isinstance(v, str) and v.startswith("="):
                        cell.data_type = "s"  # text from a submission is never a formula
        for (r, c), err in sheet.errors.items():
            ws.cell(r + 1, c + 1, err).data_type = "s"
    return wb, False


def annotate(res: FileResult, out_dir: str | Path, lang: str = "cs", name: str | None = None) -> Path | None:
    """Write ``<name>_kontrola.xlsx`` into ``out_dir``; None when the file could not be read."""
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils.exceptions import InvalidFileException

    if res.format is None:
        return None
    out_dir = Path(out_dir)
    target = out_dir / (name or annotated_name(res.path))
    if target.resolve() == Path(res.path).resolve():
        raise OutputError(str(target))
    try:
        wb, _native = _load(res)
    except (OSError, InvalidFileException, KeyError, ValueError, TypeError):
        return None
    for issue in res.issues:
        if not issue.sheet or not issue.cell or issue.sheet not in wb.sheetnames:
            continue
        cell = wb[issue.sheet][issue.cell]
        sev = "explained" if issue.explained else issue.severity
        cell.fill = PatternFill("solid", fgColor=_FILLS[sev])
        text = f"[{issue.severity_word(lang)}] {issue.body(lang)}"
        if cell.comment is not None and cell.comment.author == "xlkpss":
            text = cell.comment.text + "\n" + text
        comment = Comment(text, "xlkpss")
        comment.width, comment.height = 320, 120
        cell.comment = comment
    ws = wb.create_sheet(REPORT_SHEET, 0)
    heads = ["List", "Buňka", "Sloupec", "Hodnota", "Závažnost", "Problém"] if lang == "cs" else [
        "Sheet", "Cell", "Column", "Value", "Severity", "Problem"]
    ws.append([f"Kontrola souboru {res.path.name}" if lang == "cs" else f"Check of {res.path.name}"])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([f"Chyb: {len(res.errors)}, upozornění: {len(res.warnings)}" if lang == "cs" else f"Errors: {len(res.errors)}, warnings: {len(res.warnings)}"])
    ws.append([])
    ws.append(heads)
    for c in range(1, len(heads) + 1):
        ws.cell(4, c).font = Font(bold=True)
    for issue in _ordered(res.issues):
        ws.append([issue.sheet or "", issue.cell or "", issue.column or "", issue.value, issue.severity_word(lang), issue.body(lang)])
        row = ws.max_row
        for c in (1, 3, 4, 6):
            ws.cell(row, c).data_type = "s"
        if issue.sheet and issue.cell and issue.sheet in wb.sheetnames:
            link = ws.cell(row, 2)
            link.hyperlink = f"#'{issue.sheet}'!{issue.cell}"
            link.font = Font(color="0563C1", underline="single")
        sev = "explained" if issue.explained else issue.severity
        ws.cell(row, 5).fill = PatternFill("solid", fgColor=_FILLS[sev])
    for col, width in zip("ABCDEF", (16, 8, 26, 24, 12, 90)):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A5"
    for row in ws.iter_rows(min_row=5, min_col=6, max_col=6):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")
    # printable on one A4 width: the clerk may print the list and tick the fixes off
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "4:4"
    wb.active = 0
    for sheet in wb.worksheets[1:]:
        sheet.sheet_view.tabSelected = False
    with atomic_path(target, protect={Path(res.path)}) as tmp:
        wb.save(tmp)
    return target


def _ordered(issues: Sequence[Issue]) -> list[Issue]:
    return sorted(issues, key=lambda i: (i.row is not None, i.sheet or "", i.row or 0, i.cell or ""))


def annotate_all(results: Sequence[FileResult], out_dir: str | Path, lang: str = "cs") -> list[Path]:
    written = []
    used: set[str] = set()
    for res in results:
        name = annotated_name(res.path)
        n = 2
        while name in used:  # same file name from two folders
            name = f"{res.path.stem}_kontrola_{n}.xlsx"
            n += 1
        used.add(name)
        path = annotate(res, out_dir, lang, name)
        if path is not None:
            written.append(path)
    return written
